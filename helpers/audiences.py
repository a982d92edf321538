"""Audiences: the customers behind a campaign plan, and the files that leave the company.

:func:`audience_cells` draws the funded contacts of an allocation
(:mod:`helpers.campaign`), :func:`audience_cells_from` takes whole chosen
segments (the template pipeline's ``[audiences]``); :func:`export_audiences`
writes one file per cell with pseudonyms and hashed emails, holds out a
control group and refuses anyone outside consent.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from .campaign import CHANNELS, PlanningData, _known, reachability
from .data import DataContractError
from .privacy import pseudonymize
from .sizing import EXPORT_FLOOR


# --------------------------------------------------------------------------- cells
def audience_cells(allocation: pd.DataFrame, plan: pd.DataFrame, data: PlanningData, random_state: int = 0) -> pd.DataFrame:
    """The customers behind an allocation: for each funded segment, ``contacts`` reachable customers chosen at random.

    One row per customer (indexed by customer id) with ``cell`` (the segment and
    channel), ``segment, message, channel, offer``, ready for :func:`export_audiences`.
    """
    rng = np.random.default_rng(random_state)
    parts = []
    for segment, row in allocation[allocation["contacts"] > 0].iterrows():
        step = plan.loc[segment]
        members = data.segments.index[(data.segments == segment).to_numpy()]
        audience = members[data.reach[step["channel"]].loc[members, "reachable"].to_numpy()]
        chosen = np.sort(rng.choice(audience.to_numpy(), size=int(row["contacts"]), replace=False))
        parts.append(pd.DataFrame({"cell": f"{segment} | {step['channel']}", "segment": segment,
                                   "message": step.get("message", ""), "channel": step["channel"],
                                   "offer": step["offer"]}, index=pd.Index(chosen, name="customer_id")))
    if not parts:
        return pd.DataFrame(columns=["cell", "segment", "message", "channel", "offer"])
    return pd.concat(parts)


def audience_cells_from(segments: pd.DataFrame, customers: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One cell per chosen segment: its reachable members on the channel; cells under the minimum are left out.

    ``spec`` is the ``[audiences]`` section: ``segments`` (names),
    ``scheme`` (a column of the segment table, ``rfm_segment`` by default),
    ``channel`` (email by default), ``offer``, ``message``, ``min_audience``.
    Returns the cells (ready for ``export_audiences``) and a table of every
    chosen segment with its members, how many may be contacted and, when left
    out, why.

    Example::

        cells, left_out = audience_cells_from(result.customers, world.customers,
                                              {"segments": ["at risk"], "channel": "email"})
    """
    scheme, channel = spec.get("scheme", "rfm_segment"), spec.get("channel", "email")
    if scheme not in segments.columns:
        raise DataContractError("audiences", "scheme", f"no segment scheme {scheme!r}; choose one of "
                                f"{[c for c in segments.columns if segments[c].dtype == object or c.endswith('_segment')]}")
    chosen = spec.get("segments", [])
    column = segments[scheme]
    known = set(map(str, column.cat.categories)) if isinstance(column.dtype, pd.CategoricalDtype) else set()
    known |= set(column.dropna().astype(str))  # a segment of the scheme may have no members this run
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise DataContractError("audiences", "segments", f"segment(s) {unknown} are not in {scheme}; "
                                f"segments: {sorted(known)}")
    reach = reachability(customers.set_index("customer_id").loc[segments.index], channel)["reachable"]
    minimum = spec.get("min_audience", EXPORT_FLOOR)
    parts, table = [], []
    for segment in chosen:
        members = segments.index[(segments[scheme].astype(str) == segment).to_numpy()]
        reachable = members[reach.loc[members].to_numpy()]
        small = len(reachable) < minimum
        table.append({"segment": segment, "members": len(members), "reachable": len(reachable),
                      "left out": f"fewer than {minimum} reachable" if small else ""})
        if not small:
            parts.append(pd.DataFrame({"cell": f"{segment} | {channel}", "segment": segment,
                                       "message": spec.get("message", ""), "channel": channel,
                                       "offer": spec.get("offer", "none")}, index=reachable))
    cells = pd.concat(parts) if parts else pd.DataFrame(columns=["cell", "segment", "message", "channel", "offer"])
    return cells, pd.DataFrame(table).set_index("segment")


# --------------------------------------------------------------------------- export
def normalize_email(emails: pd.Series) -> pd.Series:
    """Trimmed and lower-cased, as ad platforms ask before hashing (missing stays missing).

    >>> normalize_email(pd.Series(["  Ana.Lee@Example.COM ", None])).tolist()
    ['ana.lee@example.com', None]
    """
    return pd.Series([e.strip().lower() if isinstance(e, str) else None for e in emails], index=emails.index,
                     dtype="object", name=emails.name)


