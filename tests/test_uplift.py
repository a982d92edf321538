"""Uplift: the test as a whole, balance, sample size, curves and AUCs, models, decisions (with their grading)."""
from __future__ import annotations


import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LinearRegression
from threadpoolctl import threadpool_limits

from helpers.grading import grade_splits, ordering_quality, true_gain_curve, true_targeting_value
from helpers.uplift import (ClassTransformationUplift, ResponseModel, TwoModelUplift, arm_balance, average_effect,
                            fit_uplift_models, minimum_detectable_effect, perfect_qini_curve, perfect_uplift_curve,
                            qini_auc, qini_curve, sample_size, score_all, sleeping_dogs, split_scores,
                            targeted_customers, targeting_comparison, uplift_at_k, uplift_auc, uplift_curve)

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_thread():
    """Gradient boosting's OpenMP threads crawl when other work keeps the cores busy (minutes instead of a second)."""
    with threadpool_limits(1):
        yield


# Eight customers, highest score first, no ties. Running sums down the list (k = top k):
#   k       1  2  3  4    5    6    7    8
#   N_t     1  1  2  3    3    3    4    4
#   Y_t     1  1  2  2    2    2    2    2
#   N_c     0  1  1  1    2    3    3    4
#   Y_c     0  0  0  0    1    1    1    1
SCORE = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
TREATED = [True, False, True, True, False, False, True, False]
OUTCOME = [1, 0, 1, 0, 1, 0, 0, 0]


def test_qini_and_uplift_curves_by_hand():
    qini = qini_curve(OUTCOME, TREATED, SCORE)
    # qini = Y_t - Y_c * N_t / N_c: k=5: 2 - 1 * 3/2; k=7: 2 - 1 * 4/3
    assert np.allclose(qini["qini"], [0, 1, 1, 2, 2, 0.5, 1, 2 / 3, 1])
    assert qini["targeted"].tolist() == list(range(9)) and np.allclose(qini["share"], np.arange(9) / 8)
    assert qini.iloc[0].tolist() == [0, 0.0, 0.0]
    uplift = uplift_curve(OUTCOME, TREATED, SCORE)
    # (Y_t/N_t - Y_c/N_c) * k, an empty arm counting as rate 0: k=4: (2/3 - 0) * 4; k=5: (2/3 - 1/2) * 5
    assert np.allclose(uplift["uplift"], [0, 1, 2, 3, 8 / 3, 5 / 6, 2, 7 / 6, 2])
    assert list(uplift.columns) == ["targeted", "share", "uplift"]
    revenue = qini_curve([10.0, 0, 0, 4], [True, False, True, False], [4, 3, 2, 1])  # k=4: 10 - 4 * 2/2
    assert revenue["qini"].tolist() == [0.0, 10.0, 10.0, 10.0, 6.0]


def test_perfect_curves_and_aucs_by_hand():
    # perfect score: treated buyers 1 (rows 0, 2), non-buyers 0 (five rows), control buyer -1 (row 4)
    perfect = perfect_qini_curve(OUTCOME, TREATED)
    assert perfect["targeted"].tolist() == [0, 2, 7, 8] and np.allclose(perfect["qini"], [0, 2, 2, 1])
    assert np.allclose(perfect_uplift_curve(OUTCOME, TREATED)["uplift"], [0, 2, 3.5, 2])  # k=7: (2/4 - 0/3) * 7
    # trapezoids with steps of 1/8: (sum of values - (first + last) / 2) / 8 = (55/6 - 1/2) / 8 = 13/12
    assert qini_auc(OUTCOME, TREATED, SCORE, normalize=False) == pytest.approx(13 / 12)
    # perfect area 2/8 * 1 + 5/8 * 2 + 1/8 * 1.5 = 27/16; random 1/2: (13/12 - 1/2) / (27/16 - 1/2) = 28/57
    assert qini_auc(OUTCOME, TREATED, SCORE) == pytest.approx(28 / 57)
    # uplift: model (44/3 - 1) / 8 = 41/24; perfect 2/8 * 1 + 5/8 * 2.75 + 1/8 * 2.75 = 37/16; random 1
    assert uplift_auc(OUTCOME, TREATED, SCORE, normalize=False) == pytest.approx(41 / 24)
    assert uplift_auc(OUTCOME, TREATED, SCORE) == pytest.approx((41 / 24 - 1) / (37 / 16 - 1))


