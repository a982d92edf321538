"""Uplift models (two-model, class transformation, the response model to compare with), hold-out splits, segment effects."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ..estimators import logistic_on_features
from .checks import Column, _inputs, _need_arms


def _expected(model, features) -> np.ndarray:
    """P(outcome = 1) from a classifier, the predicted value from a regressor."""
    return model.predict_proba(features)[:, 1] if is_classifier(model) else model.predict(features)


def default_estimator(binary: bool = True, random_state: int = 0):
    """The estimator an uplift model uses when none is passed: one rule for the three models.

    For a 0/1 outcome, a logistic regression on standardized features with
    strong regularization (``C=0.1``), missing values filled with the median
    and flagged. For amounts such as revenue, gradient boosting
    (``HistGradientBoostingRegressor(max_iter=100, learning_rate=0.05)``).

    Why logistic regression: an uplift is a small difference between two
    noisy predictions, and a smooth, heavily regularized model keeps that
    difference steady. Against the earlier default (gradient boosting, same
    features) it orders the sample's true effects better (mean ordering
    quality over lesson 06's three splits: two-model 0.390 to 0.493, class
    transformation 0.192 to 0.343) and raises uplift@30% on the real
    Hillstrom test (mean of ten splits: 0.069 to 0.075 and 0.067 to 0.076);
    ``benchmarks/bench_hillstrom.py`` measures both. Pass ``estimator=`` to
    use another.

    >>> default_estimator(binary=True)[-1]
    LogisticRegression(C=0.1, max_iter=5000)
    """
    if not binary:
        return HistGradientBoostingRegressor(max_iter=100, learning_rate=0.05, random_state=random_state)
    return logistic_on_features(C=0.1)


def _weight_name(model) -> str:
    """The fit keyword for sample weights: a Pipeline takes them as ``<last step>__sample_weight``."""
    return f"{model.steps[-1][0]}__sample_weight" if isinstance(model, Pipeline) else "sample_weight"


class _UpliftModel(BaseEstimator):
    arms: tuple[str, ...] = ("treated", "control")  # the arms fit() learns from

    def __init__(self, estimator=None, random_state: int = 0):
        self.estimator = estimator
        self.random_state = random_state

    def _data(self, features, treated, outcome, binary_only: bool = False):
        """Checked arrays and a fresh estimator; refuses, naming the arm, what the estimator cannot learn from."""
        y, t = _inputs(rows=features, outcome=outcome, treated=treated)
        _need_arms(t, self.arms, why=f": {type(self).__name__} learns from it")
        binary = bool(np.isin(y, [0, 1]).all())
        model = clone(self.estimator) if self.estimator is not None else default_estimator(binary, self.random_state)
        if (binary_only or is_classifier(model)) and not binary:
            raise ValueError(f"{type(self).__name__} with {type(model).__name__} needs a 0/1 outcome"
                             + ("" if binary_only else "; pass a regressor for amounts such as revenue"))
        for arm in self.arms if is_classifier(model) else ():
            values = np.unique(y[t if arm == "treated" else ~t])
            if len(values) < 2:
                raise ValueError(f"the outcome has one value only ({values[0]:g}) in the {arm} arm; "
                                 "a classifier cannot learn from it")
        return y, t, model


class TwoModelUplift(_UpliftModel):
    """T-learner: a model of the outcome per arm; uplift = treated prediction - control prediction.

    Uses P(outcome = 1) from a classifier and the prediction of a regressor (for
    amounts such as revenue). Default: :func:`default_estimator`.

    >>> from sklearn.dummy import DummyClassifier  # predicts each arm's rate
    >>> x = pd.DataFrame({"a": range(8)}); treated = [True] * 4 + [False] * 4
    >>> TwoModelUplift(DummyClassifier()).fit(x, treated, [1, 1, 1, 0, 1, 0, 0, 0]).predict(x[:2]).tolist()
    [0.5, 0.5]
    """

    def fit(self, features, treated, outcome) -> TwoModelUplift:
        y, t, model = self._data(features, treated, outcome)
        self.treated_model_ = model.fit(features[t], y[t])
        self.control_model_ = clone(model).fit(features[~t], y[~t])
        return self

    def predict(self, features) -> np.ndarray:
        check_is_fitted(self)
        return _expected(self.treated_model_, features) - _expected(self.control_model_, features)


class ClassTransformationUplift(_UpliftModel):
    """One model of z = 1 if (treated and converted) or (control and not); uplift = 2 P(z = 1 | x) - 1.

    Jaskowski & Jaroszewicz (2012); 0/1 outcomes only. The identity assumes half
    the customers were treated: with a treated share p other than 0.5 the model
    is fitted with sample weights 0.5 / p (treated) and 0.5 / (1 - p) (control),
    so both arms weigh the same (the estimator must accept ``sample_weight``).

    >>> from sklearn.dummy import DummyClassifier
    >>> x = pd.DataFrame({"a": range(8)}); treated = [True] * 4 + [False] * 4
    >>> ClassTransformationUplift(DummyClassifier()).fit(x, treated, [1, 1, 1, 0, 1, 0, 0, 0]).predict(x[:2]).tolist()
    [0.5, 0.5]
    """

    def fit(self, features, treated, outcome) -> ClassTransformationUplift:
        y, t, model = self._data(features, treated, outcome, binary_only=True)
        p = t.mean()
        weights = {} if np.isclose(p, 0.5) else {_weight_name(model): np.where(t, 0.5 / p, 0.5 / (1 - p))}
        self.model_ = model.fit(features, (t == (y == 1)).astype(int), **weights)
        return self

    def predict(self, features) -> np.ndarray:
        check_is_fitted(self)
        return 2 * _expected(self.model_, features) - 1


class ResponseModel(_UpliftModel):
    """The classic "likely buyers" model: P(outcome | x) among the treated (expected amount with a regressor).

    A score, not an uplift: it also ranks high those who would buy anyway; it
    is here to be compared with the uplift models.

    >>> from sklearn.dummy import DummyClassifier
    >>> x = pd.DataFrame({"a": range(8)}); treated = [True] * 4 + [False] * 4
    >>> ResponseModel(DummyClassifier()).fit(x, treated, [1, 1, 1, 0, 1, 0, 0, 0]).predict(x[:2]).tolist()
    [0.75, 0.75]
    """

    arms = ("treated",)

    def fit(self, features, treated, outcome) -> ResponseModel:
        y, t, model = self._data(features, treated, outcome)
        self.model_ = model.fit(features[t], y[t])
        return self

    def predict(self, features) -> np.ndarray:
        check_is_fitted(self)
        return _expected(self.model_, features)


def holdout_split(treated: pd.Series, test_share: float = 0.5, random_state: int = 0,
                  outcome: Column | None = None) -> pd.Series:
    """True for customers held out to judge the models: a seeded random ``test_share`` of *each* arm.

    Splitting each arm separately keeps the treated share the same on both
    sides. With ``outcome`` (0/1 or a few values, such as a visit flag), each
    arm is split within each outcome value too, so both halves also keep the
    same response rate per arm: the split behind published figures for the
    Hillstrom test ("stratified by arm and outcome").

    >>> split = holdout_split(pd.Series([True] * 4 + [False] * 6), test_share=0.5)
    >>> int(split.sum()), int(split[:4].sum())
    (5, 2)
    """
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be strictly between 0 and 1, got {test_share}")
    if outcome is None:
        t = _inputs(treated=treated)[0].astype(bool)
        strata = (~t).astype(int)  # the treated arm first, then the control arm
    else:
        t, y = _inputs(treated=treated, outcome=outcome)
        values, y_codes = np.unique(y, return_inverse=True)
        if len(values) > 10:
            raise ValueError(f"outcome has {len(values)} distinct values: stratify by a 0/1 or few-valued outcome "
                             "(a conversion flag, not the spend)")
        strata = 2 * y_codes + (~t).astype(int)
    rng = np.random.default_rng(random_state)
    test = np.zeros(len(t), dtype=bool)
    for stratum in np.unique(strata):  # ascending: the same draws for the same data
        rows = np.flatnonzero(strata == stratum)
        test[rng.permutation(rows)[:int(round(test_share * len(rows)))]] = True
    index = treated.index if isinstance(treated, pd.Series) else pd.RangeIndex(len(t))
    return pd.Series(test, index=index, name="held_out")


def segment_effect_score(segments: pd.Series, outcome: Column, treated: Column, fit_rows: pd.Series,
                         min_arm: int = 30) -> pd.Series:
    """Each customer's score = the effect measured in their segment on the ``fit_rows`` only.

    Targeting by segment is an uplift model too, with one number per segment.
    A segment with fewer than ``min_arm`` fitting customers in an arm gets the
    effect over all fitting customers.

    >>> segments = pd.Series(["a", "a", "b", "b", "a", "b"])
    >>> score = segment_effect_score(segments, [1, 0, 0, 1, 1, 0], [True, False, True, False, True, False],
    ...                              fit_rows=pd.Series([True] * 4 + [False] * 2), min_arm=1)
    >>> score.tolist()
    [1.0, 1.0, -1.0, -1.0, 1.0, -1.0]
    """
    y, t, fit = _inputs(rows=segments, outcome=outcome, treated=treated, fit_rows=fit_rows)
    fit, t = fit.astype(bool), t.astype(bool)
    frame = pd.DataFrame({"segment": segments.to_numpy(), "y": y, "t": t})[fit]
    _need_arms(frame["t"].to_numpy(), why=" among the fitting rows")
    overall = frame.loc[frame["t"], "y"].mean() - frame.loc[~frame["t"], "y"].mean()
    arms = frame.groupby(["segment", "t"])["y"].agg(["mean", "size"]).unstack("t")
    enough = (arms["size"].fillna(0) >= min_arm).all(axis=1)
    effect = (arms["mean"][True] - arms["mean"][False]).where(enough, overall)
    per_customer = segments.astype("object").map(effect).astype("float64")  # categorical labels map to categories
    return pd.Series(per_customer.fillna(overall).to_numpy(float), index=segments.index, name="segment_effect")


def fit_uplift_models(features: pd.DataFrame, treated: Column, outcome: Column, random_state: int = 0,
                      estimator=None) -> dict[str, object]:
    """The three models, fitted, each with ``estimator`` (by default :func:`default_estimator`).

    Regularized logistic regression for a 0/1 outcome, gradient boosting for
    amounts; class transformation is left out when the outcome is not 0/1.
    """
    binary = bool(np.isin(_inputs(outcome=outcome)[0], [0, 1]).all())
    kinds = {"two-model uplift": TwoModelUplift, "class transformation": ClassTransformationUplift,
             "response model": ResponseModel}
    models = {name: kind(estimator, random_state=random_state) for name, kind in kinds.items()}
    return {name: model.fit(features, treated, outcome) for name, model in models.items()
            if binary or name != "class transformation"}


def score_all(models: dict[str, object], features: pd.DataFrame) -> pd.DataFrame:
    """Every model's score of every customer: one column per model, indexed like ``features``."""
    index = features.index if isinstance(features, pd.DataFrame) else pd.RangeIndex(len(features))
    return pd.DataFrame({name: model.predict(features) for name, model in models.items()}, index=index)