def hash_emails(emails: pd.Series) -> pd.Series:
    """SHA-256 hex digest of each normalized email (missing stays missing): the customer-match format.

    >>> hash_emails(pd.Series([" Test@Example.com"])).str[:12].tolist()
    ['973dfe463ec8']
    """
    return pd.Series([hashlib.sha256(e.encode("utf-8")).hexdigest() if e is not None else None
                      for e in normalize_email(emails)], index=emails.index, dtype="object", name="email_sha256")


def split_control(customers: pd.Index, control_share: float, random_state: int) -> pd.Series:
    """``"send"`` or ``"control"`` for each customer, a seeded random split of exactly round(share * n) controls."""
    if not 0 <= control_share < 1:
        raise ValueError(f"control_share must be in [0, 1), got {control_share}")
    rng = np.random.default_rng(random_state)
    n_control = int(round(control_share * len(customers)))
    group = np.full(len(customers), "send", dtype=object)
    group[rng.permutation(len(customers))[:n_control]] = "control"
    return pd.Series(group, index=customers, name="group")


def export_audiences(cells: pd.DataFrame, customers: pd.DataFrame, folder: str | Path, salt: str,
                     control_share: float = 0.1, random_state: int = 0, min_audience: int = EXPORT_FLOOR) -> pd.DataFrame:
    """Write one send file per campaign cell and one file of held-out controls; return a manifest.

    ``cells``: one row per customer (indexed by customer id) with ``cell,
    segment, message, channel, offer``. ``customers``: indexed by customer id,
    with ``email`` and the consent columns. The function **refuses** (raises)
    when a customer lacks consent for the cell's channel or is on
    do-not-contact, or when a cell has fewer than ``min_audience`` customers
    (a tiny audience is close to identifying people), or when no secret
    ``salt`` is given. Send files (which leave the company) carry a
    ``pseudonym`` (``privacy.pseudonymize`` with the salt) instead of the
    customer id, and the SHA-256 of the normalized email that ad platforms
    match on, never the raw email; a hashed email is still personal data. The
    control file stays in-house: it records the held-out customers by id and
    pseudonym so the result can be measured and joined back.
    """
    if not isinstance(salt, str) or not salt:
        raise ValueError("give a secret salt: send files carry pseudonyms, never customer ids")
    required = ["cell", "segment", "message", "channel", "offer"]
    missing = [c for c in required if c not in cells.columns]
    if missing:
        raise KeyError(f"cells lack column(s) {missing}")
    for channel, rows in cells.groupby("channel"):
        _known(channel, CHANNELS, "channel")
        reach = reachability(customers.loc[rows.index], channel)
        refused = reach.index[~reach["reachable"].to_numpy()]
        if len(refused):
            raise ValueError(f"{len(refused)} customer(s) in {channel} cells may not be contacted on {channel} "
                             f"(no consent or do-not-contact), e.g. customer_id {list(refused[:5])}; remove them first")
    sizes = cells["cell"].value_counts()
    small = sizes[sizes < min_audience]
    if len(small):
        raise ValueError(f"cell(s) {sorted(small.index)} have fewer than {min_audience} customers "
                         f"({small.to_dict()}); merge them or leave them out")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest, controls = [], []
    for number, (cell, rows) in enumerate(sorted(cells.groupby("cell"), key=lambda item: str(item[0]))):
        group = split_control(rows.index, control_share, random_state + number)
        out = rows[required].assign(email_sha256=hash_emails(customers.loc[rows.index, "email"]), group=group)
        out.insert(0, "pseudonym", pseudonymize(pd.Series(out.index, index=out.index), salt))
        send = out[out["group"] == "send"].drop(columns="group").reset_index(drop=True)
        file = folder / f"audience_{_slug(cell)}.csv"
        send.to_csv(file, index=False)
        controls.append(out.loc[out["group"] == "control", ["pseudonym", "cell", "segment"]])
        manifest.append({"cell": cell, "file": file.name, "send": len(send), "control": int((group == "control").sum())})
    control_frame = pd.concat(controls).rename_axis("customer_id").reset_index()
    control_frame.to_csv(folder / "holdout_control.csv", index=False)
    return pd.DataFrame(manifest)


def _slug(text: str) -> str:
    """A file-name-safe form of a cell name: ``"top customers / 1 | email"`` -> ``"top_customers_1_email"``."""
    return "_".join("".join(ch if ch.isalnum() else " " for ch in str(text).lower()).split())