def test_uplift_at_k_by_hand():
    assert uplift_at_k(OUTCOME, TREATED, SCORE, k=0.5) == pytest.approx(2 / 3)  # top 4: treated 1, 1, 0; control 0
    assert uplift_at_k(OUTCOME, TREATED, SCORE, k=0.25) == 1.0
    assert np.isnan(uplift_at_k(OUTCOME, TREATED, SCORE, k=0.125))  # top 1 is treated: no control to compare
    assert uplift_at_k(OUTCOME, TREATED, SCORE, k=1.0) == pytest.approx(0.5 - 0.25)
    assert uplift_at_k(OUTCOME, TREATED, SCORE, k=0.7) == uplift_at_k(OUTCOME, TREATED, SCORE, k=0.75)  # 0.7*8 -> 6
    with pytest.raises(ValueError, match="k must be a share"):
        uplift_at_k(OUTCOME, TREATED, SCORE, k=30)


def test_tied_scores_are_one_block_and_row_order_does_not_matter():
    # two blocks of two: k=2 has one treated buyer and one control non-buyer; k=4 everyone
    curve = qini_curve([1, 0, 0, 1], [True, False, True, False], [0.5, 0.5, 0.2, 0.2])
    assert curve["targeted"].tolist() == [0, 2, 4] and curve["qini"].tolist() == [0.0, 1.0, 0.0]
    swapped = qini_curve([0, 1, 1, 0], [False, True, False, True], [0.5, 0.5, 0.2, 0.2])
    pd.testing.assert_frame_equal(curve, swapped)
    rng = np.random.default_rng(1)
    n = 200
    frame = pd.DataFrame({"y": rng.integers(0, 2, n), "t": rng.random(n) < 0.5, "s": rng.integers(0, 5, n) / 4,
                          "effect": rng.normal(0, 1, n)})
    shuffled = frame.sample(frac=1, random_state=3)
    for curve_of in (qini_curve, uplift_curve):
        a, b = curve_of(frame["y"], frame["t"], frame["s"]), curve_of(shuffled["y"], shuffled["t"], shuffled["s"])
        assert len(a) == 6 and np.allclose(a, b)
    for auc in (qini_auc, uplift_auc):
        assert auc(frame["y"], frame["t"], frame["s"]) == pytest.approx(auc(shuffled["y"], shuffled["t"], shuffled["s"]))
    assert np.allclose(true_gain_curve(frame["effect"], frame["s"]), true_gain_curve(shuffled["effect"], shuffled["s"]))
    assert ordering_quality(frame["effect"], frame["s"]) == pytest.approx(
        ordering_quality(shuffled["effect"], shuffled["s"]))
    distinct = pd.Series(rng.permutation(n) / n, index=frame.index)  # no ties: the top k does not depend on order
    assert uplift_at_k(frame["y"], frame["t"], distinct) == uplift_at_k(shuffled["y"], shuffled["t"], distinct[shuffled.index])


def test_constant_score_is_random_and_perfect_score_is_one():
    rng = np.random.default_rng(0)
    y, t = rng.random(300) < 0.3, rng.random(300) < 0.5
    constant = np.zeros(300)
    assert qini_auc(y, t, constant) == pytest.approx(0.0, abs=1e-12)
    assert uplift_auc(y, t, constant) == pytest.approx(0.0, abs=1e-12)
    perfect = np.where(t, y, -y.astype(float))
    assert qini_auc(y, t, perfect) == pytest.approx(1.0) and uplift_auc(y, t, perfect) == pytest.approx(1.0)
    assert qini_auc(y, t, -perfect) < 0


