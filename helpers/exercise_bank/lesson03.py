"""Exercises of lesson 03 (micro-segments by clustering). Expected answers are computed from the data."""
from __future__ import annotations

import pandas as pd

from ..clustering import clustering_features, explain_with_rules, feature_pipeline, fit_nested, macro_segments, merge_small
from ..data import World
from ..grading import persona_recovery
from ..exercises import Exercise, ExerciseSet, expect_number, largest_choice
from ..features import customer_table
from ..rfm import name_segments, rfm_scores
from ..segments import classic_segments


def setup(world: World) -> dict:
    """The names the lesson has defined before its exercises."""
    table = customer_table(world)
    features = clustering_features(table, world.events, world.as_of)
    macro = macro_segments(name_segments(rfm_scores(table)))
    return {"table": table, "features": features, "macro": macro,
            "micro": fit_nested(features, macro, k=4, random_state=0).labels}


def exercises(world: World) -> ExerciseSet:
    names = setup(world)
    features, macro, micro = names["features"], names["macro"], names["micro"]

    k3 = fit_nested(features, macro, k=3, random_state=0).labels
    rising = k3[macro == "rising"].value_counts()
    q1 = Exercise(
        "q1", "Fit the micro-segments again with k = 3 in every macro segment (random_state 0). How many customers are in "
              "the largest micro-segment of the 'rising' tier?",
        expect_number(int(rising.max()) if len(rising) else 0, mistakes={
            int(micro[macro == "rising"].value_counts().max()): "you keep k = 4; pass k=3 to fit_nested",
            int((macro == "rising").sum()): "you count the whole tier, not its largest micro-segment",
        }),
        hint_text="fit_nested(features, macro, k=3, random_state=0).labels gives the labels; the largest of the tier is "
                  "'rising / 1' (segments are numbered by size).",
        solution_code='labels = fit_nested(features, macro, k=3, random_state=0).labels\n'
                      'answer_1 = int((labels == "rising / 1").sum())',
    )

    top = (macro == "top customers").to_numpy()
    _, depth2 = explain_with_rules(features[top], micro[top], max_depth=2)
    _, depth3 = explain_with_rules(features[top], micro[top], max_depth=3)
    q2 = Exercise(
        "q2", "How faithful are rules of depth 2 to the micro-segments of 'top customers' (the share of customers "
              "whose segment they reproduce, between 0 and 1)?",
        expect_number(depth2, abs_tol=0.005, mistakes={depth3: "you use depth 3, the lesson's default; pass max_depth=2"}),
        hint_text="explain_with_rules(features[top], micro[top], max_depth=2) returns the rules and their fidelity, "
                  "with top = (macro == 'top customers').",
        solution_code='top = (macro == "top customers").to_numpy()\n'
                      'rules, answer_2 = explain_with_rules(features[top], micro[top], max_depth=2)',
    )

    classic = classic_segments(names["table"])
    buyers = macro.notna()
    scores = {scheme: persona_recovery(world, classic[scheme].where(buyers)) for scheme in classic.columns}
    q3 = Exercise(
        "q3", "Which classic scheme recovers the hidden personas best among buyers (the highest adjusted Rand index)?",
        largest_choice(pd.Series(scores), "adjusted Rand index", fmt="{:.3f}"),
        hint_text="For each column of classic_segments(table), persona_recovery(world, segments.where(macro.notna())): "
                  "the grading module compares the segments with the hidden personas.",
        solution_code='classic = classic_segments(table)\n'
                      'scores = {s: persona_recovery(world, classic[s].where(macro.notna())) for s in classic.columns}\n'
                      'answer_3 = max(scores, key=scores.get)',
    )

    scaled = feature_pipeline(features.columns).fit_transform(features[micro.notna()])
    merged, _ = merge_small(micro.dropna(), scaled, min_customers=1200)
    q4 = Exercise(
        "q4", "Merge the micro-segments smaller than 1,200 customers into their nearest neighbour in the same tier. "
              "How many micro-segments are left?",
        expect_number(int(merged.nunique()), mistakes={
            int(micro.nunique()): "you count the segments before merging",
            int((micro.value_counts() >= 1200).sum()): "you drop the small segments; merging keeps their customers "
                                                       "in a neighbour, and a small segment with no larger one in its "
                                                       "tier stays",
        }),
        hint_text="merge_small(micro.dropna(), scaled, min_customers=1200) returns new labels and the moves; count the "
                  "distinct labels (.nunique()). scaled = feature_pipeline(features.columns).fit_transform("
                  "features[micro.notna()]).",
        solution_code='scaled = feature_pipeline(features.columns).fit_transform(features[micro.notna()])\n'
                      'merged, moves = merge_small(micro.dropna(), scaled, min_customers=1200)\n'
                      'answer_4 = merged.nunique()',
    )
    return ExerciseSet([q1, q2, q3, q4])


SOLUTION_SETUP = setup
SOLUTION_NAMESPACE = {"fit_nested": fit_nested, "explain_with_rules": explain_with_rules,
                      "persona_recovery": persona_recovery, "classic_segments": classic_segments,
                      "merge_small": merge_small, "feature_pipeline": feature_pipeline}
