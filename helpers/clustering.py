"""Micro-segments by clustering: features, choosing k, nested fits inside macro segments, profiles, rules, stability.

The recipe of lesson 03, one function per step:

1. :func:`clustering_features`: what a customer bought, how they shop and
   browse, what they said in the survey and their interests, as numbers;
2. :func:`macro_segments`: broad value tiers from the RFM segments;
3. :func:`choose_k`: inertia, silhouette and BIC for a range of k;
4. :func:`fit_nested`: a K-means inside each macro segment (labels such as
   ``"top customers / 2"``), with a fixed random_state and explicit ``n_init``;
5. :func:`cluster_profiles`, :func:`explain_with_rules` (a shallow tree and
   its fidelity), :func:`stability` (adjusted Rand index across bootstrap
   fits) and :func:`merge_small` (the viability rule, visible).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, export_text

from .features.measures import browsing_counts  # noqa: F401  (lessons import it from here)
from .rfm import MACRO_TIERS, macro_segments, name_segments, rfm_scores  # noqa: F401
from .vocabulary import EVENT_TYPES, PSYCHOGRAPHICS

SURVEY = PSYCHOGRAPHICS  # the survey scores the sample's customers answered
BROWSING = EVENT_TYPES  # the browsing event types the sample logs, in the contract's order
MINI_BATCH_ABOVE = 50_000  # rows; above this MiniBatchKMeans fits in a fraction of the time
MIN_SEGMENT_CUSTOMERS = 600  # lesson 03's viability rule on the sample: smaller micro-segments are merged


FEATURE_GROUPS = ("value", "habits", "categories", "channels", "browsing", "survey", "interests")
NEEDS = ("categories", "channels", "browsing", "survey", "interests")  # what micro-segments are about
NEEDS_BROWSE_DAYS = 180  # browsing counts over the last half year


def clustering_features(table: pd.DataFrame, events: pd.DataFrame | None, as_of: str | pd.Timestamp,
                        groups: Sequence[str] = NEEDS, browsing: pd.DataFrame | None = None) -> pd.DataFrame:
    """Numeric features per customer for clustering (scaling and imputation come later, in the pipeline).

    Groups: ``value`` (log orders, log revenue, log order value, recency),
    ``habits`` (log order value, share returned, days between orders),
    ``categories`` (spend shares), ``channels`` (order shares), ``browsing``
    (log event counts in the last 180 days), ``survey`` (scores, missing
    where unanswered) and ``interests`` (0/1 tags). The default, ``NEEDS``,
    leaves value out: inside a macro segment built from value, micro-segments
    should group customers by what they want, not again by how much they spend.
    ``browsing`` gives the counts of :func:`browsing_counts` already made (for
    example by an engine at scale); then ``events`` is not needed.
    """
    unknown = set(groups) - set(FEATURE_GROUPS)
    if unknown:
        raise ValueError(f"unknown feature group(s) {sorted(unknown)}; choose from {FEATURE_GROUPS}")
    parts = []
    if "value" in groups:
        parts.append(pd.DataFrame({"log_orders": np.log1p(table["frequency"]),
                                   "log_revenue": np.log1p(table["monetary"].clip(lower=0)),
                                   "log_order_value": np.log1p(table["aov"].fillna(0).clip(lower=0)),
                                   "recency_days": table["recency_days"]}, index=table.index))
    if "habits" in groups:  # how a customer buys, for data without categories, channels or browsing
        missing = [c for c in ("aov", "return_share", "days_between_orders") if c not in table.columns]
        if missing:
            raise ValueError(f"the habits group needs the columns {missing} (helpers.features.model_features has them)")
        parts.append(pd.DataFrame({"log_order_value": np.log1p(table["aov"].clip(lower=0)),
                                   "return_share": table["return_share"],
                                   "days_between_orders": table["days_between_orders"]}, index=table.index))
    if "categories" in groups:
        parts.append(table.filter(like="cat: "))
    if "channels" in groups:
        parts.append(table.filter(regex=r"^channel_"))
    if "browsing" in groups:
        if browsing is None and table.filter(regex=rf"^browse_.*_{NEEDS_BROWSE_DAYS}d$").shape[1]:
            browsing = table.filter(regex=rf"^browse_.*_{NEEDS_BROWSE_DAYS}d$")  # made by the feature table already
        if browsing is None and events is None:
            raise ValueError("the browsing group needs events, or the counts already made (browsing=)")
        counts = (browsing_counts(events, table.index, as_of, NEEDS_BROWSE_DAYS, BROWSING) if browsing is None
                  else browsing.reindex(table.index))
        parts.append(np.log1p(counts))
    if "survey" in groups:
        parts.append(table[list(SURVEY)])
    if "interests" in groups:
        parts.append(table.filter(like="tag_").astype(float))
    if not parts:
        raise ValueError("choose at least one feature group")
    return pd.concat(parts, axis=1)


def feature_pipeline(columns: Sequence[str]):
    """Median imputation and standard scaling, returning a DataFrame (scikit-learn ``set_output``)."""
    transformer = ColumnTransformer([("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                                      list(columns))], verbose_feature_names_out=False)
    return transformer.set_output(transform="pandas")


# --------------------------------------------------------------------------- choosing k
def choose_k(scaled: pd.DataFrame, ks: Sequence[int] = range(2, 11), random_state: int = 0,
             silhouette_sample: int = 5_000) -> pd.DataFrame:
    """Inertia (elbow), silhouette (higher is better) and Gaussian-mixture BIC (lower is better) for each k.

    The silhouette is computed on a seeded sample, as it grows with the
    square of the rows.
    """
    ks = [k for k in ks if 2 <= k < len(scaled)]
    if not ks:
        raise ValueError(f"need at least 3 rows to compare k; got {len(scaled)}")
    rows = []
    for k in ks:
        model = _kmeans(k, random_state, len(scaled)).fit(scaled)
        size = min(silhouette_sample, len(scaled))
        silhouette = (silhouette_score(scaled, model.labels_, sample_size=size, random_state=random_state)
                      if len(set(model.labels_)) > 1 else np.nan)
        bic = GaussianMixture(k, covariance_type="diag", random_state=random_state).fit(scaled).bic(scaled)
        rows.append((k, model.inertia_, silhouette, bic))
    return pd.DataFrame(rows, columns=["k", "inertia", "silhouette", "bic"]).set_index("k").round(3)


def _kmeans(k: int, random_state: int, rows: int):
    if rows > MINI_BATCH_ABOVE:
        return MiniBatchKMeans(n_clusters=k, n_init=3, random_state=random_state, batch_size=4096)
    return KMeans(n_clusters=k, n_init=10, random_state=random_state)


# --------------------------------------------------------------------------- nested fit
@dataclass
class NestedClustering:
    """Micro-segment labels, and the fitted scaler and model of each macro segment (to score new customers)."""

    labels: pd.Series
    models: dict = field(default_factory=dict)
    pipelines: dict = field(default_factory=dict)


def fit_nested(features: pd.DataFrame, macro: pd.Series, k: int | Mapping[str, int] = 4, random_state: int = 0,
               min_size: int = 30) -> NestedClustering:
    """K-means inside each macro segment; customers without a macro segment get no micro-segment.

    ``k`` may differ per macro segment. A macro segment with fewer than
    ``min_size`` customers, or fewer customers than ``k``, stays one
    micro-segment. Labels read ``"<macro> / <n>"``, numbered by size (1 = largest).
    """
    if isinstance(k, Mapping):
        unknown = set(k) - {str(t) for t in macro.cat.categories}
        if unknown:
            raise ValueError(f"k names unknown macro segments {sorted(unknown)}; they are {list(macro.cat.categories)}")
    labels = pd.Series(pd.NA, index=features.index, dtype="object", name="micro")
    result = NestedClustering(labels)
    for tier in macro.cat.categories:
        members = features.index[(macro == tier).to_numpy()]
        if len(members) == 0:
            continue
        wanted = k.get(tier, 4) if isinstance(k, Mapping) else k
        pipeline = feature_pipeline(features.columns)
        scaled = pipeline.fit_transform(features.loc[members])
        if len(members) < max(min_size, wanted) or wanted < 2 or scaled.std().sum() == 0:
            raw = np.zeros(len(members), dtype=int)
            model = None
        else:
            model = _kmeans(wanted, random_state, len(members)).fit(scaled)
            raw = model.labels_
        by_size = pd.Series(raw).value_counts().index  # renumber: 1 = largest cluster
        rank = {old: new for new, old in enumerate(by_size, start=1)}
        labels.loc[members] = [f"{tier} / {rank[r]}" for r in raw]
        result.models[tier], result.pipelines[tier] = (model, rank), pipeline
    result.labels = labels
    return result


# --------------------------------------------------------------------------- understanding clusters
def cluster_profiles(features: pd.DataFrame, labels: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean of every feature per micro-segment, and the same as z-scores against all customers (for a snake plot)."""
    keep = labels.notna()
    means = features[keep].groupby(labels[keep]).mean()
    spread = features[keep].std().replace(0, np.nan)
    z = (means - features[keep].mean()) / spread
    return means, z.fillna(0.0)