def test_ties_at_the_cut_of_uplift_at_k_are_not_settled_by_row_order():
    outcome = [1] * 50 + [0] * 50
    treated = [True, False] * 50
    # all scores tied: taking rows in table order would pick exactly the 50 customers with an effect
    chosen = targeted_customers(pd.DataFrame({"tied": np.zeros(100)}), share=0.5)
    assert chosen["tied"].sum() == 50 and chosen["tied"].iloc[:50].sum() != 50  # not simply the first 50 rows
    top = targeting_comparison(pd.DataFrame({"tied": np.zeros(100)}), outcome, treated, share=0.5)
    assert top.loc["tied", "uplift_at_k"] == pytest.approx(uplift_at_k(outcome, treated, np.zeros(100), k=0.5))


def test_one_arm_only():
    outcome, treated, score = [1, 0, 1, 0], [True] * 4, [4, 3, 2, 1]
    assert qini_curve(outcome, treated, score)["qini"].tolist() == [0.0, 1.0, 1.0, 2.0, 2.0]  # second term 0
    assert uplift_curve(outcome, treated, score)["uplift"].tolist() == [0.0, 1.0, 1.0, 2.0, 2.0]
    for auc in (qini_auc, uplift_auc):
        assert np.isnan(auc(outcome, treated, score)) and np.isnan(auc(outcome, treated, score, normalize=False))
    assert np.isnan(uplift_at_k(outcome, treated, score, k=1.0))
    with pytest.raises(ValueError, match="control arm is empty"):
        average_effect(outcome, treated)
    with pytest.raises(ValueError, match="treated arm is empty"):
        average_effect(outcome, [False] * 4)


def test_average_effect_matches_welch_and_survives_no_conversions():
    outcome = pd.Series([1, 0, 1, 1, 0, 0, 1, 0])
    treated = pd.Series([True] * 4 + [False] * 4)
    result = average_effect(outcome, treated)
    assert list(result.index) == ["n_treated", "n_control", "treated_mean", "control_mean", "effect", "low", "high",
                                  "p_value"]
    assert result["effect"] == pytest.approx(0.5) and result[["n_treated", "n_control"]].tolist() == [4, 4]
    se = np.sqrt(0.25 / 4 + 0.25 / 4)  # each arm's variance with n - 1: 0.75 * 0.25 * 4/3 = 0.25
    welch = stats.ttest_ind([1, 0, 1, 1], [0, 0, 1, 0], equal_var=False)
    assert result["effect"] / se == pytest.approx(welch.statistic)
    assert result["high"] - result["effect"] == pytest.approx(1.959964 * se)
    assert result["p_value"] == pytest.approx(2 * stats.norm.sf(0.5 / se))
    revenue = average_effect(pd.Series([10.0, 0, 30, 0]), pd.Series([True, True, False, False]), confidence=0.9)
    assert revenue["effect"] == -10 and revenue["low"] < -10 < revenue["high"]
    none = average_effect(np.zeros(10), np.arange(10) < 5)
    assert none[["effect", "low", "high", "p_value"]].tolist() == [0.0, 0.0, 0.0, 1.0]


def test_inputs_are_checked_with_clear_messages():
    treated = pd.Series([True, None, False, None, True], index=list("abcde"), dtype="object")
    with pytest.raises(ValueError, match=r"treated has 2 missing values, e\.g\. at \['b', 'd'\]"):
        average_effect(pd.Series([1, 0, 1, 0, 1], index=list("abcde")), treated)
    with pytest.raises(ValueError, match="treated must be True/False"):
        average_effect([1, 0, 1], [0, 1, 2])
    with pytest.raises(ValueError, match="treated must be numbers or True/False.*== 'treatment'"):
        average_effect([1, 0], ["treatment", "control"])
    with pytest.raises(ValueError, match="score has 3 rows but outcome has 4"):
        qini_curve([1, 0, 1, 0], [True, False, True, False], [1, 2, 3])
    with pytest.raises(ValueError, match="different indexes"):
        average_effect(pd.Series([1, 0], index=[1, 2]), pd.Series([True, False], index=[2, 1]))
    with pytest.raises(ValueError, match="outcome has 1 missing"):
        uplift_curve([1, np.nan], [True, False], [1, 2])


