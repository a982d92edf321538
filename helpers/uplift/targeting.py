"""Decisions from scores: whom each method would contact, what the test says that brings, sleeping dogs, repeated splits.

Nothing here reads the truth: :mod:`helpers.grading` takes these decisions
(e.g. :func:`targeted_customers`) and the world and returns the true numbers.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .checks import Column, _count, _inputs
from .curves import _top, _uplift_in, qini_auc, uplift_at_k
from .models import fit_uplift_models, holdout_split, score_all, segment_effect_score


def targeted_customers(scores: pd.DataFrame, share: float = 0.3, random_state: int | None = None) -> pd.DataFrame:
    """Whom each method would contact: True for the top ceil(share x n) customers by each score (column).

    Ties at the cut are settled as in :func:`~helpers.uplift.uplift_at_k` (a
    shuffle with random_state 0), so row order does not decide who gets in. With
    ``random_state``: a ``random`` column (a seeded random score) for reference.

    >>> targeted_customers(pd.DataFrame({"model": [4, 3, 2, 1]}, index=[11, 12, 13, 14]), share=0.5)["model"].tolist()
    [True, True, False, False]
    """
    scores = scores if isinstance(scores, pd.DataFrame) else pd.DataFrame(scores)
    methods = dict(scores.items())
    if random_state is not None:
        if "random" in methods:
            raise ValueError("scores already has a column 'random'; rename it or leave out random_state")
        methods["random"] = np.random.default_rng(random_state).random(len(scores))
    count = _count(share, len(scores), name="share")
    return pd.DataFrame({name: _top(_inputs(**{f"score {name!r}": score})[0], count)  # one pass per method
                         for name, score in methods.items()}, index=scores.index)


def targeting_comparison(scores: pd.DataFrame, outcome: Column, treated: Column, share: float = 0.3,
                         value_per_conversion: float = 0.0, cost_per_contact: float = 0.0,
                         random_state: int | None = None, offer_cost_per_buyer: float = 0.0) -> pd.DataFrame:
    """What contacting the top ``share`` by each score (column) would bring by the test's outcomes, one row per method.

    ``targeted`` = ceil(share x n) (who: :func:`targeted_customers`);
    ``uplift_at_k`` among them; ``incremental_conversions`` = uplift_at_k x
    targeted (in the outcome's units); ``incremental_profit`` = that x
    value_per_conversion - targeted x cost_per_contact - the offer given to
    targeted customers who would have converted anyway:
    ``offer_cost_per_buyer`` x the control arm's conversion rate among the
    targeted x targeted. Targeting likely buyers pays that subsidy most. With
    ``random_state``: a "random" row (seeded random score) for reference. On
    synthetic data, :func:`helpers.grading.true_targeting_value` adds what the
    same targets truly bring.

    >>> scores = pd.DataFrame({"model": [4, 3, 2, 1]})
    >>> targeting_comparison(scores, [1, 0, 0, 1], [True, False, True, False], share=0.5)["uplift_at_k"].tolist()
    [1.0]
    """
    scores = scores if isinstance(scores, pd.DataFrame) else pd.DataFrame(scores)
    y, t = _inputs(rows=scores, outcome=outcome, treated=treated)
    t = t.astype(bool)
    chosen = targeted_customers(scores, share, random_state)
    rows = {}
    for name, column in chosen.items():
        top = column.to_numpy()
        targeted = int(top.sum())
        effect = _uplift_in(y, t, top)
        anyway = float(y[top & ~t].mean()) if (top & ~t).any() else float("nan")
        subsidy = offer_cost_per_buyer * (anyway if offer_cost_per_buyer else 0.0) * targeted
        rows[name] = {"targeted": targeted, "uplift_at_k": effect, "incremental_conversions": effect * targeted,
                      "incremental_profit": effect * targeted * value_per_conversion - targeted * cost_per_contact
                      - subsidy}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def split_scores(features: pd.DataFrame, treated: pd.Series, outcome: pd.Series, random_states: Sequence[int] = (0, 1, 2),
                 segments: dict[str, pd.Series] | None = None, test_share: float = 0.5, estimator=None,
                 by_outcome: bool = False) -> dict[int, pd.DataFrame]:
    """Fit every method on several random splits; per random_state, the held-out customers' scores (one column per method).

    Methods: the three models of :func:`~helpers.uplift.fit_uplift_models`
    (with ``estimator``, by default :func:`~helpers.uplift.default_estimator`)
    and, for each named labelling in ``segments``,
    :func:`~helpers.uplift.segment_effect_score`. Each split is
    :func:`~helpers.uplift.holdout_split` by arm, and by outcome too with
    ``by_outcome``. Each frame is indexed by the held-out rows of ``features``;
    :func:`judge_splits` judges them on the outcomes,
    :func:`helpers.grading.grade_splits` against the truth.
    """
    splits = {}
    for random_state in random_states:
        held_out = holdout_split(treated, test_share=test_share, random_state=random_state,
                                 outcome=outcome if by_outcome else None)
        fitting = ~held_out
        models = fit_uplift_models(features[fitting], treated[fitting], outcome[fitting], random_state=random_state,
                                   estimator=estimator)
        scores = score_all(models, features[held_out])
        for name, labels in (segments or {}).items():
            scores[name] = segment_effect_score(labels, outcome, treated, fitting)[held_out].to_numpy()
        splits[random_state] = scores
    return splits


def judge_splits(splits: dict[int, pd.DataFrame], outcome: pd.Series, treated: pd.Series, k: float = 0.3) -> pd.DataFrame:
    """One row per (split, method) of :func:`split_scores`: ``qini_auc`` (normalized) and ``uplift_at_k`` on the held-out."""
    rows = []
    for random_state, scores in splits.items():
        y, t = outcome.loc[scores.index], treated.loc[scores.index]
        for name, score in scores.items():
            rows.append({"split": random_state, "method": name, "qini_auc": qini_auc(y, t, score),
                         "uplift_at_k": uplift_at_k(y, t, score, k=k)})
    return pd.DataFrame(rows)


def evaluate_on_splits(features: pd.DataFrame, treated: pd.Series, outcome: pd.Series, random_states: Sequence[int] = (0, 1, 2),
                       segments: dict[str, pd.Series] | None = None, test_share: float = 0.5,
                       k: float = 0.3, estimator=None, by_outcome: bool = False) -> pd.DataFrame:
    """Fit and judge every method on several random splits: one row per (split, method).

    One split's ranking of methods can be luck; the spread across splits shows
    how much. :func:`split_scores` then :func:`judge_splits`: columns
    ``qini_auc`` (normalized) and ``uplift_at_k``.
    """
    splits = split_scores(features, treated, outcome, random_states, segments, test_share, estimator, by_outcome)
    return judge_splits(splits, outcome, treated, k=k)


def sleeping_dogs(score: Column, threshold: float = 0.0) -> pd.Series:
    """True where the estimated effect of contact is below ``threshold`` (by default: negative).

    Contact is expected to *lower* their outcome (they are annoyed, unsubscribe,
    or are reminded to cancel), so leave them out even if they look like buyers.

    >>> sleeping_dogs(pd.Series([0.02, -0.01, 0.0])).tolist()
    [False, True, False]
    """
    score = score if isinstance(score, pd.Series) else pd.Series(np.asarray(score))
    return (score < threshold).rename("sleeping_dog")
