"""The effect of each arm of any campaign table against its control arm, per outcome (the template's campaign step)."""
from __future__ import annotations

import pandas as pd

from ..owndata import guess_control
from .experiment import arm_balance, average_effect


def campaign_effects(campaign: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each treatment arm against the control, per outcome: means, effect, 95% interval, p-value; and arm balance.

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
            rows.append({"arm": arm, "outcome": outcome, **average_effect(pair[outcome], treated).to_dict()})
        if features:
            balance.append(arm_balance(pair[features], treated).assign(arm=arm))
    effects = pd.DataFrame(rows)
    effects[["n_treated", "n_control"]] = effects[["n_treated", "n_control"]].astype(int)
    effects = effects.set_index(["arm", "outcome"])
    return effects, (pd.concat(balance) if balance else None)