def test_arm_balance_by_hand():
    features = pd.DataFrame({
        "x": [1, 2, 3, 2, 4, np.nan],  # treated mean 2 (var 1), control 3 (var 2, one value missing)
        "flag": [True, False, False, True, False, False],  # 1/3 in both arms
        "const": 5.0,
        "colour": ["red", "red", "blue", "blue", "blue", None],  # str in pandas 3, object before
    }, index=[10, 11, 12, 13, 14, 15])
    treated = pd.Series([True, True, True, False, False, False], index=features.index)
    table = arm_balance(features, treated)
    assert table.index.tolist() == ["x", "flag", "const", "colour = blue", "colour = red"]
    assert table.loc["x", "std_difference"] == pytest.approx(-1 / np.sqrt(1.5))
    assert table.loc["x", "missing_share_difference"] == pytest.approx(-1 / 3) and table.loc["x", "imbalanced"]
    assert table.loc["flag", "std_difference"] == 0 and not table.loc["flag", "imbalanced"]
    assert table.loc["const", "std_difference"] == 0  # neither arm varies
    # blue: treated 0, 0, 1 (mean 1/3, var 1/3); control 1, 1 (mean 1, var 0), its third value unknown
    assert table.loc["colour = blue", ["treated_mean", "control_mean"]].tolist() == pytest.approx([1 / 3, 1.0])
    assert table.loc["colour = blue", "std_difference"] == pytest.approx((1 / 3 - 1) / np.sqrt(1 / 6))
    assert table.loc["colour = red", "missing_share_difference"] == pytest.approx(-1 / 3)
    categorical = arm_balance(features.astype({"colour": "category"}), treated)
    pd.testing.assert_frame_equal(categorical, table)
    dates = pd.DataFrame({"when": pd.date_range("2026-01-01", periods=6)}, index=features.index)
    assert arm_balance(dates, treated).loc["when", ["treated_mean", "control_mean"]].tolist() == [1.0, 4.0]  # days
    with pytest.raises(ValueError, match="control arm is empty"):
        arm_balance(features, pd.Series(True, index=features.index))


def test_sample_size_by_hand_and_consistent_with_the_detectable_effect():
    # n per arm = (z_0.975 + z_0.8)^2 * 2 p (1 - p) / e^2 = 2.8015852^2 * 0.18 / 0.0004 = 3531.996 -> 3532
    assert sample_size(0.10, 0.02) == {"treated": 3532, "control": 3532, "total": 7064}
    # a 25/75 split: total = 7.8488797 * 0.09 / (0.0004 * 0.1875) = 9418.66 -> 2354.66 and 7063.99, rounded up
    assert sample_size(0.10, 0.02, treated_share=0.25) == {"treated": 2355, "control": 7064, "total": 9419}
    for rate, effect, alpha, power, share in [(0.10, 0.02, 0.05, 0.8, 0.5), (0.03, 0.005, 0.01, 0.9, 0.2),
                                              (0.5, -0.1, 0.1, 0.8, 0.7)]:
        sizes = sample_size(rate, effect, alpha, power, share)
        detectable = minimum_detectable_effect(sizes["treated"], sizes["control"], rate, alpha, power)
        assert abs(effect) * 0.99 < detectable <= abs(effect)
    assert sample_size(0.1, 0.01)["treated"] > 3.9 * sample_size(0.1, 0.02)["treated"]  # half the effect, 4x customers
    with pytest.raises(ValueError, match="treated_share"):
        sample_size(0.1, 0.02, treated_share=1.0)
    with pytest.raises(ValueError, match="min_effect"):
        sample_size(0.1, 0.0)


