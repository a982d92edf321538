"""Interactive explorers for the lessons. Each has a pure *view* function (tested without a browser)
and a thin ipywidgets wrapper that calls it whenever a control moves.

The wrappers use only widgets that exist in ipywidgets 7 (Colab) and 8.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from .rfm import name_segments, rfm_scores, rfm_table, segment_summary, windowed_rfm


def _fresh_axes(size: tuple[float, float] | None = None) -> plt.Axes:
    """Axes on a figure of its own that pyplot does not track.

    In JupyterLab, figures drawn through pyplot inside a widget callback came
    out blank after the first redraw (found by the browser test, which now
    checks every explorer plot); a figure pyplot does not know draws correctly.
    """
    from matplotlib.figure import Figure

    return Figure(figsize=size or plt.rcParams["figure.figsize"], dpi=plt.rcParams["figure.dpi"]).subplots()


def _show(ax: plt.Axes) -> None:
    """Show an explorer's plot as a PNG in its output (no pyplot involved)."""
    import io

    from IPython.display import Image, display

    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", bbox_inches="tight")
    display(Image(buffer.getvalue()))

DEFAULT_RECENCY_CUTS = (30, 90, 180, 365)


def rfm_explorer_view(orders: pd.DataFrame, customers: pd.DataFrame, as_of: str | pd.Timestamp,
                      window_days: int | None = None, recency_cuts: Sequence[int] | None = None) -> pd.DataFrame:
    """Named RFM segments when frequency and value count only the last ``window_days``, and recency is scored by cut points.

    Recency always comes from the whole history, so a customer who last
    bought before the window is still a (long-ago) buyer, not "no purchase".
    Frequency and value count the orders placed in the window, with their
    returns; returns of older orders are left out. ``recency_cuts`` are four
    increasing day counts (R = 5 below the first, 1 from the last on);
    ``None`` scores recency by quantiles, as ``rfm_scores`` does by default.
    """
    as_of = pd.Timestamp(as_of)
    full = rfm_table(orders, customers, as_of)
    table = full if window_days is None else windowed_rfm(orders, customers, as_of, window_days)
    cuts = {"recency_days": list(recency_cuts)} if recency_cuts is not None else None
    segments = name_segments(rfm_scores(table, cuts=cuts, scored=full["frequency"] > 0))
    return segment_summary(table, segments)


def rfm_explorer(orders: pd.DataFrame, customers: pd.DataFrame, as_of: str | pd.Timestamp):
    """Sliders for the order window and the recency cut points; a table and a chart of the segments update."""
    import ipywidgets as widgets
    from IPython.display import display

    from .plots import bar_plot

    window = widgets.IntSlider(value=730, min=10, max=730, step=10, description="orders in the last (days)",
                               style={"description_width": "initial"}, continuous_update=False)
    scoring = widgets.Dropdown(options=["quantiles", "cut points"], value="quantiles", description="recency by")
    cuts = [widgets.IntSlider(value=v, min=1, max=720, description=f"R{5 - i} under (days)",
                              continuous_update=False, style={"description_width": "initial"})
            for i, v in enumerate(DEFAULT_RECENCY_CUTS)]
    output = widgets.Output()

    def redraw(*_):
        output.clear_output(wait=True)
        with output:
            values = [c.value for c in cuts]
            if scoring.value == "cut points" and sorted(set(values)) != values:
                print(f"Recency cut points must increase: {values}. Move the sliders apart.")
                return
            table = rfm_explorer_view(orders, customers, as_of, window.value,
                                      values if scoring.value == "cut points" else None)
            display(table[["customers", "customer_share", "revenue_share", "median_recency_days"]])
            _show(bar_plot(table["customers"], "Customers per RFM segment", "customers", ylabel="RFM segment",
                           ax=_fresh_axes()))

    for control in (window, scoring, *cuts):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([window, scoring]), widgets.HBox(cuts[:2]), widgets.HBox(cuts[2:]), output])


