"""Who should get the campaign? Uplift, the effect of contact on each customer, learned from a randomized test.

Works on any randomized campaign: ``features`` (a DataFrame), ``treated``
(True = contacted) and ``outcome`` (0/1 conversion, or an amount such as
revenue), aligned on one index. A *score* ranks customers for targeting; the
curves judge a ranking on the test's outcomes (on synthetic data,
:mod:`helpers.grading` judges it against the true effects). Judge models on
customers they were not fitted on: on their own training rows, having
memorised who bought looks like a large uplift.

>>> outcome = pd.Series([1, 0, 1, 0, 1, 0]); treated = pd.Series([True, True, True, False, False, False])
>>> float(average_effect(outcome, treated)["effect"].round(3))
0.333
>>> qini_curve(outcome, treated, score=pd.Series([6, 5, 4, 3, 2, 1]))["qini"].tolist()
[0.0, 1.0, 1.0, 2.0, 2.0, 0.5, 1.0]
"""
from __future__ import annotations

import pandas as pd  # noqa: F401 (the examples above)

from .checks import Column
from .curves import (perfect_qini_curve, perfect_uplift_curve, qini_auc, qini_curve, uplift_at_k, uplift_auc,
                     uplift_curve)
from .effects import campaign_effects
from .experiment import (arm_balance, average_effect, effect_by_group, minimum_detectable_effect, numeric_columns,
                         sample_size)
from .models import (ClassTransformationUplift, ResponseModel, TwoModelUplift, default_estimator, fit_uplift_models,
                     holdout_split, score_all, segment_effect_score)
from .targeting import (evaluate_on_splits, judge_splits, sleeping_dogs, split_scores, targeted_customers,
                        targeting_comparison)

__all__ = ["Column", "campaign_effects", "arm_balance", "average_effect", "effect_by_group", "minimum_detectable_effect", "numeric_columns",
           "sample_size",
           "perfect_qini_curve", "perfect_uplift_curve", "qini_auc", "qini_curve", "uplift_at_k", "uplift_auc",
           "uplift_curve", "ClassTransformationUplift", "ResponseModel", "TwoModelUplift", "default_estimator", "fit_uplift_models",
           "holdout_split", "score_all", "segment_effect_score", "evaluate_on_splits", "judge_splits", "sleeping_dogs",
           "split_scores", "targeted_customers", "targeting_comparison"]
