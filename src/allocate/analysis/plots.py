"""Plots for looking instead of reading (matplotlib: ``pip install 'allocate[plot]'``).

Every function draws on the ``ax`` it is given, or on a new figure, and returns the
:class:`matplotlib.axes.Axes`; nothing is shown or saved behind the caller's back.

Two rules hold in every plot.  **Members are labelled by their id**, the one label every table
(``compare``, ``glide_path``, the audit) carries too, so a member reads the same in each chart.
**A figure stays readable however many members or scenarios there are**: a new figure is never
taller than :data:`MAX_HEIGHT` inches; the awards, the glide path and the comparison show the
largest ``top`` members (or items) and gather the rest into one "others" bar, band or note.

* :func:`plot_awards` — each member's award against its fair share;
* :func:`plot_glide_path` — the hub's top-slice and the members' income over a contract's
  years (from :func:`allocate.scenarios.glide_path`);
* :func:`plot_lorenz` — the Lorenz curve of awards relative to capacity, with the Gini;
* :func:`plot_comparison` — each member's change of award in each scenario (from
  :func:`allocate.scenarios.compare`);
* :func:`plot_reallocation` — each member's award as made, what it delivered and its award
  after a review's reallocation (:func:`allocate.review.reallocate`);
* :func:`plot_years` — each member's award year by year in a year plan
  (:func:`allocate.review.plan_years`), with the hub's top-slice.

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

from allocate.analysis import money_over_time
from allocate.core.model import Problem
from allocate.core.money import format_money
from allocate.core.outcome import Allocation
from allocate.core.review import Reallocation
from allocate.core.years import YearPlan

if TYPE_CHECKING:  # matplotlib is an optional extra: imported at run time by _matplotlib()
    from matplotlib.axes import Axes

__all__ = [
    "MAX_HEIGHT",
    "plot_awards",
    "plot_cash_flow",
    "plot_comparison",
    "plot_glide_path",
    "plot_lorenz",
    "plot_reallocation",
    "plot_years",
]

#: The tallest new figure a plot makes, in inches (900 pixels at matplotlib's default 100 dpi).
MAX_HEIGHT = 9.0

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
    width, height = size
    _, new = _matplotlib("pyplot").subplots(
        figsize=(width, min(height, MAX_HEIGHT)), layout="constrained"
    )
    return new  # type: ignore[no-any-return]


def _check_top(top: int) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be a whole number of at least 1, not {top!r}")


def _others(n: int) -> str:
    return f"{n:,} other{'' if n == 1 else 's'}"


def _pounds(ax: Axes, axis: str = "x") -> None:
    fmt = _matplotlib("ticker").FuncFormatter(lambda v, _: f"{'-' if v < 0 else ''}£{abs(v):,.0f}")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def plot_awards(
    allocation: Allocation,
    *,
    ax: Axes | None = None,
    include_unfunded: bool = False,
    top: int = 30,
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
    top
        Show the ``top`` largest awards, each member by its id; the rest, if any, are one bar
        labelled "N others" (their awards and fair shares added up).
    """
    _check_top(top)
    members = [
        m
        for m in sorted(allocation.audit.members, key=lambda m: (m.award, m.fair_share, m.member))
        if include_unfunded or m.award > 0 or m.fair_share > 0
    ]
    rest, shown = (
        (members[: len(members) - top], members[-top:]) if len(members) > top else ([], members)
    )
    labels = [m.member for m in shown]
    awards = [float(m.award) for m in shown]
    fair = [float(m.fair_share) for m in shown]
    if rest:  # at the bottom, under the largest ones
        labels.insert(0, _others(len(rest)))
        awards.insert(0, float(sum((m.award for m in rest), Decimal(0))))
        fair.insert(0, float(sum((m.fair_share for m in rest), Decimal(0))))
    ax = _axes(ax, (8, 0.3 * len(labels) + 1.5))
    y = list(range(len(labels)))
    ax.barh(y, awards, color=_AWARD, label="award", height=0.6)
    ax.scatter(
        fair,
        y,
        marker="|",
        s=400,
        linewidths=2.5,
        color=_FAIR,
        label="fair share",
        zorder=3,
    )
    ax.set_yticks(y, labels, fontsize="small" if len(labels) > 15 else None)
    ax.set_xlabel("£")
    _pounds(ax)
    ax.set_title(f"Awards against fair shares ({allocation.rule} rule)", loc="left")
    ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


def plot_glide_path(frame: pd.DataFrame, *, ax: Axes | None = None, top: int = 12) -> Axes:
    """The hub's top-slice and each member's income, year by year, from :func:`glide_path`.

    Stacked bars per contract year: the hub's top-slice at the bottom, then each member's
    income (the ``top`` members with the most income over the years, by id; the rest as one
    band, "N others"); the rate is written above each bar.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from allocate.examples import demo_problem
    >>> from allocate.analysis.scenarios import glide_path
    >>> ax = plot_glide_path(glide_path(demo_problem()))
    >>> [t.get_text() for t in ax.texts]
    ['10.0%', '7.5%', '5.0%']
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    _check_top(top)
    ax = _axes(ax, (8, 5))
    ok = frame[frame["income"].notna()]
    years = sorted(int(y) for y in ok["year"].unique())
    tops = _stack_incomes(ax, ok, years, top)
    rates = ok.drop_duplicates("year").set_index("year")["rate"]
    for y, height in zip(years, tops, strict=True):
        ax.annotate(
            f"{float(rates[y]) * 100:.1f}%",
            (y, height),
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


def _stack_incomes(ax: Axes, ok: pd.DataFrame, years: list[int], top: int) -> list[float]:
    """One bar per year: the hub's income at the bottom, then each member's; the bars' tops."""
    income: dict[str, dict[int, float]] = {}
    for party, year, amount in zip(ok["party"], ok["year"], ok["income"], strict=True):
        income.setdefault(str(party), {})[int(year)] = float(amount)
    members = sorted((p for p in income if p != "hub"), key=lambda p: (-sum(income[p].values()), p))
    shown, rest = members[:top], members[top:]
    bands: list[tuple[str, list[float]]] = []
    if "hub" in income:
        bands.append(("hub", [income["hub"].get(y, 0.0) for y in years]))
    bands += [(p, [income[p].get(y, 0.0) for y in years]) for p in shown]
    if rest:
        bands.append(
            (_others(len(rest)), [sum(income[p].get(y, 0.0) for p in rest) for y in years])
        )
    colours = _matplotlib("pyplot").get_cmap("tab20").colors
    bottom = [0.0] * len(years)
    for i, (label, heights) in enumerate(bands):
        colour = _HUB if label == "hub" else colours[i % len(colours)]
        if rest and i == len(bands) - 1:
            colour = "#8c959f"
        ax.bar(years, heights, bottom=bottom, color=colour, label=label, width=0.6)
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
    marker = "o" if len(members) <= 60 else None  # hundreds of dots hide the curve
    ax.plot(xs, ys, color=_AWARD, marker=marker, markersize=4, label=label)
    ax.fill_between(xs, xs, ys, color=_AWARD, alpha=0.12)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("cumulative share of capacity")
    ax.set_ylabel("cumulative share of awards")
    ax.set_title("Lorenz curve: awards relative to capacity", loc="left")
    ax.legend(loc="upper left", frameon=False)
    return ax


