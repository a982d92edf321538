"""Privacy and responsibility checks: pseudonyms, k-anonymity, proxies, selection rates, granularity, fatigue."""
from __future__ import annotations

import hashlib
import hmac
import math

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from helpers.privacy import (check_report, coarsen, contacts_in_window, granularity_curve, granularity_economics,
                             group_sizes, k_anonymity, minimum_viable_size, proxy_leakage, pseudonymize,
                             selection_rates, singled_out)


@pytest.fixture(autouse=True)
def _one_thread():
    """Gradient boosting's OpenMP threads crawl when other work keeps the cores busy (minutes instead of a second)."""
    with threadpool_limits(1):
        yield


# --------------------------------------------------------------------------- pseudonyms
def test_pseudonyms_are_keyed_stable_and_keep_missing():
    ids = pd.Series([42, 7, 42, None], index=[10, 11, 12, 13], name="customer_id")  # float64 because of the None
    out = pseudonymize(ids, salt="pepper")
    expected = hmac.new(b"pepper", b"42", hashlib.sha256).hexdigest()[:16]  # 42.0 reads "42"
    assert out[10] == out[12] == expected and out[11] != out[10]
    assert out.index.tolist() == [10, 11, 12, 13] and out.name == "customer_id" and pd.isna(out[13])
    assert out[10] != hashlib.sha256(b"42").hexdigest()[:16]  # not the guessable plain hash
    assert pseudonymize(pd.Series([42]), salt="pepper")[0] == expected  # same pseudonym for an int column
    assert pseudonymize(pd.Series([42]), salt="salt")[0] != expected
    assert pseudonymize(pd.Series(["C-001"]), "pepper")[0] == hmac.new(b"pepper", b"C-001", "sha256").hexdigest()[:16]


def test_pseudonyms_refuse_an_empty_salt():
    with pytest.raises(ValueError, match="reversed by hashing every id"):
        pseudonymize(pd.Series([1, 2]), salt="")


# --------------------------------------------------------------------------- k-anonymity
# after banding age at 40 and keeping the two commonest cities (Nice 4, Lyon 3) the groups are
#   (<40, Lyon, F): rows 0, 1, 4   (<40, Nice, M): 2, 3   (40+, other, M): 5, 6, 9   (40+, Nice, F): 7, 8
PEOPLE = pd.DataFrame({
    "age": [23, 25, 31, 34, 38, 45, 47, 52, 58, 61],
    "city": ["Lyon", "Lyon", "Nice", "Nice", "Lyon", "Paris", "Brest", "Nice", "Nice", "Paris"],
    "gender": ["F", "F", "M", "M", "F", "M", "M", "F", "F", "M"],
    "spend": np.arange(10.0),
})
QI = ["age", "city", "gender"]
RULES = {"age": ("bins", [0, 40, np.inf], ["<40", "40+"]), "city": ("top", 2)}


def test_k_anonymity_before_and_after_coarsening_by_hand():
    assert k_anonymity(PEOPLE, QI) == 1 and len(singled_out(PEOPLE, QI, k=2)) == 10
    assert group_sizes(PEOPLE, ["city"]).tolist() == [3, 3, 4, 4, 3, 2, 1, 4, 4, 2]
    coarse = coarsen(PEOPLE, RULES)
    assert coarse["city"].tolist() == ["Lyon", "Lyon", "Nice", "Nice", "Lyon",
                                       "other", "other", "Nice", "Nice", "other"]
    assert coarse["age"].astype(str).tolist() == ["<40"] * 5 + ["40+"] * 5
    assert group_sizes(coarse, QI).tolist() == [3, 3, 2, 2, 3, 3, 3, 2, 2, 3]
    assert k_anonymity(coarse, QI) == 2
    small = singled_out(coarse, QI, k=3)
    assert small.index.tolist() == [2, 3, 7, 8] and small["group_size"].tolist() == [2, 2, 2, 2]
    assert list(small.columns) == [*PEOPLE.columns, "group_size"]
    assert PEOPLE["age"].iloc[0] == 23  # the input is left alone


