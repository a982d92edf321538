"""Grading against the hidden truth: the only code that reads ``datasets/hidden/``.

The synthetic world knows what a real customer base never does: each
customer's persona and true reaction to the campaign. Methods never see it.
They make their choices (segments, scores, whom to contact), and the functions
here take those choices and the world (a :class:`~helpers.data.World`, a world
folder, or a truth table as :func:`load_hidden_truth` returns it) and give back
the graded numbers: how well segments recover the personas, how well a score
orders the true effects, what a targeting truly brings.

>>> truth = pd.DataFrame({"customer_id": [1, 2, 3, 4], "persona": ["a", "a", "b", "b"],
...                       "true_uplift": [0.3, 0.2, -0.1, 0.0]})
>>> persona_recovery(truth, pd.Series(["x", "x", "y", "y"], index=[1, 2, 3, 4]))
1.0
>>> ordering_quality([0.3, 0.2, -0.1, 0.0], [4, 3, 1, 2])
1.0
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from .data import DEFAULT_DATA_DIR, World, _find_file, parse_column
from .validation import Ledger, ValueParser
from .schema import HIDDEN_SCHEMA
from .segments import mixing_table
from .uplift.checks import Column, _count, _inputs
from .uplift.curves import _area, _blocks, _curve, _normalized, _top

HIDDEN_FOLDER = "hidden"
Truth = World | str | Path | pd.DataFrame | None


# --------------------------------------------------------------------------- the truth, read here only
def load_hidden_truth(source: str | Path | World | None = None) -> pd.DataFrame:
    """The generator's hidden truth (persona, true campaign effect), typed by the data contract, for grading.

    ``source`` is a world folder, or a :class:`World` loaded by
    :func:`~helpers.data.load_world` (its folder is used); the committed
    sample by default. Lessons never hold this table: they call the grading
    functions below after a method has made its choices. A real customer base
    has no such table.
    """
    if isinstance(source, World):
        source = source.meta.get("folder")
    folder = Path(source) if source is not None else DEFAULT_DATA_DIR
    path = _find_file(folder / HIDDEN_FOLDER, "truth")
    return _read_truth(str(path), path.stat().st_mtime_ns).copy()


@lru_cache(maxsize=4)
def _read_truth(path: str, modified: int) -> pd.DataFrame:
    """The parsed truth file, cached per file and modification time (a lesson grades many times)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    parser = ValueParser("truth", frame, Ledger("truth", frame))
    return pd.DataFrame({col.name: parse_column(parser, col) for col in HIDDEN_SCHEMA["truth"]})


def _truth(world: Truth, customers: pd.Index | None = None) -> pd.DataFrame:
    """The truth indexed by customer id, for ``customers`` (in their order) when given; unknown ids are refused."""
    table = world if isinstance(world, pd.DataFrame) else load_hidden_truth(world)
    if "customer_id" in table.columns:
        table = table.set_index("customer_id")
    if customers is None:
        return table
    missing = pd.Index(customers).difference(table.index)
    if len(missing):
        raise ValueError(f"table 'truth', column 'customer_id': {len(missing)} customer(s) to grade have no truth, "
                         f"e.g. {missing[:5].tolist()}; grade customers of the same world")
    return table.loc[customers]


# --------------------------------------------------------------------------- segments against the personas
def persona_recovery(world: Truth, labels: pd.Series) -> float:
    """Adjusted Rand index of segment ``labels`` (indexed by customer id) against the hidden personas.

    Only customers with a label count (a segment scheme may leave some out);
    1 = the personas exactly (whatever the names), about 0 = no better than
    chance, rounded to 3 decimals.

    >>> truth = pd.DataFrame({"customer_id": [1, 2, 3, 4], "persona": ["a", "a", "b", "b"]})
    >>> persona_recovery(truth, pd.Series(["x", "y", "x", None], index=[1, 2, 3, 4]))
    -0.5
    """
    labelled = labels[labels.notna()]
    personas = _truth(world, labelled.index)["persona"]
    keep = personas.notna().to_numpy()
    return round(float(adjusted_rand_score(personas[keep].astype(str), labelled[keep].astype(str))), 3)


def mixing_with_truth(world: Truth, measures: pd.DataFrame, schemes: pd.DataFrame) -> pd.DataFrame:
    """:func:`~helpers.segments.mixing_table` with the truth added: the measure ``true uplift`` and the scheme ``hidden persona``.

    ``true uplift`` counts campaign-eligible customers only; both are read for
    the customers (index) of ``measures``, who must be those of ``schemes``.
    """
    truth = _truth(world, measures.index)
    measures = measures.assign(**{"true uplift": truth["true_uplift"].where(truth["campaign_eligible"])})
    schemes = schemes.assign(**{"hidden persona": truth["persona"]})
    return mixing_table(measures, schemes)