def _campaign(n: int = 4000, random_state: int = 0, treated_share: float = 0.5):
    """A randomized campaign where likely buyers are not the persuadable: with a flat baseline a response model
    would rank exactly as the true effect does (P(buy | treated) = 0.1 + effect) and so be an uplift model."""
    rng = np.random.default_rng(random_state)
    features = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)},
                            index=pd.Index(np.arange(n) + 1000, name="customer_id"))
    effect = np.where(features["a"] > 0, 0.1, -0.05)
    baseline = 0.1 + 0.2 * (features["a"] <= 0) + 0.1 * (features["b"] > 0)  # the loyal buy anyway and dislike contact
    treated = pd.Series(rng.random(n) < treated_share, index=features.index)
    outcome = pd.Series(rng.random(n) < baseline + effect * treated, index=features.index)
    return features, treated, outcome, pd.Series(effect, index=features.index)


def _truth_of(effect: pd.Series, baseline: float = 0.0) -> pd.DataFrame:
    """A truth table (as helpers.grading reads one) for a made-up campaign: each customer's true effect."""
    return pd.DataFrame({"true_uplift": effect, "p_convert_control": baseline}, index=effect.index)


def test_uplift_models_find_the_persuadable_and_the_response_model_does_not():
    features, treated, outcome, _ = _campaign()
    models = fit_uplift_models(features, treated, outcome, random_state=0)
    # judged on other customers of the same world: on the training rows, memorising who bought looks like uplift;
    # many of them, as a random score's normalized Qini varies by about 0.008 over 20,000 customers (0.017 over 4,000)
    features, treated, outcome, effect = _campaign(n=20_000, random_state=1)
    scores = score_all(models, features)
    assert list(scores.columns) == ["two-model uplift", "class transformation", "response model"]
    assert scores.index.equals(features.index)
    quality = {name: ordering_quality(effect, scores[name]) for name in scores}
    qini = {name: qini_auc(outcome, treated, scores[name]) for name in scores}
    for name in ("two-model uplift", "class transformation"):
        assert quality[name] > 0.3 and qini[name] > qini["response model"] + 0.03, (quality, qini)
    assert quality["response model"] < 0, quality  # worse than random: it picks the loyal, who dislike contact
    table = targeting_comparison(scores, outcome, treated, share=0.3, value_per_conversion=50, cost_per_contact=1,
                                 random_state=0)
    truth = _truth_of(effect)
    table = table.join(true_targeting_value(truth, targeted_customers(scores, share=0.3, random_state=0),
                                            value_per_conversion=50, cost_per_contact=1))
    assert table.index.tolist() == [*scores.columns, "random"]
    assert (table["targeted"] == 6000).all()
    assert (table.loc["two-model uplift", "true_incremental"] > table.loc["random", "true_incremental"]
            > table.loc["response model", "true_incremental"])
    assert table.loc["response model", "share_of_perfect"] < table.loc["two-model uplift", "share_of_perfect"]
    row = table.loc["two-model uplift"]
    assert row["incremental_conversions"] == pytest.approx(row["uplift_at_k"] * 6000)
    assert row["incremental_profit"] == pytest.approx(row["incremental_conversions"] * 50 - 6000)
    assert row["true_profit"] == pytest.approx(row["true_incremental"] * 50 - 6000)
    dogs = sleeping_dogs(scores["two-model uplift"])
    assert dogs.dtype == bool and dogs.index.equals(features.index) and dogs[effect < 0].mean() > dogs[effect > 0].mean()


def test_models_reduce_to_rates_with_a_constant_estimator():
    # a treated share of 20%: class transformation must reweight the arms to still give the difference in rates
    features, treated, outcome, _ = _campaign(n=1000, random_state=1, treated_share=0.2)
    overall = average_effect(outcome, treated)
    for model in (TwoModelUplift(DummyClassifier()), ClassTransformationUplift(DummyClassifier())):
        assert np.allclose(model.fit(features, treated, outcome).predict(features), overall["effect"])
    response = ResponseModel(DummyClassifier()).fit(features, treated, outcome)
    assert np.allclose(response.predict(features), overall["treated_mean"])
    revenue = outcome * 40.0
    assert np.allclose(TwoModelUplift(DummyRegressor()).fit(features, treated, revenue).predict(features),
                       average_effect(revenue, treated)["effect"])
    linear = TwoModelUplift(LinearRegression()).fit(features, treated, revenue)
    assert linear.predict(features).shape == (1000,)
    assert "class transformation" not in fit_uplift_models(features, treated, revenue)
    estimator = DummyClassifier()
    model = TwoModelUplift(estimator).fit(features, treated, outcome)
    assert model.treated_model_ is not estimator and not hasattr(estimator, "classes_")  # cloned, not fitted in place


