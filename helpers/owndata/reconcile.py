"""The kit's books set beside the usual public cleaning of an invoice-line export, line by line.

Tutorials on invoice exports (the UCI Online Retail data above all) clean them
with three rules: drop lines without a customer id, drop lines whose quantity
is not above zero (cancellations and returns), drop lines whose price is not
above zero. The kit keeps different books (lesson 00's net-value rule: a
cancellation stays as a return so that net revenue nets it out; exact
duplicates and postage or fee lines are left out). Set side by side, line by
line, every difference between the two is a cell off the diagonal of
:func:`reconcile_lines`, and every customer counted by one and not the other
is in :func:`compare_customers` with what their lines were.

Example::

    world = load_own_data("templates/examples/online_retail.toml")
    raw = orders_as_read(world)              # the orders file, every cell as written
    reconcile_lines(raw, world)              # kit outcome x usual outcome, lines
    books_compared(raw, world)               # lines, customers and net revenue in each book
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import World
from ..sales import net_line_value
from .mapping import resolve_columns
from .shapes import read_table_file

KEPT = "kept"
USUAL_RULES = ("removed: no customer id", "removed: quantity not above 0", "removed: price not above 0")
KIT_SALE, KIT_RETURN = "kept: sale", "kept: return (cancellation or negative quantity)"
NON_PRODUCT = "excluded: non-product line"
GAP_TOTAL = "the usual books' revenue minus the kit's"


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def _no_id(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(str).str.strip().eq("")


def orders_as_read(world: World) -> pd.DataFrame:
    """The orders file the world was read from, unfiltered, every cell text as written (what the functions below compare).

    It is read again through the mapping the world carries, so the lines are
    the ones the kit's report counts, in the file's order.

    Example::

        raw = orders_as_read(load_own_data("templates/examples/online_retail.toml"))
        len(raw)                                  # 541909
    """
    spec = world.meta.get("mapping", {}).get("orders")
    if spec is None:
        raise ValueError("this world was not read through a mapping with an [orders] file (load_own_data reads one)")
    return read_table_file(spec, "orders")


def usual_cleaning(raw: pd.DataFrame, customer_id: str = "CustomerID", quantity: str = "Quantity",
                   unit_price: str = "UnitPrice") -> pd.Series:
    """Each line's fate under the usual public cleaning: ``"kept"`` or the first of :data:`USUAL_RULES` removing it.

    >>> raw = pd.DataFrame({"CustomerID": ["7", None, "7"], "Quantity": ["1", "1", "-1"], "UnitPrice": ["2", "2", "2"]})
    >>> usual_cleaning(raw).tolist()
    ['kept', 'removed: no customer id', 'removed: quantity not above 0']
    """
    fate = np.select([_no_id(raw[customer_id]).to_numpy(),
                      ~(_numbers(raw[quantity]) > 0).to_numpy(),
                      ~(_numbers(raw[unit_price]) > 0).to_numpy()], list(USUAL_RULES), default=KEPT)
    return pd.Series(fate, index=raw.index, name="usual cleaning")


def kit_outcomes(raw: pd.DataFrame, world: World) -> pd.Series:
    """Each line's fate in the kit's books: a sale or a return kept, or ``"excluded: <reason>"``.

    ``raw`` is the orders file as the kit read it (same lines, same order);
    the kit's excluded rows carry their line (``csv_line``) and the kept lines
    keep the file's order, so every line is placed.

    Example::

        kit_outcomes(raw, load_own_data(mapping)).value_counts()
    """
    excluded = world.report.excluded["orders"]
    if world.report.read["orders"] != len(raw):
        raise ValueError(f"the kit read {world.report.read['orders']:,} order lines and this frame has {len(raw):,} "
                         "lines: pass the orders file the kit read, unfiltered")
    positions = excluded["csv_line"].to_numpy() - 2
    fate = pd.Series(pd.NA, index=raw.index, dtype="object", name="the kit")
    fate.iloc[positions] = ("excluded: " + excluded["reason"]).to_numpy()
    kept = fate.isna().to_numpy()
    if kept.sum() != len(world.orders):
        raise ValueError(f"{kept.sum():,} lines are not excluded but the kit kept {len(world.orders):,}")
    fate[kept] = np.where(world.orders["quantity"].to_numpy() < 0, KIT_RETURN, KIT_SALE)
    return fate


def _roles(raw: pd.DataFrame, world: World) -> dict:
    spec = world.meta.get("mapping", {}).get("orders", {})
    roles, _ = resolve_columns("orders", spec, raw.columns, spec.get("shape", "invoice_lines"))
    return roles


def _usual(raw: pd.DataFrame, roles: dict) -> pd.Series:
    """:func:`usual_cleaning` on this file's columns, as the mapping resolved them."""
    return usual_cleaning(raw, roles["customer_id"], roles["quantity"], roles["unit_price"])


def _written_value(raw: pd.DataFrame, roles: dict) -> pd.Series:
    """Each line's quantity x price as written: the value the usual books sum."""
    return _numbers(raw[roles["quantity"]]) * _numbers(raw[roles["unit_price"]])


def _non_products_as_one(kit: pd.Series) -> pd.Series:
    """The kit's outcomes with every non-product code in one outcome (postage, fees, manual entries)."""
    return kit.where(~kit.str.startswith(NON_PRODUCT), NON_PRODUCT + " (postage, fees, manual entries)")


def reconcile_lines(raw: pd.DataFrame, world: World, by_code: bool = False) -> pd.DataFrame:
    """Lines by the kit's outcome (rows) and the usual cleaning's (columns), with totals.

    Cells off the diagonal (a line kept by one and removed by the other) are
    the differences to explain; the corner is every line of the file. The
    non-product lines (postage, fees, manual entries) are one row unless
    ``by_code``.

    Example::

        reconcile_lines(raw, load_own_data("templates/examples/online_retail.toml"))
    """
    roles = _roles(raw, world)
    usual = _usual(raw, roles)
    kit = kit_outcomes(raw, world)
    if not by_code:
        kit = _non_products_as_one(kit)
    table = pd.crosstab(kit, usual, margins=True, margins_name="all lines")
    columns = [c for c in (KEPT, *USUAL_RULES) if c in table.columns] + ["all lines"]
    rows = ([r for r in (KIT_SALE, KIT_RETURN) if r in table.index]
            + sorted(r for r in table.index if str(r).startswith("excluded")) + ["all lines"])
    return table.loc[rows, columns].rename_axis(index="the kit", columns="usual cleaning")


def compare_customers(raw: pd.DataFrame, world: World) -> pd.DataFrame:
    """Customers kept by both cleanings, by the usual one only and by the kit only, with what their lines were.

    A customer is kept when at least one of their lines is kept. For each
    group that only one cleaning keeps, ``their lines`` says how the *other*
    cleaning treated that group's lines (the most frequent outcomes first).

    Example::

        compare_customers(raw, load_own_data("templates/examples/online_retail.toml"))
    """
    roles = _roles(raw, world)
    ids = raw[roles["customer_id"]].where(~_no_id(raw[roles["customer_id"]]))
    usual = _usual(raw, roles)
    kit = kit_outcomes(raw, world)
    in_usual = set(ids[usual == KEPT].dropna())
    in_kit = set(ids[kit.str.startswith("kept").to_numpy()].dropna())

    def lines_of(group: set, fates: pd.Series) -> str:
        counts = fates[ids.isin(group).to_numpy()].value_counts()
        return "; ".join(f"{n:,} {fate}" for fate, n in counts.items()) or "-"

    groups = {"in both": (in_usual & in_kit, ""),
              "only in the usual cleaning": (in_usual - in_kit, lines_of(in_usual - in_kit, kit)),
              "only in the kit": (in_kit - in_usual, lines_of(in_kit - in_usual, usual))}
    return pd.DataFrame({"customers": {name: len(members) for name, (members, _) in groups.items()},
                         "their lines": {name: lines for name, (_, lines) in groups.items()}})


def books_compared(raw: pd.DataFrame, world: World) -> pd.DataFrame:
    """Lines kept, customers and net revenue in the usual cleaning's books and in the kit's, side by side.

    The usual books' revenue is what the tutorials sum, quantity times price
    over the lines they keep; the kit's is lesson 00's net value
    (:func:`helpers.sales.net_line_value`: returns negative, cancellations
    zero) over the lines it keeps. A customer counts when one of their lines
    is kept.

    Example::

        books_compared(raw, load_own_data("templates/examples/online_retail.toml"))
    """
    roles = _roles(raw, world)
    usual = _usual(raw, roles) == KEPT
    kept = raw[usual.to_numpy()]
    usual_revenue = float(_written_value(kept, roles).sum())
    kit_lines = kit_outcomes(raw, world).str.startswith("kept").to_numpy()
    books = {"usual cleaning": [int(usual.sum()), kept[roles["customer_id"]].nunique(), round(usual_revenue, 2)],
             "the kit": [int(kit_lines.sum()), world.orders["customer_id"].nunique(),
                         round(float(net_line_value(world.orders).sum()), 2)]}
    return pd.DataFrame(books, index=["lines kept", "customers", "net revenue"], dtype=object)  # counts stay whole


def revenue_gap(raw: pd.DataFrame, world: World) -> pd.DataFrame:
    """The usual books' revenue minus the kit's, split by the rule behind each part; the parts add up to the total.

    Parts: the returns and cancellations only the kit keeps, which it nets
    out (the usual cleaning removes them, keeping the sales they undo); for
    each reason the kit leaves a line out, the value of such lines only the
    usual cleaning keeps; the sales only the kit keeps (taken off); and any
    line both keep but value differently (a discount the usual quantity x
    price ignores, say). The last row, :data:`GAP_TOTAL`, is their sum.
    ``share of the kit's net revenue`` puts each part beside the kit's total.

    Example::

        revenue_gap(raw, load_own_data("templates/examples/online_retail.toml"))
    """
    roles = _roles(raw, world)
    usual = (_usual(raw, roles) == KEPT).to_numpy()
    kit = _non_products_as_one(kit_outcomes(raw, world))
    written = _written_value(raw, roles).to_numpy()
    kept = kit.str.startswith("kept").to_numpy()
    net = np.zeros(len(raw))
    net[kept] = net_line_value(world.orders).to_numpy()  # the kit's kept lines are its orders, in the file's order
    parts = {"kit only: returns it nets out": -net[(kit == KIT_RETURN).to_numpy() & ~usual].sum()}
    for reason in sorted(r for r in kit.unique() if r.startswith("excluded")):  # labels short enough to read
        parts[f"usual only: {reason.removeprefix('excluded: ').split(' (')[0]}"] = \
            written[(kit == reason).to_numpy() & usual].sum()
    parts["kit only: sales at a price of 0 or below"] = -net[(kit == KIT_SALE).to_numpy() & ~usual].sum()
    parts["both: lines valued differently"] = (written - net)[kept & usual].sum()
    gap = pd.Series(parts, dtype=float).rename_axis("part of the gap")
    gap[GAP_TOTAL] = gap.sum()
    return pd.DataFrame({"amount": gap.round(2) + 0.0,  # + 0.0: no "-0.0" on a part that is nothing
                         "share of the kit's net revenue": (gap / net.sum()).round(4) + 0.0})