def lapsed_share(world: Truth, groups: pd.Series) -> pd.Series:
    """Share of each group's customers (``groups`` indexed by customer id) whose hidden lapse date is past by the as-of day.

    >>> truth = pd.DataFrame({"customer_id": [1, 2, 3], "lapsed_by_as_of": [True, False, True]})
    >>> lapsed_share(truth, pd.Series(["a", "a", "b"], index=[1, 2, 3], name="stage")).tolist()
    [0.5, 1.0]
    """
    lapsed = _truth(world, groups.index)["lapsed_by_as_of"].astype(float)
    return lapsed.groupby(groups, observed=False).mean()


def lapse_detection(world: Truth, scores: pd.DataFrame, on: str | pd.Timestamp) -> pd.DataFrame:
    """How well each score (a column; higher = more likely gone) finds the customers whose hidden lapse date is on or before ``on``.

    Per score: the AUC at telling truly lapsed customers from the rest (0.5 =
    chance, 1 = perfect) and the share truly lapsed among the tenth it ranks
    highest; the truly lapsed share of all the customers scored is in the
    ``lapsed_share`` column. Rows are sorted best first.

    >>> truth = pd.DataFrame({"customer_id": [1, 2, 3, 4], "lapse_date": pd.to_datetime(["2026-01-01", "2027-01-01",
    ...                       "2026-02-01", "2027-01-01"])})
    >>> lapse_detection(truth, pd.DataFrame({"good": [0.9, 0.1, 0.8, 0.2], "bad": [0.1, 0.9, 0.2, 0.8]}, index=[1, 2, 3, 4]),
    ...                 "2026-06-30")["auc_true_lapse"].tolist()
    [1.0, 0.0]
    """
    from sklearn.metrics import roc_auc_score

    lapsed = (_truth(world, scores.index)["lapse_date"] <= pd.Timestamp(on)).to_numpy()
    if lapsed.all() or not lapsed.any():
        raise ValueError(f"every customer scored is {'lapsed' if lapsed.all() else 'active'} on {pd.Timestamp(on).date()}: "
                         "nothing to tell apart")
    rows = {}
    for name in scores.columns:
        score = scores[name].to_numpy(float)
        top = score >= np.quantile(score, 0.9)
        rows[name] = {"auc_true_lapse": round(float(roc_auc_score(lapsed, score)), 3),
                      "lapsed_in_top_tenth": round(float(lapsed[top].mean()), 3),
                      "lapsed_share": round(float(lapsed.mean()), 3)}
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("score")
    return table.sort_values("auc_true_lapse", ascending=False, kind="stable")


def persona_mix(world: Truth, customers: pd.Index | pd.Series) -> pd.Series:
    """Share of each hidden persona among ``customers`` (ids, or a True/False Series indexed by id), largest first."""
    if isinstance(customers, pd.Series) and pd.api.types.is_bool_dtype(customers):
        customers = customers.index[customers.to_numpy()]
    return _truth(world, pd.Index(customers))["persona"].value_counts(normalize=True)


def effect_by_persona(world: Truth) -> pd.DataFrame:
    """Per hidden persona, among campaign-eligible customers: the mean true effect of the email and the share it harms."""
    eligible = _truth(world)
    eligible = eligible[eligible["campaign_eligible"]]
    return eligible.groupby("persona", observed=True)["true_uplift"].agg(
        mean_effect="mean", share_harmed=lambda e: (e < 0).mean())


# --------------------------------------------------------------------------- scores against the true effect
def true_gain_curve(true_effect: Column, score: Column) -> pd.DataFrame:
    """Sum of the true effects of the top ``targeted`` by score (read at the ends of blocks of ties).

    >>> true_gain_curve([0.3, -0.1, 0.2], [3, 2, 1])["gain"].round(2).tolist()
    [0.0, 0.3, 0.2, 0.4]
    """
    effect, s = _inputs(true_effect=true_effect, score=score)
    targeted, (gain,) = _blocks(s, effect)
    return _curve(targeted, "gain", gain)


def ordering_quality(true_effect: Column, score: Column) -> float:
    """(area - random) / (perfect - random) under :func:`true_gain_curve`: 1 = the true order, 0 = random.

    Perfect sorts by the true effect; NaN when every customer has the same effect.

    >>> ordering_quality([0.3, -0.1, 0.2], [0.9, 0.1, 0.5])
    1.0
    """
    model, perfect = true_gain_curve(true_effect, score), true_gain_curve(true_effect, true_effect)
    return _normalized(_area(model, "gain"), _area(perfect, "gain"), model["gain"].iloc[-1])