def describe_clusters(z: pd.DataFrame, top: int = 3) -> pd.Series:
    """A short description per cluster: the features furthest above (+) and below (-) average."""
    def words(row: pd.Series) -> str:
        order = row.abs().sort_values(ascending=False, kind="stable").index[:top]
        return ", ".join(f"{'+' if row[c] > 0 else '-'}{c}" for c in order)
    return z.apply(words, axis=1).rename("stands out by")


def feature_phrase(feature: str, above: bool) -> str:
    """A few words for a feature a segment stands out on, above (True) or below average.

    >>> feature_phrase("cat: Home Decor", True), feature_phrase("channel_web", True), feature_phrase("return_share", False)
    ('home decor lovers', 'web', 'few returns')
    """
    if feature.startswith("cat: "):
        return f"{feature[5:].lower()} {'lovers' if above else 'avoiders'}"
    if feature.startswith("channel_"):
        return feature[len("channel_"):] if above else f"rarely {feature[len('channel_'):]}"
    if feature.startswith("tag_"):
        return f"{feature[4:]} fans" if above else f"not into {feature[4:]}"
    if feature.startswith("browse_"):
        return f"{'many' if above else 'few'} {feature[7:].rsplit('_', 1)[0].replace('_', ' ')}s"
    habits = {"log_order_value": ("big baskets", "small baskets"), "return_share": ("many returns", "few returns"),
              "days_between_orders": ("slow rhythm", "quick rhythm")}
    if feature in habits:
        return habits[feature][0 if above else 1]
    return f"{'high' if above else 'low'} {feature.replace('_', ' ')}"