def test_check_report_refuses_then_passes():
    with pytest.raises(ValueError, match=r"k=2 needed but the smallest group has 1 row\(s\) and 10 rows") as info:
        check_report(PEOPLE, QI, k=2)
    assert "'city': 'Lyon'" in str(info.value)  # an example combination
    coarse = coarsen(PEOPLE, RULES)
    assert check_report(coarse, QI, k=2) is None
    with pytest.raises(ValueError, match="4 rows sit in groups below 3"):
        check_report(coarse, QI, k=3)
    assert check_report(coarsen(PEOPLE, {"age": ("drop",), "city": ("drop",)}), ["gender"], k=5) is None


def test_group_sizes_count_missing_as_a_value_and_name_missing_columns():
    frame = pd.DataFrame({"city": ["A", None, None, "B"], "band": pd.Categorical(["x", "x", "x", None])})
    assert group_sizes(frame, ["city"]).tolist() == [1, 2, 2, 1]
    assert group_sizes(frame, ["city", "band"]).tolist() == [1, 2, 2, 1]
    assert group_sizes(frame, "band").tolist() == [3, 3, 3, 1]  # one column may be given by name
    with pytest.raises(KeyError, match="'postcode'"):
        group_sizes(frame, ["city", "postcode"])
    with pytest.raises(ValueError, match="at least one"):
        group_sizes(frame, [])
    assert k_anonymity(frame.iloc[:0], ["city"]) == 0 and singled_out(frame.iloc[:0], ["city"]).empty
    with pytest.raises(ValueError, match="k must be"):
        singled_out(frame, ["city"], k=0)


def test_coarsen_rules_and_their_errors():
    frame = pd.DataFrame({"city": ["b", "a", "a", "b", "c", None], "age": [5, 15, 25, 35, 45, 55]})
    # a and b tie at 2: the tie goes by value, whatever the row order
    assert coarsen(frame, {"city": ("top", 1)})["city"].tolist()[:5] == ["other", "a", "a", "other", "other"]
    assert pd.isna(coarsen(frame, {"city": ("top", 1)})["city"].iloc[5])  # missing stays missing
    categorical = frame.assign(city=frame["city"].astype("category"))
    assert coarsen(categorical, {"city": ["top", 2]})["city"].tolist()[:5] == ["b", "a", "a", "b", "other"]
    assert list(coarsen(frame, {"age": ("drop",)}).columns) == ["city"]
    assert coarsen(frame, {"age": ("bins", [0, 30, np.inf], None)})["age"].astype(str).tolist()[-1] == "[30.0, inf)"
    with pytest.raises(ValueError, match=r"'age' has 2 values outside the bins \[10, 50\), e.g. \[5, 55\]"):
        coarsen(frame, {"age": ("bins", [10, 30, 50], ["10-29", "30-49"])})
    with pytest.raises(ValueError, match="unknown rule"):
        coarsen(frame, {"age": ("round", 10)})
    with pytest.raises(ValueError, match="should have 2 parts"):
        coarsen(frame, {"city": ("top",)})
    with pytest.raises(ValueError, match="needs a whole n"):
        coarsen(frame, {"city": ("top", 0)})
    with pytest.raises(KeyError, match="'postcode'"):
        coarsen(frame, {"postcode": ("drop",)})


