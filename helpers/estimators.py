"""The kit's one recipe for a linear model on customer features, shared by the prediction and uplift helpers."""
from __future__ import annotations

from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


def logistic_on_features(C: float = 1.0) -> Pipeline:
    """Logistic regression on standardized features; a missing value is filled with the median and flagged.

    Customer features have gaps by design (no browsing yet, no repeat order to
    average): the median fills them and a 0/1 column per gappy feature says
    where, so "unknown" stays distinguishable. A column empty in the training
    data is kept (filled with 0), so the model's columns never depend on which
    customers are in a period. ``C`` is the inverse of the regularization
    strength (smaller: stronger).

    >>> logistic_on_features(C=0.1)[-1]
    LogisticRegression(C=0.1, max_iter=5000)
    """
    return make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                         StandardScaler(), LogisticRegression(C=C, max_iter=5000))