def name_micro_segments(features: pd.DataFrame, labels: pd.Series, top: int = 2) -> pd.Series:
    """A short descriptive name per micro-segment: its tier, then what sets it apart within the tier.

    ``"top customers / 2"`` with the highest Home Decor share and the web
    channel of its tier becomes ``"top customers · home decor lovers · web"``.
    Features above the tier's average come first, by z-score against the
    tier's customers (:func:`cluster_profiles` within each tier), then those
    below; ties in column order, so the
    names are deterministic; a name two segments share gets their next
    feature, then the segment's number. Labels without a tier (customers
    not clustered) keep their label.

    >>> features = pd.DataFrame({"cat: Home Decor": [0.9, 0.8, 0.1, 0.2], "channel_web": [0.2, 0.1, 0.9, 0.8]})
    >>> labels = pd.Series(["loyal / 1", "loyal / 1", "loyal / 2", "loyal / 2"])
    >>> name_micro_segments(features, labels).to_dict()
    {'loyal / 1': 'loyal · home decor lovers · rarely web', 'loyal / 2': 'loyal · web · home decor avoiders'}
    """
    labels = labels.astype("object")
    tiers = labels.dropna().map(lambda label: str(label).rsplit(" / ", 1)[0] if " / " in str(label) else None)
    ranked = {}
    for tier in sorted(tiers.dropna().unique()):
        members = tiers.index[(tiers == tier).to_numpy()]
        _, z = cluster_profiles(features.loc[members], labels.loc[members])
        for segment, row in z.iterrows():
            above = row[row > 0].sort_values(ascending=False, kind="stable").index  # what they love first
            order = [*above, *row[row < 0].abs().sort_values(ascending=False, kind="stable").index]
            ranked[segment] = (tier, [feature_phrase(c, row[c] > 0) for c in order])
    names = {segment: " · ".join([tier, *words[:top]]) for segment, (tier, words) in ranked.items()}
    for _ in range(len(features.columns)):  # lengthen clashing names until they differ
        clashing = {s for s in names if sum(n == names[s] for n in names.values()) > 1}
        if not clashing:
            break
        for segment in clashing:
            tier, words = ranked[segment]
            used = len(names[segment].split(" · ")) - 1
            names[segment] += f" · {words[used]}" if used < len(words) else f" #{str(segment).rsplit(' / ', 1)[-1]}"
    others = {label: str(label) for label in labels.dropna().unique() if label not in names}
    return pd.Series({**names, **others}, name="micro_segment_name").sort_index(kind="stable")