def test_class_transformation_reweights_the_arms_inside_a_pipeline():
    # a Pipeline takes no plain sample_weight: the weights go to its last step, or an unequal split fails to fit
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    features, treated, outcome, _ = _campaign(n=1000, random_state=1, treated_share=0.2)
    piped = ClassTransformationUplift(make_pipeline(StandardScaler(), DummyClassifier())).fit(features, treated, outcome)
    assert np.allclose(piped.predict(features), average_effect(outcome, treated)["effect"])


def test_the_default_models_take_missing_features_and_regularize():
    # lesson 04's features have gaps (no browsing yet): the default fills them with the median and flags them
    from helpers.uplift.models import default_estimator
    features, treated, outcome, _ = _campaign(n=1000, random_state=4)
    features = features.assign(gappy=np.where(np.arange(1000) % 3 == 0, np.nan, 1.0))
    models = fit_uplift_models(features, treated, outcome)
    scores = score_all(models, features)
    assert np.isfinite(scores.to_numpy()).all()
    assert type(default_estimator(binary=True)[-1]).__name__ == "LogisticRegression"
    assert default_estimator(binary=True)[-1].C == 0.1
    assert type(default_estimator(binary=False)).__name__ == "HistGradientBoostingRegressor"


def test_models_refuse_what_they_cannot_learn_from():
    features, treated, outcome, _ = _campaign(n=200, random_state=2)
    with pytest.raises(ValueError, match="control arm is empty"):
        TwoModelUplift().fit(features, pd.Series(True, index=features.index), outcome)
    with pytest.raises(ValueError, match="treated arm is empty"):
        ResponseModel().fit(features, pd.Series(False, index=features.index), outcome)
    ResponseModel(DummyClassifier()).fit(features, treated, outcome.where(treated, False))  # control unused
    with pytest.raises(ValueError, match=r"one value only \(0\) in the control arm"):
        TwoModelUplift().fit(features, treated, outcome.where(treated, False))
    with pytest.raises(ValueError, match="in the treated arm"):
        ClassTransformationUplift().fit(features, treated, outcome.where(~treated, True))
    with pytest.raises(ValueError, match="needs a 0/1 outcome"):
        ClassTransformationUplift(DummyRegressor()).fit(features, treated, outcome * 40.0)
    with pytest.raises(ValueError, match="pass a regressor"):
        TwoModelUplift(DummyClassifier()).fit(features, treated, outcome * 40.0)
    with pytest.raises(ValueError, match="outcome has 199 rows but features has 200"):
        TwoModelUplift().fit(features, treated.iloc[:-1], outcome.iloc[:-1].to_numpy())


