"""Plots for looking instead of reading (matplotlib: ``pip install 'allocate[plot]'``).

Every function draws on the ``ax`` it is given, or on a new figure, and returns the
:class:`matplotlib.axes.Axes`; nothing is shown or saved behind the caller's back.

* :func:`plot_awards` — each member's award against its fair share;
* :func:`plot_glide_path` — the hub's top-slice and the members' income over a contract's
  years (from :func:`allocate.scenarios.glide_path`);
* :func:`plot_lorenz` — the Lorenz curve of awards relative to capacity, with the Gini;
* :func:`plot_comparison` — each member's change of award in each scenario (from
  :func:`allocate.scenarios.compare`).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from allocate.examples import demo_problem
>>> from allocate import solve
>>> ax = plot_awards(solve(demo_problem()))
>>> ax.get_xlabel()
'£'
>>> import matplotlib.pyplot as plt; plt.close("all")
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from allocate.core.outcome import Allocation

if TYPE_CHECKING:  # matplotlib is an optional extra: imported at run time by _matplotlib()
    from matplotlib.axes import Axes

__all__ = ["plot_awards", "plot_comparison", "plot_glide_path", "plot_lorenz"]

_AWARD = "#2f81f7"
_FAIR = "#1f2328"
_HUB = "#bf8700"


def _matplotlib(module: str) -> Any:
    """``matplotlib.<module>``, imported on first use: matplotlib is an optional extra."""
    try:
        return importlib.import_module(f"matplotlib.{module}")
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'allocate[plot]'") from None


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, new = _matplotlib("pyplot").subplots(figsize=size, layout="constrained")
    return new  # type: ignore[no-any-return]


def _pounds(ax: Axes, axis: str = "x") -> None:
    fmt = _matplotlib("ticker").FuncFormatter(lambda v, _: f"{'-' if v < 0 else ''}£{abs(v):,.0f}")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def plot_awards(
    allocation: Allocation, *, ax: Axes | None = None, include_unfunded: bool = False
) -> Axes:
    """Each member's award (bar) against its fair share under the rule (tick), largest first.

    Parameters
    ----------
    allocation
        A solved allocation.
    ax
        Axes to draw on; a new figure when None.
    include_unfunded
        Also list members with no award and no fair share.
    """
    members = [
        m
        for m in sorted(allocation.audit.members, key=lambda m: (m.award, m.fair_share, m.member))
        if include_unfunded or m.award > 0 or m.fair_share > 0
    ]
    ax = _axes(ax, (8, 0.4 * len(members) + 1.5))
    y = list(range(len(members)))
    ax.barh(y, [float(m.award) for m in members], color=_AWARD, label="award", height=0.6)
    ax.scatter(
        [float(m.fair_share) for m in members],
        y,
        marker="|",
        s=400,
        linewidths=2.5,
        color=_FAIR,
        label="fair share",
        zorder=3,
    )
    ax.set_yticks(y, [m.name for m in members])
    ax.set_xlabel("£")
    _pounds(ax)
    ax.set_title(f"Awards against fair shares ({allocation.rule} rule)", loc="left")
    ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


def plot_glide_path(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The hub's top-slice and each member's income, year by year, from :func:`glide_path`.

    Stacked bars per contract year: the hub's top-slice at the bottom, then each member's
    income; the rate is written above each bar.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from allocate.examples import demo_problem
    >>> from allocate.analysis.scenarios import glide_path
    >>> ax = plot_glide_path(glide_path(demo_problem()))
    >>> [t.get_text() for t in ax.texts]
    ['10.0%', '7.5%', '5.0%']
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    ax = _axes(ax, (8, 5))
    ok = frame[frame["income"].notna()]
    years = sorted(int(y) for y in ok["year"].unique())
    tops = _stack_incomes(ax, ok, years)
    rates = ok.drop_duplicates("year").set_index("year")["rate"]
    for y, top in zip(years, tops, strict=True):
        ax.annotate(
            f"{float(rates[y]) * 100:.1f}%",
            (y, top),
            ha="center",
            va="bottom",
            xytext=(0, 3),
            textcoords="offset points",
        )
    ax.set_xticks(years, [f"year {y}" for y in years])
    ax.set_ylabel("income in the year (£)")
    _pounds(ax, "y")
    ax.set_title("Top-slice glide path: the hub's share and members' income", loc="left")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(  # top of the legend = top of the stack
        handles[::-1],
        labels[::-1],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        frameon=False,
        fontsize="small",
    )
    return ax


def _stack_incomes(ax: Axes, ok: pd.DataFrame, years: list[int]) -> list[float]:
    """One bar per year: the hub's income at the bottom, then each member's; the bars' tops."""
    parties = list(dict.fromkeys(ok["party"]))
    parties = ["hub", *[p for p in parties if p != "hub"]]
    colours = _matplotlib("pyplot").get_cmap("tab20").colors
    bottom = [0.0] * len(years)
    for i, party in enumerate(parties):
        rows = ok[ok["party"] == party].set_index("year")
        heights = [float(rows["income"].get(y, Decimal(0))) for y in years]
        colour = _HUB if party == "hub" else colours[i % len(colours)]
        ax.bar(years, heights, bottom=bottom, color=colour, label=party, width=0.6)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    return bottom