def micro_segment_profiles(table: pd.DataFrame, features: pd.DataFrame, labels: pd.Series,
                           currency: str = "XXX") -> pd.DataFrame:
    """One row per micro-segment for a marketer: name, size, share, mean value, frequency and recency, and what
    sets it apart (its most distinctive categories and channels, with their shares against the average).

    ``table`` has ``recency_days``, ``frequency`` and ``monetary`` (value in
    ``currency``, which names the column: ``mean_monetary_GBP``); ``features``
    are the ones the segments were fitted on.

    Example::

        micro_segment_profiles(table, features, result.customers["micro_segment"], "GBP")
    """
    names = name_micro_segments(features, labels)
    groups = table.groupby(labels)
    out = pd.DataFrame({"name": names, "customers": groups.size()})
    out["share"] = (out["customers"] / out["customers"].sum()).round(4)
    out[f"mean_monetary_{currency}"] = groups["monetary"].mean().round(2)
    out["mean_frequency"] = groups["frequency"].mean().round(2)
    out["mean_recency_days"] = groups["recency_days"].mean().round(1)
    clustered = labels.where(labels.astype(str).str.contains(" / ", regex=False))  # buyers: "<tier> / <n>"
    means, z = cluster_profiles(features, clustered)  # against the clustered customers, not the never-bought zeros
    overall = features[clustered.notna()].mean()
    for column, pattern in (("distinctive_categories", r"^cat: "), ("distinctive_channels", r"^channel_")):
        chosen = z.filter(regex=pattern)
        out[column] = [", ".join(f"{c.split(': ', 1)[-1].removeprefix('channel_')} {means.loc[s, c]:.0%} (all {overall[c]:.0%})"
                                 for c in chosen.loc[s].sort_values(ascending=False, kind="stable").index[:2]
                                 if chosen.loc[s, c] > 0) if s in chosen.index else ""
                       for s in out.index]
    out["stands out by"] = describe_clusters(z).reindex(out.index).fillna("")
    return out.rename_axis("micro_segment").sort_values("customers", ascending=False, kind="stable")


def explain_with_rules(features: pd.DataFrame, labels: pd.Series, max_depth: int = 3,
                       random_state: int = 0) -> tuple[str, float]:
    """Readable rules for the segments: a shallow decision tree fitted to the labels, and its fidelity.

    Fidelity is the share of customers whose segment the rules reproduce; a
    low value means the clusters are not simple to describe in a few rules.
    """
    keep = labels.notna()
    x = features[keep].fillna(features[keep].median())
    tree = DecisionTreeClassifier(max_depth=max_depth, random_state=random_state).fit(x, labels[keep].astype(str))
    fidelity = float((tree.predict(x) == labels[keep].astype(str).to_numpy()).mean())
    return export_text(tree, feature_names=list(x.columns), decimals=2), round(fidelity, 3)


def stability(scaled: pd.DataFrame, k: int, rounds: int = 10, random_state: int = 0) -> pd.Series:
    """Adjusted Rand index between a reference fit and fits on bootstrap samples (1 = the same clusters every time)."""
    if len(scaled) <= k:
        raise ValueError(f"need more rows than clusters (rows {len(scaled)}, k {k})")
    rng = np.random.default_rng(random_state)
    reference = _kmeans(k, random_state, len(scaled)).fit(scaled).labels_
    scores = []
    for r in range(rounds):
        sample = rng.integers(0, len(scaled), len(scaled))
        model = _kmeans(k, random_state + r + 1, len(scaled)).fit(scaled.iloc[sample])
        scores.append(adjusted_rand_score(reference, model.predict(scaled)))
    return pd.Series(scores, name="adjusted_rand").round(3)


