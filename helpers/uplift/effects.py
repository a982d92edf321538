"""The effect of each arm of any campaign table against its control arm, per outcome (the template's campaign step)."""
from __future__ import annotations

import pandas as pd

from ..owndata import guess_control
from .experiment import arm_balance, average_effect, sample_size

NEXT_TEST_POWER, NEXT_TEST_ALPHA = 0.8, 0.05  # the next test: 80% power to detect the effect at 5% (two-sided)


def campaign_effects(campaign: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each treatment arm against the control, per outcome: means, effect, 95% interval, p-value; and arm balance.

    Each row also sizes the next test: ``next_test_per_arm`` customers in each
    arm (equal split) detect ``next_test_sized_for`` with 80% power at 5%
    (:func:`~helpers.uplift.experiment.sample_size`, on the control arm's
    variance). The effect sized for is the observed one unless ``min_effect``
    in the spec states it (one number, or ``{outcome: number}``); an effect of
    0 cannot be sized (empty cell). ``kind`` says whether the outcome is a
    ``rate`` (0/1) or an ``amount``.

    >>> table = pd.DataFrame({"arm": ["a", "b", "none", "a", "b", "none"], "buy": [1, 0, 0, 1, 1, 0]})
    >>> campaign_effects(table, {"control_arm": "none", "outcomes": ["buy"]})[0]["effect"].tolist()
    [1.0, 0.5]
    """
    arms = sorted(campaign["arm"].dropna().astype(str).unique())
    control = spec.get("control_arm") or guess_control(arms)
    if control is None or not spec.get("outcomes"):
        raise ValueError(f"name the control arm (one of {arms}) and the outcomes: "
                         "{'control_arm': ..., 'outcomes': [...]}")
    treatments = spec.get("treatment_arms") or [a for a in arms if a != control]
    outcomes = spec["outcomes"]
    features = spec.get("features", [])
    rows, balance = [], []
    for arm in treatments:
        pair = campaign[campaign["arm"].astype(str).isin([arm, control])]
        treated = (pair["arm"].astype(str) == arm).to_numpy()
        for outcome in outcomes:
            effect = average_effect(pair[outcome], treated)
            rows.append({"arm": arm, "outcome": outcome, **effect.to_dict(),
                         **_next_test(pair.loc[~treated, outcome], effect["effect"], spec.get("min_effect"), outcome)})
        if features:
            balance.append(arm_balance(pair[features], treated).assign(arm=arm))
    effects = pd.DataFrame(rows)
    effects[["n_treated", "n_control"]] = effects[["n_treated", "n_control"]].astype(int)
    effects["next_test_per_arm"] = effects["next_test_per_arm"].astype("Int64")
    effects = effects.set_index(["arm", "outcome"])
    return effects, (pd.concat(balance) if balance else None)


def _next_test(control: pd.Series, observed: float, stated, outcome: str) -> dict:
    """The outcome's kind, and the customers per arm a next test needs to detect the stated (else observed) effect."""
    is_rate = bool(control.dropna().isin([0, 1]).all())
    wanted = stated.get(outcome) if isinstance(stated, dict) else stated
    effect = float(observed if wanted is None else wanted)
    variance = None if is_rate else float(control.var())
    try:
        needed = sample_size(float(control.mean()), effect, NEXT_TEST_ALPHA, NEXT_TEST_POWER, variance=variance)["treated"]
    except ValueError:  # no effect to detect, or an outcome that never varied: nothing to size the test on
        needed = pd.NA
    return {"kind": "rate" if is_rate else "amount", "next_test_sized_for": effect, "next_test_per_arm": needed}
