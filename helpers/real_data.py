"""The real public data sets of ``datasets/real/``, read through the template's reader as an analyst would.

Each loader goes through :func:`helpers.owndata.load_own_data` with the worked
example mapping in ``templates/examples/``, so the lessons read real data the
way the template does, with its report of every row left out.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from .data import KIT_ROOT, World
from .owndata import load_mapping, load_own_data
from .uplift import numeric_columns

REAL_DIR = KIT_ROOT / "datasets" / "real"
EXAMPLES_DIR = KIT_ROOT / "templates" / "examples"


def cdnow_sample_ids(path: str | Path | None = None) -> pd.Index:
    """The customer ids (as in the master log) of the 1/10 systematic sample of Fader, Hardie & Lee (2005): 2,357.

    >>> ids = cdnow_sample_ids()
    >>> len(ids), ids[0]
    (2357, '00004')
    """
    path = Path(path) if path is not None else REAL_DIR / "CDNOW_sample.txt"
    # a file without a header: master id, sample id, date, CDs, dollars; only the master id is read
    ids = pd.read_csv(path, sep=r"\s+", header=None, usecols=[0], dtype=str)[0]
    return pd.Index(ids.drop_duplicates().to_numpy(), name="customer_id")


def cdnow(sample: bool = True, zero_amounts: str = "keep") -> World:
    """The CDNOW purchase log through the template's reader; ``sample=True`` keeps the paper's 1/10 cohort only.

    Zero-dollar transactions are kept as purchases (``zero_amounts``; the
    template's default leaves them out): the paper counts them, and its
    estimates are reproduced only with them. Customers and orders outside the
    sample are left out of the returned world, which says so in
    ``world.meta["sample"]``.

    >>> world = cdnow()
    >>> world.orders["customer_id"].nunique(), len(world.orders), world.as_of.date()
    (2357, 6919, datetime.date(1998, 6, 30))
    """
    mapping = load_mapping(EXAMPLES_DIR / "cdnow.toml")
    mapping["orders"]["zero_amounts"] = zero_amounts
    world = load_own_data(mapping)
    if not sample:
        return world
    ids = cdnow_sample_ids()
    meta = {**world.meta, "sample": f"the 1/10 sample of Fader, Hardie & Lee (2005): {len(ids):,} of "
                                    f"{world.orders['customer_id'].nunique():,} customers"}
    return dataclasses.replace(world, orders=world.orders[world.orders["customer_id"].isin(ids)].reset_index(drop=True),
                               customers=world.customers[world.customers["customer_id"].isin(ids)].reset_index(drop=True),
                               meta=meta)


class RandomizedTest(NamedTuple):
    """One email arm of a randomized test against its control arm, ready for the uplift helpers."""

    table: pd.DataFrame  # the rows as read, indexed by customer_id
    treated: pd.Series  # True for the emailed arm
    outcomes: pd.DataFrame  # one column per outcome of the mapping (visit, conversion, spend)
    features: pd.DataFrame  # the mapping's pre-test features as numbers (text columns one 0/1 column per level)


def hillstrom(email: str = "Womens E-Mail") -> RandomizedTest:
    """The Hillstrom email test (MineThatData, 2008) through the template's reader: ``email`` against No E-Mail.

    The features are those the worked example maps (``templates/examples/hillstrom.toml``),
    recorded before the emails went out; text columns become one 0/1 column
    per level (:func:`helpers.uplift.numeric_columns`).

    >>> test = hillstrom()
    >>> len(test.table), int(test.treated.sum()), test.outcomes.columns.tolist()
    (42693, 21387, ['visit', 'conversion', 'spend'])
    """
    world = load_own_data(EXAMPLES_DIR / "hillstrom.toml")
    spec = world.meta["mapping"]["campaign"]
    if email not in spec["treatment_arms"]:
        raise ValueError(f"email must be one of the test's emailed arms {spec['treatment_arms']}, got {email!r}")
    table = world.campaign[world.campaign["arm"].isin([email, spec["control_arm"]])].set_index("customer_id")
    treated = (table["arm"] == email).rename("treated")
    outcomes = table[spec["outcomes"]].astype("float64")
    return RandomizedTest(table, treated, outcomes, numeric_columns(table[spec["features"]]))