def merge_small(labels: pd.Series, scaled: pd.DataFrame, min_customers: int) -> tuple[pd.Series, pd.DataFrame]:
    """Merge every micro-segment smaller than ``min_customers`` into the nearest larger one of the same macro tier.

    Returns the new labels and a table of what was merged where (empty if
    nothing was), so the viability rule stays visible. A small segment with
    no larger one in its tier is kept and listed with "merged into" empty.
    Distances are measured in ``scaled``, one scaling for all customers.
    """
    labels = labels.copy()
    sizes = labels.value_counts()
    small = sizes[sizes < min_customers].index
    centres = scaled.groupby(labels).mean()
    moves = []
    for segment in small:
        tier = str(segment).rsplit(" / ", 1)[0]
        candidates = [s for s in sizes.index if s not in small and str(s).rsplit(" / ", 1)[0] == tier]
        if not candidates:
            moves.append((segment, int(sizes[segment]), None))
            continue
        distance = ((centres.loc[candidates] - centres.loc[segment]) ** 2).sum(axis=1)
        target = distance.idxmin()
        labels[labels == segment] = target
        moves.append((segment, int(sizes[segment]), target))
    return labels, pd.DataFrame(moves, columns=["segment", "customers", "merged into"])


# --------------------------------------------------------------------------- the lesson-03 recipe, in one call
NOT_CLUSTERED = "no purchase yet"


@dataclass
class MicroSegmentation:
    """Lesson 03's micro-segments fitted at one date, reusable at a later date without refitting.

    ``labels`` gives every customer signed up by ``as_of`` exactly one segment:
    ``"<tier> / <n>"`` for buyers, ``NOT_CLUSTERED`` for customers without a
    purchase. ``merges`` maps each small segment to the one it was merged into.
    """

    labels: pd.Series
    as_of: pd.Timestamp
    nested: NestedClustering
    merges: dict
    feature_columns: list
    rfm_reference: pd.DataFrame  # the buyers' recency, frequency, monetary at the fit date

    def assign(self, table: pd.DataFrame, events: pd.DataFrame, as_of: str | pd.Timestamp,
               features: pd.DataFrame | None = None) -> pd.Series:
        """Segments at a later date with the *fitted* definitions: the fit date's RFM quantiles, scalers and centres.

        Customers of a tier the fit never saw, or a tier that had one segment, get ``"<tier> / 1"``.
        ``features``: the same kind of table as given to the fit, at the later date.
        """
        features = (clustering_features(table, events, as_of) if features is None else features)[self.feature_columns]
        macro = macro_segments(name_segments(rfm_scores(table, reference=self.rfm_reference)))
        labels = pd.Series(NOT_CLUSTERED, index=table.index, name="micro_segment", dtype="object")
        for tier in macro.cat.categories:
            members = features.index[(macro == tier).to_numpy()]
            if len(members) == 0:
                continue
            model, rank = self.nested.models.get(tier, (None, {0: 1}))
            if model is None:
                labels.loc[members] = f"{tier} / 1"
                continue
            raw = model.predict(self.nested.pipelines[tier].transform(features.loc[members]))
            labels.loc[members] = [f"{tier} / {rank[r]}" for r in raw]
        return labels.replace(self.merges)


def fit_micro_segments(table: pd.DataFrame, events: pd.DataFrame, as_of: str | pd.Timestamp, k: int = 4,
                       min_customers: int = MIN_SEGMENT_CUSTOMERS, random_state: int = 0, features: pd.DataFrame | None = None) -> MicroSegmentation:
    """Macro tiers from RFM, K-means on needs inside each tier, small segments merged: lesson 03 in one call.

    ``table`` is ``customer_table(world, as_of)`` (or any table with recency_days,
    frequency and monetary); every customer in it gets a segment. ``features``
    replaces the sample's needs-based features (``clustering_features``) with
    your own, one row per customer of ``table``.
    """
    features = clustering_features(table, events, as_of) if features is None else features.loc[table.index]
    macro = macro_segments(name_segments(rfm_scores(table)))
    nested = fit_nested(features, macro, k=k, random_state=random_state)
    clustered = nested.labels.dropna()
    scaled = feature_pipeline(features.columns).fit_transform(features.loc[clustered.index])
    merged, moves = merge_small(clustered, scaled, min_customers=min_customers)
    merges = {row.segment: row._3 for row in moves.itertuples() if isinstance(row._3, str)}
    labels = merged.reindex(table.index).fillna(NOT_CLUSTERED).rename("micro_segment")
    reference = table.loc[table["recency_days"].notna(), ["recency_days", "frequency", "monetary"]]
    return MicroSegmentation(labels, pd.Timestamp(as_of), nested, merges, list(features.columns), reference)