def plot_lorenz(allocation: Allocation, *, ax: Axes | None = None) -> Axes:
    """Lorenz curve of awards relative to capacity, with the line of equality and the Gini.

    Members (with eligible capacity) are ordered by award / capacity; the curve plots their
    cumulative share of capacity against their cumulative share of awards.  A proportional
    allocation lies on the diagonal.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from allocate.examples import demo_problem
    >>> from allocate import solve
    >>> ax = plot_lorenz(solve(demo_problem()))
    >>> ax.get_legend().get_texts()[1].get_text()
    'awards (Gini 0.093)'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    ax = _axes(ax, (5.5, 5.5))
    members = [m for m in allocation.audit.members if m.capacity > 0]
    members.sort(key=lambda m: (m.award / m.capacity, m.member))
    total_cap = sum((m.capacity for m in members), Decimal(0))
    total_award = sum((m.award for m in members), Decimal(0))
    xs, ys = [0.0], [0.0]
    cap = award = Decimal(0)
    for m in members:
        cap += m.capacity
        award += m.award
        xs.append(float(cap / total_cap) if total_cap else 0.0)
        ys.append(float(award / total_award) if total_award else 0.0)
    ax.plot([0, 1], [0, 1], color="#8c959f", linestyle="--", label="equality")
    gini = allocation.audit.metrics.gini
    label = "awards" + (f" (Gini {float(gini):.3f})" if gini is not None else "")
    ax.plot(xs, ys, color=_AWARD, marker="o", markersize=4, label=label)
    ax.fill_between(xs, xs, ys, color=_AWARD, alpha=0.12)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("cumulative share of capacity")
    ax.set_ylabel("cumulative share of awards")
    ax.set_title("Lorenz curve: awards relative to capacity", loc="left")
    ax.legend(loc="upper left", frameon=False)
    return ax


def plot_comparison(frame: pd.DataFrame, *, ax: Axes | None = None, measure: str = "award") -> Axes:
    """Change from the baseline per item (member, contract ...) and scenario, from :func:`compare`.

    Grouped horizontal bars: one group per item, one bar per scenario other than the baseline.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from allocate.examples import demo_problem
    >>> from allocate.analysis.scenarios import Scenario, compare, set_top_slice
    >>> f = compare(demo_problem(), [Scenario("5%", [set_top_slice(rate="0.05")])])
    >>> ax = plot_comparison(f)
    >>> ax.get_legend().get_texts()[0].get_text()
    '5%'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    rows = frame[(frame["measure"] == measure) & frame["change"].notna()]
    changed = rows[rows["change"] != 0]
    scenarios = [s for s in dict.fromkeys(rows["scenario"]) if (changed["scenario"] == s).any()]
    items = list(dict.fromkeys(changed["item"]))
    ax = _axes(ax, (8, 0.35 * max(len(items), 1) * max(len(scenarios), 1) + 1.8))
    height = 0.8 / max(len(scenarios), 1)
    colours = _matplotlib("pyplot").get_cmap("tab10").colors
    for j, scenario in enumerate(scenarios):
        sub = rows[rows["scenario"] == scenario].set_index("item")["change"]
        values = [float(sub.get(item, Decimal(0))) for item in items]
        ys = [i + (j - (len(scenarios) - 1) / 2) * height for i in range(len(items))]
        ax.barh(ys, values, height=height, color=colours[j % len(colours)], label=scenario)
    ax.set_yticks(range(len(items)), items)
    ax.invert_yaxis()
    ax.axvline(0, color=_FAIR, linewidth=0.8)
    ax.set_xlabel(f"change in {measure.replace('_', ' ')} from the baseline (£)")
    _pounds(ax)
    ax.set_title("Scenarios against the baseline", loc="left")
    if scenarios:
        ax.legend(frameon=False, fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax
