"""Plots shared by the lessons: one look (colour-blind-safe, laptop-sized, labelled) for the whole course."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .sales import net_revenue_by

FIGSIZE = (9, 4.5)
PALETTE = "colorblind"


def use_course_style() -> None:
    """The course's look: seaborn's colour-blind palette, a white grid, a laptop-sized figure,
    and tables that show whole sentences and at most 30 columns."""
    sns.set_theme(style="whitegrid", palette=PALETTE, rc={"figure.figsize": FIGSIZE, "figure.dpi": 90,
                                                          "axes.titleweight": "bold"})
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_colwidth", 120)


def _axes(ax: plt.Axes | None) -> plt.Axes:
    return ax if ax is not None else plt.subplots(figsize=FIGSIZE)[1]


def monthly_orders_plot(orders: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    """Completed orders per month, one line per channel."""
    ax = _axes(ax)
    done = orders[orders["status"] == "completed"].drop_duplicates("order_id")
    monthly = (done.groupby([done["order_ts"].dt.to_period("M").dt.to_timestamp(), "channel"], observed=True)
               .size().rename("orders").reset_index())
    sns.lineplot(data=monthly, x="order_ts", y="orders", hue="channel", marker="o", ax=ax)
    ax.set(title="Completed orders per month, by channel", xlabel="month", ylabel="orders")
    ax.legend(title="channel", loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def category_revenue_plot(orders: pd.DataFrame, products: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    """Net revenue by product category (the course's net-value rule), largest first."""
    ax = _axes(ax)
    lines = orders.merge(products[["product_id", "category"]], on="product_id")
    revenue = (net_revenue_by(lines, "category") / 1000).reset_index()
    revenue["category"] = revenue["category"].astype(str)  # plain labels, so bars follow the revenue order
    sns.barplot(data=revenue, y="category", x="net_revenue", order=revenue["category"],
                color=sns.color_palette(PALETTE)[0], ax=ax)
    ax.set(title="Net revenue by category (after discounts, returns and cancellations)",
           xlabel="net revenue (thousand USD)", ylabel="")
    return ax


def distribution_plot(frame: pd.DataFrame, column: str, by: str, ax: plt.Axes | None = None,
                      title: str | None = None) -> plt.Axes:
    """Box plots of one numeric column across the groups of another."""
    ax = _axes(ax)
    order = sorted(frame[by].dropna().unique()) if frame[by].dtype != "category" else list(frame[by].cat.categories)
    sns.boxplot(data=frame, x=by, y=column, order=order, color=sns.color_palette(PALETTE)[2], ax=ax)
    ax.set(title=title or f"{column.replace('_', ' ')} by {by.replace('_', ' ')}",
           xlabel=by.replace("_", " "), ylabel=column.replace("_", " "))
    return ax


def share_plot(frame: pd.DataFrame, column: str, by: str, ax: plt.Axes | None = None,
               title: str | None = None) -> plt.Axes:
    """Share of True in a yes/no column for each group, as bars (e.g. conversion by arm)."""
    ax = _axes(ax)
    share = frame.groupby(by, observed=True)[column].mean().rename("share").reset_index()
    share[by] = share[by].astype(str)  # categorical hue would dodge the bars off centre
    sns.barplot(data=share, x=by, y="share", hue=by, palette=PALETTE, legend=False, ax=ax)
    ax.set(title=title or f"share {column.replace('_', ' ')} by {by.replace('_', ' ')}",
           xlabel=by.replace("_", " "), ylabel=f"share {column.replace('_', ' ')}")
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    return ax






def rfm_grid_plot(scores: pd.DataFrame, segments: pd.Series, ax: plt.Axes | None = None) -> plt.Axes:
    """Customers on the R x FM grid, each cell labelled with its count and named segment."""
    ax = ax if ax is not None else plt.subplots(figsize=(9, 6))[1]
    scored = scores.assign(segment=segments.astype(str)).dropna(subset=["R", "FM"])
    counts = pd.crosstab(scored["R"].astype(int), scored["FM"].astype(int)).sort_index(ascending=False)
    names = scored.groupby(["R", "FM"], observed=True)["segment"].first().unstack().reindex_like(counts)
    labels = counts.astype(str) + "\n" + names.fillna("")
    sns.heatmap(counts, annot=labels, fmt="", cmap="Blues", cbar_kws={"label": "customers"}, ax=ax,
                annot_kws={"fontsize": 8})
    ax.set(title="Customers by recency (R) and frequency-value (FM) score", xlabel="FM score (higher = more, bigger orders)",
           ylabel="R score (higher = more recent)")
    return ax


def retention_heatmap(table: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    """Cohort retention as a heatmap: share of each sign-up cohort buying in each later period."""
    ax = ax if ax is not None else plt.subplots(figsize=(9, 4.5))[1]
    sns.heatmap(table, annot=True, fmt=".0%", cmap="viridis", vmin=0, cbar_kws={"label": "share buying"}, ax=ax)
    ax.set(title="Retention: share of each sign-up cohort buying in later periods",
           xlabel=table.columns.name or "periods since sign-up", ylabel=table.index.name or "cohort")
    return ax


def bar_plot(values: pd.Series, title: str, xlabel: str, ylabel: str = "", ax: plt.Axes | None = None) -> plt.Axes:
    """Horizontal bars of a labelled Series, in its own order (first label on top)."""
    ax = _axes(ax)
    frame = values.rename("value").reset_index()
    label = frame.columns[0]
    frame[label] = frame[label].astype(str)
    sns.barplot(data=frame, y=label, x="value", order=frame[label], color=sns.color_palette(PALETTE)[0], ax=ax)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def heatmap_size(frame: pd.DataFrame) -> tuple[float, float]:
    """Width and height (inches) that fit a heatmap of ``frame``: its columns across, its rows down."""
    return max(6, 0.8 * frame.shape[1] + 3), max(3, 0.45 * len(frame) + 1.5)


def heatmap(frame: pd.DataFrame, title: str, fmt: str = ".0%", cmap: str = "viridis", colorbar: str = "share",
            ax: plt.Axes | None = None, **kwargs) -> plt.Axes:
    """An annotated heatmap of a table (rows and columns labelled as in the table)."""
    ax = ax if ax is not None else plt.subplots(figsize=heatmap_size(frame))[1]
    sns.heatmap(frame.astype(float), annot=True, fmt=fmt, cmap=cmap, cbar_kws={"label": colorbar}, ax=ax,
                annot_kws={"fontsize": 8}, **kwargs)
    ax.set(title=title, xlabel=frame.columns.name or "", ylabel=frame.index.name or "")
    return ax


def uplift_plot(profile: pd.DataFrame, ax: plt.Axes | None = None, title: str | None = None) -> plt.Axes:
    """Each segment's campaign uplift (treatment minus control conversion) with its 95% interval."""
    ax = _axes(ax)
    data = profile.dropna(subset=["uplift"])
    y = np.arange(len(data))[::-1]
    ax.errorbar(data["uplift"], y, xerr=[data["uplift"] - data["uplift_low"], data["uplift_high"] - data["uplift"]],
                fmt="o", color=sns.color_palette(PALETTE)[0], capsize=4)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(y, [str(i) for i in data.index])
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.FuncFormatter(lambda x, _: f"{100 * x:+.0f} pts"))
    ax.set(title=title or "Campaign uplift per segment (95% interval)",
           xlabel="conversion rate, emailed minus control (percentage points)", ylabel="")
    return ax


def gain_curves_plot(curves: dict[str, pd.DataFrame], value: str, title: str, ylabel: str,
                     random_line: bool = True, ax: plt.Axes | None = None) -> plt.Axes:
    """Curves against the share of customers targeted (highest scores first), one line per named curve.

    Each curve is a table with ``share`` and the ``value`` column (e.g. from
    :func:`helpers.uplift.qini_curve`); the dashed grey line is random
    targeting, from (0, 0) to the end of the first curve.
    """
    if not curves:
        raise ValueError("no curves to plot")
    ax = ax if ax is not None else plt.subplots(figsize=(7, 4.5))[1]
    colours = sns.color_palette(PALETTE)
    for i, (name, curve) in enumerate(curves.items()):
        if not {"share", value} <= set(curve.columns):
            raise ValueError(f"curve {name!r} needs the columns 'share' and {value!r}, has {list(curve.columns)}")
        if name.startswith("perfect"):  # the unreachable reference: black, dotted, never mistaken for a model
            ax.plot(curve["share"], curve[value], label=name, color="black", linestyle=":", linewidth=1.5)
            continue
        ax.plot(curve["share"], curve[value], label=name, color=colours[i % len(colours)], linewidth=2)
    if random_line:
        ax.plot([0, 1], [0, next(iter(curves.values()))[value].iloc[-1]], linestyle="--", color="grey", label="random")
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set(title=title, xlabel="share of customers targeted (highest scores first)", ylabel=ylabel)
    ax.legend()
    return ax


def range_plot(estimate: pd.Series, low: pd.Series, high: pd.Series, title: str, xlabel: str, ylabel: str = "",
               ax: plt.Axes | None = None) -> plt.Axes:
    """One row per item: a dot at the estimate and a line from low to high, with zero marked."""
    ax = _axes(ax) if ax is not None else plt.subplots(figsize=(8, max(2.5, 0.35 * len(estimate) + 1)))[1]
    rows = np.arange(len(estimate))[::-1]
    colour = sns.color_palette(PALETTE)[0]
    ax.hlines(rows, low.to_numpy(float), high.to_numpy(float), color=colour, linewidth=2, alpha=0.6)
    ax.plot(estimate.to_numpy(float), rows, "o", color=colour)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(rows, [str(i) for i in estimate.index])
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def flow_bars(shares: pd.DataFrame, title: str, ax: plt.Axes | None = None) -> plt.Axes:
    """Where each row's customers went: one stacked bar per row of a row-share table (e.g. a transition matrix).

    The first row is drawn at the top; colours follow the columns (the segments at the second date).
    """
    ax = ax if ax is not None else plt.subplots(figsize=(10, max(3, 0.4 * len(shares) + 1.5)))[1]
    colours = sns.color_palette(PALETTE)  # 10 colour-blind-safe colours; beyond them, hatching tells bars apart
    left = np.zeros(len(shares))
    rows = np.arange(len(shares))[::-1]
    for i, column in enumerate(shares.columns):
        widths = shares[column].to_numpy(float)
        ax.barh(rows, widths, left=left, color=colours[i % len(colours)], label=str(column), edgecolor="white",
                linewidth=0.5, hatch="//" if i >= len(colours) else None)
        left += widths
    ax.set_yticks(rows, [str(i) for i in shares.index])
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set(title=title, xlabel="share of the segment's customers at the first date",
           ylabel=shares.index.name or "", xlim=(0, 1))
    ax.legend(title=shares.columns.name or "", bbox_to_anchor=(1.01, 1), loc="upper left", fontsize="small")
    return ax


def tracking_plot(tracking: pd.DataFrame, title: str, cumulative: bool = False, ax: plt.Axes | None = None,
                  period: str | None = None) -> plt.Axes:
    """Repeat purchases per period, actual (solid) against the model (dashed), the holdout shaded.

    ``tracking`` is :func:`helpers.clv.repeat_purchase_tracking`'s table;
    ``cumulative`` plots the running totals instead. With ``period`` (say
    "week"), the x-axis counts periods (1 = the first) instead of showing the
    date each one ends, so it reads as the text's "week 39".
    """
    ax = _axes(ax)
    colours = sns.color_palette(PALETTE)
    actual, expected = ("cumulative_actual", "cumulative_expected") if cumulative else ("actual", "expected")
    x = pd.Series(np.arange(1, len(tracking) + 1), index=tracking.index) if period else tracking["period_end"]
    ax.plot(x, tracking[actual], color=colours[0], linewidth=2, label="actual")
    ax.plot(x, tracking[expected], color=colours[1], linewidth=2, linestyle="--", label="model")
    holdout = x[tracking["holdout"].to_numpy(bool)]
    if len(holdout):
        ax.axvspan(holdout.iloc[0], holdout.iloc[-1], color="grey", alpha=0.15, label="holdout (not seen by the model)")
    ax.set_ylim(bottom=0)
    xlabel = f"{period} (1 = the first {period} of the first purchases)" if period else "period ending"
    ax.set(title=title, xlabel=xlabel, ylabel=("cumulative " if cumulative else "") + "repeat purchases")
    ax.legend()
    return ax