# --------------------------------------------------------------------------- proxies and selection rates
def _synthetic(n: int = 2000, random_state: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(random_state)
    sensitive = pd.Series(rng.integers(0, 2, n).astype(bool), name="is_female")
    features = pd.DataFrame({"noise_a": rng.normal(size=n), "noise_b": rng.integers(0, 5, n),
                             "proxy": sensitive * 1.0 + rng.normal(0, 0.5, n),
                             "shop": np.where(rng.random(n) < 0.8, np.where(sensitive, "beauty", "tools"), "books")})
    return features, sensitive


def test_proxy_leakage_finds_a_proxy_and_not_noise():
    features, sensitive = _synthetic()
    leak = proxy_leakage(features[["noise_a", "noise_b", "proxy"]], sensitive)
    assert leak["auc"] > 0.8 and leak["accuracy"] > leak["majority_share"] + 0.15
    assert set(leak) == {"auc", "accuracy", "majority_share", "n", "dropped"}
    assert leak["n"] == 2000 and leak["dropped"] == 0 and 0.45 < leak["majority_share"] < 0.55
    noise = proxy_leakage(features[["noise_a", "noise_b"]], sensitive)
    assert 0.4 < noise["auc"] < 0.6
    text = proxy_leakage(features[["shop"]], sensitive)  # a text column works as a category
    assert text["auc"] > 0.8


def test_proxy_leakage_multiclass_and_missing_values():
    rng = np.random.default_rng(3)
    region = pd.Series(rng.choice(["north", "south", "west"], 600), name="region")
    proxy = region.map({"north": 0.0, "south": 1.0, "west": 2.0}) + rng.normal(0, 0.3, 600)
    sensitive = region.where(rng.random(600) > 0.05)  # about 30 unknown
    leak = proxy_leakage(pd.DataFrame({"proxy": proxy}), sensitive, random_state=2)
    assert leak["auc"] > 0.9 and leak["dropped"] == int(sensitive.isna().sum()) > 0
    assert leak["n"] + leak["dropped"] == 600


def test_proxy_leakage_refuses_bad_inputs():
    features, sensitive = _synthetic(60)
    with pytest.raises(ValueError, match="that is the point"):
        proxy_leakage(features.assign(is_female=sensitive), sensitive)
    with pytest.raises(ValueError, match="nothing to predict"):
        proxy_leakage(features, pd.Series(True, index=features.index))
    with pytest.raises(ValueError, match="different indexes"):
        proxy_leakage(features, sensitive.set_axis(range(1, 61)))
    rare = pd.Series(["a"] * 58 + ["b"] * 2)
    with pytest.raises(ValueError, match="'b' has 2 rows"):
        proxy_leakage(features, rare)


def test_selection_rates_by_hand():
    group = pd.Series(["a"] * 4 + ["b"] * 4 + [None] * 2, name="region")
    selected = pd.Series([True, True, True, True, True, True, False, False, True, False])
    out = selection_rates(selected, group)
    assert out.index.tolist() == ["a", "b", "missing"] and out.index.name == "region"
    assert out["customers"].tolist() == [4, 4, 2] and out["selected"].tolist() == [4, 2, 1]
    assert out["rate"].tolist() == [1.0, 0.5, 0.5] and out["ratio_to_highest"].tolist() == [1.0, 0.5, 0.5]
    assert out["flag"].tolist() == [False, True, True]
    # rates 0.3 and 0.4: ratio 0.75 is flagged; rates 0.5 and 0.4: ratio 0.8 itself is not
    below = selection_rates(pd.Series([1, 0, 1, 1, 0, 0, 0, 0, 0, 0] + [1, 1, 0, 0, 0] * 2),
                            pd.Series(["x"] * 10 + ["y"] * 10))
    assert np.allclose(below["ratio_to_highest"], [0.75, 1.0]) and below["flag"].tolist() == [True, False]
    at = selection_rates(pd.Series([1] * 5 + [0] * 5 + [1] * 4 + [0] * 6), pd.Series(["x"] * 10 + ["y"] * 10))
    assert at["ratio_to_highest"].tolist() == [1.0, 0.8] and not at["flag"].any()
    # 4/12 over 5/12 is 4/5 but 0.7999... in floating point: still not flagged
    exact = selection_rates(pd.Series([1] * 5 + [0] * 7 + [1] * 4 + [0] * 8), pd.Series(["x"] * 12 + ["y"] * 12))
    assert exact["ratio_to_highest"].iloc[1] < 0.8 and not exact["flag"].any()
    nobody = selection_rates(pd.Series([False] * 4), pd.Series(["a", "a", "b", "b"]))
    assert nobody["ratio_to_highest"].isna().all() and not nobody["flag"].any()


def test_selection_rates_refuse_bad_inputs():
    with pytest.raises(ValueError, match="True/False"):
        selection_rates(pd.Series([0, 2]), pd.Series(["a", "b"]))
    with pytest.raises(ValueError, match="missing values"):
        selection_rates(pd.Series([True, None]), pd.Series(["a", "b"]))
    with pytest.raises(ValueError, match="different indexes"):
        selection_rates(pd.Series([True, False], index=[1, 2]), pd.Series(["a", "b"]))


# --------------------------------------------------------------------------- granularity
def test_granularity_economics_and_curve_by_hand():
    economics = granularity_economics(pd.Series([500.0, 120.0, 0.0, -40.0], index=list("abcd")), 100.0)
    assert economics.to_dict() == {"segments_used": 2, "gross_profit": 620.0, "fixed_costs": 200.0,
                                   "net_profit": 420.0}
    curve = granularity_curve({8: pd.Series([150.0] * 6 + [30.0, -10.0]),  # 6 pay their $100: 900 - 600
                               1: pd.Series([600.0]),
                               3: pd.Series([400.0, 300.0, 20.0])}, 100.0)
    assert curve.index.tolist() == [1, 3, 8] and curve.index.name == "segments_offered"
    assert list(curve.columns) == ["segments_used", "gross_profit", "fixed_costs", "net_profit"]
    assert curve["segments_used"].tolist() == [1, 2, 6] and curve["segments_used"].dtype == "int64"
    assert curve["net_profit"].tolist() == [500.0, 500.0, 300.0]  # finer is not always better
    with pytest.raises(ValueError, match=r"missing for 1 segment\(s\), e.g. \['b'\]"):
        granularity_economics(pd.Series([1.0, np.nan], index=["a", "b"]), 10.0)
    with pytest.raises(ValueError, match="fixed_cost_per_segment"):
        granularity_economics(pd.Series([1.0]), -1.0)


def test_minimum_viable_size():
    assert minimum_viable_size(50.0, 0.02, 0.5, 500.0) == 1000.0  # 0.02 * 50 - 0.5 = 0.5 per contact
    assert minimum_viable_size(80.0, 0.05, 1.0, 300.0) == 100.0
    assert math.isinf(minimum_viable_size(50.0, 0.01, 0.5, 500.0))  # uplift * margin = cost: never pays
    assert math.isinf(minimum_viable_size(50.0, -0.01, 0.0, 500.0))
    assert minimum_viable_size(50.0, 0.02, 0.5, 0.0) == 0.0
    assert minimum_viable_size(80.0, 0.05, 1.0, 300.0, subsidy_per_contact=1.5) == 200.0  # 4 - 1 - 1.5 = 1.5
    assert math.isinf(minimum_viable_size(80.0, 0.05, 1.0, 300.0, subsidy_per_contact=3.0))
    with pytest.raises(ValueError, match="subsidy_per_contact"):
        minimum_viable_size(80.0, 0.05, 1.0, 300.0, subsidy_per_contact=-1.0)
    with pytest.raises(ValueError, match="fixed_cost_per_segment"):
        minimum_viable_size(50.0, 0.02, 0.5, -1.0)


# --------------------------------------------------------------------------- contact fatigue
def test_contacts_in_window_bounds():
    history = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 3],
                            "contact_date": pd.to_datetime(["2024-02-09", "2024-02-10", "2024-03-10", "2024-03-11",
                                                            "2024-03-01", "2023-12-01"])})
    # window (2024-02-09, 2024-03-10]: the left end is out, as_of is in, later contacts are out
    counts = contacts_in_window(history, "2024-03-10", window_days=30)
    assert counts.to_dict() == {1: 2, 2: 1} and counts.name == "contacts"
    assert contacts_in_window(history, pd.Timestamp("2024-03-11"), 1).to_dict() == {2: 1}
    as_text = history.assign(contact_date=history["contact_date"].dt.strftime("%Y-%m-%d"))
    assert contacts_in_window(as_text, "2024-03-10", 30).to_dict() == {1: 2, 2: 1}
    assert contacts_in_window(history, "2020-01-01", 30).empty
    with pytest.raises(KeyError, match="'contact_date'"):
        contacts_in_window(history.drop(columns="contact_date"), "2024-03-10", 30)
    with pytest.raises(ValueError, match="window_days"):
        contacts_in_window(history, "2024-03-10", 0)