def test_targeting_comparison_by_hand():
    scores = pd.DataFrame({"model": SCORE, "backwards": SCORE[::-1]})
    table = targeting_comparison(scores, OUTCOME, TREATED, share=0.5, value_per_conversion=10, cost_per_contact=1)
    assert table.index.name == "method" and "random" not in table.index
    assert list(table.columns) == ["targeted", "uplift_at_k", "incremental_conversions", "incremental_profit"]
    model = table.loc["model"]
    assert model["targeted"] == 4 and model["uplift_at_k"] == pytest.approx(2 / 3)  # as uplift_at_k(k=0.5)
    assert model["incremental_profit"] == pytest.approx(2 / 3 * 4 * 10 - 4)
    # backwards targets the last four rows: control buyer in row 4, no treated buyer
    assert table.loc["backwards", "uplift_at_k"] == pytest.approx(0 - 1 / 3)
    assert targeted_customers(scores, share=0.5)["backwards"].tolist() == [False] * 4 + [True] * 4
    with pytest.raises(ValueError, match="share must be a share"):
        targeting_comparison(scores, OUTCOME, TREATED, share=0)
    # the offer also goes to targeted customers who would have bought anyway: backwards' controls bought 1 in 3
    priced = targeting_comparison(scores, OUTCOME, TREATED, share=0.5, value_per_conversion=10, cost_per_contact=1,
                                  offer_cost_per_buyer=3.0)
    assert priced.loc["model", "incremental_profit"] == pytest.approx(2 / 3 * 4 * 10 - 4)  # its controls: no buyer
    assert priced.loc["backwards", "incremental_profit"] == pytest.approx(-1 / 3 * 4 * 10 - 4 - 3 * (1 / 3) * 4)
    with pytest.raises(ValueError, match="already has a column 'random'"):
        targeted_customers(pd.DataFrame({"random": SCORE}), random_state=0)


def test_sleeping_dogs():
    dogs = sleeping_dogs(pd.Series([0.1, -0.02, 0.0, -0.5], index=list("abcd")), threshold=-0.01)
    assert dogs.tolist() == [False, True, False, True] and dogs.index.tolist() == list("abcd")
    assert sleeping_dogs(np.array([-0.1, 0.1])).tolist() == [True, False]


def test_gain_curves_plot_draws_each_curve_and_the_random_line():
    import matplotlib.pyplot as plt

    from helpers.plots import gain_curves_plot
    curves = {"model": qini_curve(OUTCOME, TREATED, SCORE), "perfect": perfect_qini_curve(OUTCOME, TREATED)}
    ax = gain_curves_plot(curves, "qini", "Qini curves", "extra buyers")
    try:
        assert isinstance(ax, plt.Axes) and len(ax.get_lines()) == 3
        assert ax.get_lines()[-1].get_linestyle() == "--" and ax.get_lines()[-1].get_ydata()[-1] == 1.0
        assert ax.get_title() == "Qini curves" and ax.get_ylabel() == "extra buyers"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["model", "perfect", "random"]
        assert len(gain_curves_plot(curves, "qini", "t", "y", random_line=False, ax=plt.subplots()[1]).get_lines()) == 2
    finally:
        plt.close("all")
    with pytest.raises(ValueError, match="'uplift'"):
        gain_curves_plot(curves, "uplift", "t", "y")
    plt.close("all")


def test_holdout_split_keeps_the_arm_shares_and_is_seeded():
    from helpers.uplift import holdout_split
    treated = pd.Series([True] * 30 + [False] * 70, index=range(100, 200))
    split = holdout_split(treated, test_share=0.3, random_state=1)
    assert split.index.equals(treated.index) and split.sum() == 30
    assert split[treated].sum() == 9 and split[~treated].sum() == 21
    assert split.equals(holdout_split(treated, test_share=0.3, random_state=1))
    assert not split.equals(holdout_split(treated, test_share=0.3, random_state=2))
    with pytest.raises(ValueError, match="test_share"):
        holdout_split(treated, test_share=1.0)


def test_holdout_split_can_keep_the_outcome_shares_too():
    from helpers.uplift import holdout_split
    treated = pd.Series([True] * 40 + [False] * 60)
    outcome = pd.Series(([1] * 10 + [0] * 30) + ([1] * 20 + [0] * 40))
    split = holdout_split(treated, test_share=0.5, random_state=3, outcome=outcome)
    # each (arm, outcome) cell is halved exactly: 5 of 10, 15 of 30, 10 of 20, 20 of 40
    cells = split.groupby([treated, outcome]).sum()
    assert cells.tolist() == [20, 10, 15, 5]
    with pytest.raises(ValueError, match="outcome has 99 rows but treated has 100"):
        holdout_split(treated, outcome=outcome.iloc[:-1])


def test_segment_effect_score_uses_only_the_fitting_rows_and_falls_back_when_small():
    from helpers.uplift import segment_effect_score
    segments = pd.Series(["a"] * 4 + ["b"] * 4 + ["c"] * 2, index=range(10, 20))
    outcome = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1]
    treated = [True, False, True, False, True, False, True, False, True, False]
    fit = pd.Series([True] * 8 + [False] * 2, index=segments.index)
    score = segment_effect_score(segments, outcome, treated, fit, min_arm=2)
    # a: treated 1, 1 -> 1.0; control 0, 1 -> 0.5; effect 0.5. b: treated 0, 0; control 1, 0 -> -0.5
    # c is not in the fitting rows: the overall effect (0.5 - 0.5 = 0)
    assert score.index.equals(segments.index)
    assert score.tolist() == [0.5] * 4 + [-0.5] * 4 + [0.0] * 2
    # with a minimum the segments cannot meet, everybody gets the overall effect
    assert (segment_effect_score(segments, outcome, treated, fit, min_arm=3) == 0.0).all()
    with pytest.raises(ValueError, match="control arm is empty among the fitting rows"):
        segment_effect_score(segments, outcome, [True] * 10, fit)


def test_segment_effect_score_takes_categorical_labels():
    from helpers.uplift import segment_effect_score
    segments = pd.Series(pd.Categorical(["a", "a", "b", "b"], categories=["a", "b", "unused"]))
    score = segment_effect_score(segments, [1, 0, 0, 1], [True, False, True, False], pd.Series([True] * 4), min_arm=1)
    assert score.tolist() == [1.0, 1.0, -1.0, -1.0]


def test_evaluate_on_splits_reports_every_method_on_every_split():
    from helpers.uplift import evaluate_on_splits
    features, treated, outcome, effect = _campaign(n=2_000, random_state=3)
    segments = {"by a": pd.Series(np.where(features["a"] > 0, "high a", "low a"), index=features.index)}
    table = evaluate_on_splits(features, treated, outcome, random_states=(0, 1), segments=segments)
    splits = split_scores(features, treated, outcome, random_states=(0, 1), segments=segments)
    assert all(frame.index.isin(features.index).all() and len(frame) == 1000 for frame in splits.values())
    table = table.merge(grade_splits(_truth_of(effect), splits), on=["split", "method"])
    assert len(table) == 2 * 4 and set(table["split"]) == {0, 1}
    assert set(table["method"]) == {"two-model uplift", "class transformation", "response model", "by a"}
    assert table[["qini_auc", "uplift_at_k", "ordering_quality"]].notna().all().all()
    # the segment rule splits exactly where the true effect changes: it orders well on every split
    assert (table.loc[table["method"] == "by a", "ordering_quality"] > 0.5).all()


def test_effect_by_group_is_the_average_effect_within_each_group():
    from helpers.uplift import effect_by_group
    features, treated, outcome, _ = _campaign(n=2_000, random_state=5)
    groups = pd.Series(pd.Categorical(np.where(features["a"] > 0, "high a", "low a"), categories=["low a", "high a"]),
                       index=features.index, name="band")
    table = effect_by_group(outcome, treated, groups)
    assert table.index.tolist() == ["low a", "high a"] and table.index.name == "band"  # category order
    high = groups == "high a"
    assert table.loc["high a"].to_dict() == pytest.approx(average_effect(outcome[high], treated[high]).to_dict())
    assert table["n_treated"].sum() == treated.sum()
    # a group too small in one arm keeps its counts but gets no effect
    tiny = pd.Series(np.where(np.arange(2_000) < 10, "tiny", "rest"), index=features.index)
    small = effect_by_group(outcome, treated, tiny, min_arm=30).loc["tiny"]
    assert small["n_treated"] + small["n_control"] == 10 and np.isnan(small["effect"]) and np.isnan(small["low"])
    with pytest.raises(ValueError, match="groups has 1 missing labels"):
        effect_by_group(outcome, treated, groups.where(groups.index != groups.index[0]))