def _share_of_perfect(effect: np.ndarray, top: np.ndarray) -> float:
    best = np.sort(effect)[::-1][:top.sum()].sum()
    return float(effect[top].sum() / best) if best > 0 else float("nan")


def share_of_perfect_at_k(true_effect: Column, score: Column, k: float = 0.3) -> float:
    """True effects summed over the top ceil(k x n) by score, over the same for the top by true effect.

    Ties at the cut are settled as in :func:`~helpers.uplift.uplift_at_k`; NaN
    when the best possible sum is not positive.

    >>> share_of_perfect_at_k([0.4, -0.1, 0.2, 0.0], [4, 3, 2, 1], k=0.5)
    0.5
    """
    effect, s = _inputs(true_effect=true_effect, score=score)
    return _share_of_perfect(effect, _top(s, _count(k, len(s))))


def score_quality(world: Truth, scores: pd.DataFrame, k: float = 0.3) -> pd.DataFrame:
    """Per method (column of ``scores``, indexed by customer id): ``ordering_quality`` and ``share_of_perfect`` at ``k``."""
    effect = _truth(world, scores.index)["true_uplift"]
    return pd.DataFrame({name: {"ordering_quality": ordering_quality(effect, score),
                                "share_of_perfect": share_of_perfect_at_k(effect, score, k=k)}
                         for name, score in scores.items()}).T.rename_axis("method")


def grade_splits(world: Truth, splits: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """One row per (split, method) of :func:`helpers.uplift.split_scores`: ``ordering_quality`` on that split's held-out."""
    rows = []
    for random_state, scores in splits.items():
        effect = _truth(world, scores.index)["true_uplift"]
        rows += [{"split": random_state, "method": name, "ordering_quality": ordering_quality(effect, score)}
                 for name, score in scores.items()]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- decisions against the true effect
def true_incremental(world: Truth, customers: pd.Index) -> float:
    """True incremental conversions from contacting all of ``customers``: the sum of their true effects."""
    return float(_truth(world, pd.Index(customers))["true_uplift"].sum())


def true_targeting_value(world: Truth, targeted: pd.DataFrame, value_per_conversion: float = 0.0,
                         cost_per_contact: float = 0.0, offer_cost_per_buyer: float = 0.0) -> pd.DataFrame:
    """What each method's targets (columns of ``targeted``, True = contacted) truly bring, one row per method.

    ``targeted`` is :func:`helpers.uplift.targeted_customers`, indexed by
    customer id. ``true_incremental`` sums the targets' true effects;
    ``true_profit`` = that x value_per_conversion - contacts x cost_per_contact
    - offer_cost_per_buyer x the targets' summed true chance of converting
    without contact (the buyers-anyway the offer subsidizes);
    ``share_of_perfect`` is true_incremental over the best any as many
    customers could bring.

    >>> truth = pd.DataFrame({"customer_id": [1, 2, 3, 4], "true_uplift": [0.5, 0.0, 0.4, -0.2],
    ...                       "p_convert_control": [0.1, 0.1, 0.1, 0.1]})
    >>> chosen = pd.DataFrame({"model": [True, False, True, False]}, index=[1, 2, 3, 4])
    >>> true_targeting_value(truth, chosen, value_per_conversion=10)["true_incremental"].round(2).tolist()
    [0.9]
    """
    truth = _truth(world, targeted.index)
    effect = truth["true_uplift"].to_numpy(float)
    baseline = truth["p_convert_control"].to_numpy(float)
    rows = {}
    for name, column in targeted.items():
        top = column.to_numpy(bool)
        gained = float(effect[top].sum())
        rows[name] = {"true_incremental": gained,
                      "true_profit": gained * value_per_conversion - top.sum() * cost_per_contact
                      - offer_cost_per_buyer * float(baseline[top].sum()),
                      "share_of_perfect": _share_of_perfect(effect, top)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def grade_exclusions(world: Truth, flags: Mapping[str, pd.Series]) -> pd.DataFrame:
    """For each flag (True = leave the customer out; indexed by customer id): how many, how truly harmed, what is left.

    Columns: ``customers flagged``, ``truly harmed (share)`` (true effect below
    0), ``true effect of the flagged (mean)`` and ``true incremental buyers
    without them`` (contacting everyone else).
    """
    rows = {}
    for name, flag in flags.items():
        effect = _truth(world, flag.index)["true_uplift"]
        chosen = flag.to_numpy(bool)
        rows[name] = {"customers flagged": int(chosen.sum()), "truly harmed (share)": (effect[chosen] < 0).mean(),
                      "true effect of the flagged (mean)": effect[chosen].mean(),
                      "true incremental buyers without them": effect[~chosen].sum()}
    return pd.DataFrame(rows).T