def plot_comparison(
    frame: pd.DataFrame, *, ax: Axes | None = None, measure: str = "award", top: int = 20
) -> Axes:
    """Change from the baseline per item (member, contract ...) and scenario, from :func:`compare`.

    Grouped horizontal bars: one group per item (a member by its id), one bar per scenario other
    than the baseline.  Only the ``top`` items whose change is largest in any scenario are
    drawn; a note under the chart says how many others changed.  The figure's height grows with
    the items and the scenarios up to :data:`MAX_HEIGHT`.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from allocate.examples import demo_problem
    >>> from allocate.analysis.scenarios import Scenario, compare, set_top_slice
    >>> f = compare(demo_problem(), [Scenario("5%", [set_top_slice(rate="0.05")])])
    >>> ax = plot_comparison(f)
    >>> ax.get_legend().get_texts()[0].get_text()
    '5%'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    _check_top(top)
    rows = frame[(frame["measure"] == measure) & frame["change"].notna()]
    changed = rows[rows["change"] != 0]
    scenarios = [s for s in dict.fromkeys(rows["scenario"]) if (changed["scenario"] == s).any()]
    largest: dict[str, float] = {}
    for item, change in zip(changed["item"], changed["change"], strict=True):
        largest[item] = max(largest.get(item, 0.0), abs(float(change)))
    ranked = sorted(largest, key=lambda i: -largest[i])  # stable: ties keep the table's order
    items = [i for i in dict.fromkeys(changed["item"]) if i in set(ranked[:top])]
    left_out = len(ranked) - len(items)
    per_item = 0.3 + 0.12 * max(len(scenarios) - 1, 0)
    ax = _axes(ax, (8, per_item * max(len(items), 1) + 1.8))
    height = 0.8 / max(len(scenarios), 1)
    colours = _matplotlib("pyplot").get_cmap("tab10").colors
    for j, scenario in enumerate(scenarios):
        sub = rows[rows["scenario"] == scenario].set_index("item")["change"]
        values = [float(sub.get(item, Decimal(0))) for item in items]
        ys = [i + (j - (len(scenarios) - 1) / 2) * height for i in range(len(items))]
        ax.barh(ys, values, height=height, color=colours[j % len(colours)], label=scenario)
    ax.set_yticks(range(len(items)), items, fontsize="small" if len(items) > 15 else None)
    ax.invert_yaxis()
    if left_out:
        ax.annotate(
            f"and {_others(left_out)} with smaller changes",
            (0, 0),
            xycoords="axes fraction",
            xytext=(0, -30),
            textcoords="offset points",
            fontsize="small",
            color="#57606a",
        )
    ax.axvline(0, color=_FAIR, linewidth=0.8)
    ax.set_xlabel(f"change in {measure.replace('_', ' ')} from the baseline (£)")
    _pounds(ax)
    ax.set_title("Scenarios against the baseline", loc="left")
    if scenarios:
        ax.legend(frameon=False, fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


_DELIVERED = "#1a7f37"


def plot_reallocation(reallocation: Reallocation, *, ax: Axes | None = None, top: int = 30) -> Axes:
    """Each member's award as made (outline), delivered (green) and reallocated (blue).

    Per member over the lots: the outlined bar is the award as made; the filled bar is the
    award after the review, its delivered part (kept, to the penny) and its remaining part as
    reallocated.  Members by id, the ``top`` largest awards as made; the rest one bar, "N
    others".
    """
    _check_top(top)
    totals: dict[str, list[Decimal]] = {}
    for r in reallocation.rows:
        t = totals.setdefault(r.member, [Decimal(0)] * 3)
        t[0] += r.as_made
        t[1] += r.delivered
        t[2] += r.remaining_after
    members = sorted(totals, key=lambda m: (totals[m][0], totals[m][1] + totals[m][2], m))
    rest, shown = (
        (members[: len(members) - top], members[-top:]) if len(members) > top else ([], members)
    )
    labels = list(shown)
    rows = [totals[m] for m in shown]
    if rest:
        labels.insert(0, _others(len(rest)))
        rows.insert(0, [sum((totals[m][i] for m in rest), Decimal(0)) for i in range(3)])
    ax = _axes(ax, (8, 0.3 * len(labels) + 1.5))
    y = list(range(len(labels)))
    made = [float(r[0]) for r in rows]
    done = [float(r[1]) for r in rows]
    after = [float(r[2]) for r in rows]
    ax.barh(y, done, color=_DELIVERED, height=0.5, label="delivered")
    ax.barh(y, after, left=done, color=_AWARD, height=0.5, label="reallocated (remaining)")
    ax.barh(y, made, fill=False, edgecolor=_FAIR, linewidth=1.2, height=0.75, label="as made")
    ax.set_yticks(y, labels, fontsize="small" if len(labels) > 15 else None)
    ax.set_xlabel("£")
    _pounds(ax)
    ax.set_title(
        f"As made, delivered and reallocated: {reallocation.version.label} "
        f"(version {reallocation.version.number})",
        loc="left",
    )
    ax.legend(loc="lower right", frameon=False, fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


def plot_years(plan: YearPlan, *, ax: Axes | None = None, top: int = 12) -> Axes:
    """Each member's award year by year (a line each), and the hub's top-slice (dashed).

    Members by id, the ``top`` with the largest awards over the plan; the rest one line, "N
    others" (their awards added up).  A year a member was held at a stability bound is marked
    with a diamond.
    """
    _check_top(top)
    years = [y.year for y in plan.years if y.status.is_ok]
    award: dict[str, dict[int, float]] = {}
    bound: dict[str, list[int]] = {}
    for y in plan.years:
        for row in y.members:
            award.setdefault(row.member, {})[y.year] = float(row.award)
            if row.held and row.award in (row.low, row.high):
                bound.setdefault(row.member, []).append(y.year)
    members = sorted(award, key=lambda m: (-sum(award[m].values()), m))
    shown, rest = members[:top], members[top:]
    ax = _axes(ax, (9, 5.5))
    for m in shown:
        values = [award[m].get(n, 0.0) for n in years]
        (line,) = ax.plot(years, values, marker="o", markersize=3, label=m)
        held = bound.get(m, [])
        if held:
            ax.scatter(
                held,
                [award[m][n] for n in held],
                marker="D",
                s=40,
                color=line.get_color(),
                zorder=3,
            )
    if rest:
        values = [sum(award[m].get(n, 0.0) for m in rest) for n in years]
        ax.plot(years, values, color="#8c959f", linewidth=2, label=_others(len(rest)))
    hub = [
        float(sum((c.top_slice for c in y.contracts), Decimal(0)))
        for y in plan.years
        if y.status.is_ok
    ]
    ax.plot(
        years, hub, color=_HUB, linestyle="--", marker="s", linewidth=2, label="hub's top-slice"
    )
    ax.set_xticks(years, [f"year {n}" for n in years])
    ax.set_ylabel("£")
    _pounds(ax, "y")
    rule = "no stability rule" if plan.stability is None else f"stability ±{plan.stability}"
    ax.set_title(f"Awards year by year: {plan.label} ({rule}; ◆ at a bound)", loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


def plot_cash_flow(
    problem: Problem, allocation: Allocation, member: str, *, ax: Axes | None = None
) -> Axes:
    """A member's running balance month by month (below zero: money it is owed), peak marked.

    ``member`` is a member id (``"hub"`` for the hub), which labels the plot.  The dashed line
    is its flag limit, the flag share of its reserves below zero, when it declares reserves.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from allocate import Problem, solve
    >>> from allocate.examples import money_demo_dict
    >>> p = Problem.model_validate(money_demo_dict())
    >>> ax = plot_cash_flow(p, solve(p), "harpur-arts")
    >>> ax.get_title(loc="left")
    'harpur-arts: running balance, peak need £2,934.79 in month 4'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    f = money_over_time.forecast(problem, allocation)
    if member == "hub":
        hub = f.hub
        assert hub is not None  # a forecast always has the hub's
        balance, need, month, limit = hub.balance, hub.peak_need, hub.peak_month, None
    elif member in f.members:
        m = f.members[member]
        balance, need, month, limit = m.balance, m.peak_need, m.peak_month, m.limit
    else:
        known = ", ".join(["hub", *f.members][:8])
        raise ValueError(f"member {member!r} has no award to forecast (known: {known} ...)")
    ax = _axes(ax, (7.5, 3.5))
    months = list(range(1, len(balance) + 1))
    pounds = [b / 100 for b in balance]
    ax.axhline(0, color="#8c959f", linewidth=0.8)
    ax.step(months, pounds, where="post", color=_AWARD, label="running balance")
    ax.fill_between(months, pounds, 0, step="post", where=[p < 0 for p in pounds],
                    color=_AWARD, alpha=0.12)  # fmt: skip
    if limit is not None:
        ax.axhline(-limit / 100, color=_HUB, linestyle="--", label="flag limit (reserves share)")
    title = f"{member}: running balance"
    if month is not None:
        ax.plot([month], [pounds[month - 1]], "o", color=_FAIR, label="peak need")
        title += f", peak need {format_money(need, pence=True)} in month {month}"
    ax.set_xlabel("month (1: first month of delivery)")
    _pounds(ax, "y")
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", frameon=False)
    return ax