def segment_explorer_view(features: pd.DataFrame, macro: pd.Series, tier: str, k: int, random_state: int = 0,
                          rule_depth: int = 3) -> dict:
    """Micro-segments of one macro tier for a given k: sizes, what stands out, readable rules and their fidelity."""
    from .clustering import cluster_profiles, describe_clusters, explain_with_rules, fit_nested

    if tier not in list(macro.cat.categories):
        raise ValueError(f"unknown macro segment {tier!r}; choose from {list(macro.cat.categories)}")
    members = (macro == tier).to_numpy()
    if not members.any():
        raise ValueError(f"macro segment {tier!r} has no customers")
    subset = features[members]
    labels = fit_nested(subset, macro[members].cat.remove_unused_categories(), k=k, random_state=random_state).labels
    _, z = cluster_profiles(subset, labels)
    sizes = labels.value_counts().sort_index().rename("customers").to_frame()
    sizes["share"] = (sizes["customers"] / sizes["customers"].sum()).round(3)
    sizes = sizes.join(describe_clusters(z))
    rules, fidelity = explain_with_rules(subset, labels, max_depth=rule_depth, random_state=random_state)
    return {"sizes": sizes, "z": z, "rules": rules, "fidelity": fidelity}


def segment_explorer(features: pd.DataFrame, macro: pd.Series, random_state: int = 0):
    """Pick a macro segment and k; sizes, a profile heatmap and the explaining rules update."""
    import ipywidgets as widgets
    from IPython.display import display

    from .plots import heatmap, heatmap_size

    tiers = [str(t) for t in macro.cat.categories if (macro == t).any()]
    tier = widgets.Dropdown(options=tiers, value=tiers[0], description="macro segment",
                            style={"description_width": "initial"})
    k = widgets.IntSlider(value=4, min=2, max=8, description="k", continuous_update=False)
    output = widgets.Output()

    def redraw(*_):
        output.clear_output(wait=True)
        with output:
            view = segment_explorer_view(features, macro, tier.value, k.value, random_state)
            display(view["sizes"])
            top = view["z"].abs().max().sort_values(ascending=False).index[:12]
            profile = view["z"][top].T
            _show(heatmap(profile, f"What stands out in each micro-segment of '{tier.value}' (z-scores)",
                          fmt=".1f", cmap="vlag", colorbar="standard deviations from average", center=0,
                          ax=_fresh_axes(heatmap_size(profile))))
            print(f"Rules (depth 3) reproduce {view['fidelity']:.0%} of the segments:\n{view['rules']}")

    for control in (tier, k):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([tier, k]), output])


def campaign_planner(data, budget: float = 5000.0, min_audience: int = 200):
    """Choose segments, a channel, an offer and a budget; the funded audience, cost, profit range and ROI update.

    ``data`` is a :class:`helpers.campaign.PlanningData`; the numbers come from
    :func:`helpers.campaign.planner_view`, which the tests check without a browser.
    """
    import ipywidgets as widgets
    from IPython.display import display

    from .campaign import CHANNELS, OFFERS, planner_view
    from .plots import bar_plot

    names = sorted(data.segments.unique())
    chosen = widgets.SelectMultiple(options=names, value=tuple(names), rows=min(len(names), 10),
                                    description="segments", style={"description_width": "initial"})
    channel = widgets.Dropdown(options=[c for c in CHANNELS.index if c != "none"], value="email", description="channel")
    offer = widgets.Dropdown(options=list(OFFERS.index), value="15% off", description="offer")
    spend = widgets.IntSlider(value=int(budget), min=0, max=50_000, step=500, description="budget ($)",
                              continuous_update=False, style={"description_width": "initial"})
    output = widgets.Output()

    def redraw(*_):
        output.clear_output(wait=True)
        with output:
            table, totals = planner_view(data, list(chosen.value), channel.value, offer.value, spend.value, min_audience)
            assumed = bool(CHANNELS.loc[channel.value, "assumed"] or OFFERS.loc[offer.value, "assumed"])
            print(f"{int(totals['contacts']):,} contacts, cost ${totals['cost']:,.0f}, expected profit "
                  f"${totals['profit']:,.0f} (range ${totals['profit_low']:,.0f} to ${totals['profit_high']:,.0f})"
                  + (f", ROI {totals['roi']:.1f}" if pd.notna(totals["roi"]) else ""))
            if assumed:
                print("The effect of this channel or offer was never tested: it is an assumption (see CHANNELS, OFFERS).")
            display(table)
            funded = table[table["contacts"] > 0]
            if len(funded):
                _show(bar_plot(funded["profit"], "Expected profit of the funded segments", "expected profit ($)",
                               ylabel="segment", ax=_fresh_axes()))

    for control in (chosen, channel, offer, spend):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([chosen, widgets.VBox([channel, offer, spend])]), output])
