"""What one review or year-plan scenario gave: compact, exact records and their tidy tables.

A sweep of reviews (``sweep(..., version=, review=)``) gives a :class:`ReviewResult` per
scenario, summarised from its :class:`~allocate.review.Reallocation`; a sweep of year plans
(``sweep(..., years=)``) a :class:`YearsResult`, summarised from its
:class:`~allocate.review.YearPlan`.  Both are equal whichever executor computed them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from allocate.analysis.scenarios.errors import ScenarioError
from allocate.core.frames import MoneyAs, frame, nullable_ints, numeric
from allocate.core.outcome import Status
from allocate.core.review import Reallocation
from allocate.core.years import YearPlan

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "REVIEW_MEASURES",
    "REVIEW_TOTALS",
    "YEARS_COLUMNS",
    "YEARS_COMPARE_COLUMNS",
    "YEARS_TOTALS",
    "ReviewResult",
    "YearsResult",
]

#: Per-member measures of a review result, in the order the tables list them (all money).
REVIEW_MEASURES = ("award", "remaining_after", "moved", "delivered", "remaining_before", "as_made")
#: The totals of a review result; the money ones are marked.
REVIEW_TOTALS = (
    ("moved", True),
    ("awards", True),
    ("delivered", True),
    ("remaining", True),
    ("members_changed", False),
    ("members_cut", False),
    ("members_no_new_work", False),
)
#: The totals of a year-plan result over the term; the money ones are marked.
YEARS_TOTALS = (
    ("top_slice", True),
    ("awards", True),
    ("moved", True),
    ("members_held", False),
    ("largest_change", False),
)
#: The columns of a year-plan sweep's table (``year`` missing on the term's rows).
YEARS_COLUMNS = ["scenario", "status", "year", "measure", "item", "value"]
#: The columns of a year-plan comparison.
YEARS_COMPARE_COLUMNS = [*YEARS_COLUMNS, "baseline", "change"]


@dataclass(frozen=True)
class ReviewResult:
    """What one review scenario gave: per member (over its lots) and in total, exactly."""

    scenario: str
    status: str
    """The reallocation's status (``optimal``, ``infeasible`` ...) or ``invalid``."""
    members: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """Per member: each of :data:`REVIEW_MEASURES` in pounds, summed over its lots."""
    totals: dict[str, Decimal] = field(default_factory=dict)
    """:data:`REVIEW_TOTALS`: money moved (Σ |change|), awards, delivered, remaining, how many
    members' remaining work changed, how many had a capacity cut, how many were given no new
    work."""
    fingerprint: str = ""
    """The new version's input fingerprint."""
    error: str | None = None
    """Why the scenario is ``invalid``."""
    document: Reallocation | None = None
    """The whole reallocation, when the sweep was asked to keep it."""
    exception: ScenarioError | None = field(default=None, compare=False, repr=False)
    seconds: float = field(default=0.0, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the scenario has a reallocation."""
        return self.status == Status.OPTIMAL.value


@dataclass(frozen=True)
class YearsResult:
    """What one year-plan scenario gave: each year's awards and top-slices, and the term's."""

    scenario: str
    status: str
    """The plan's status (``optimal`` when every year was allocated) or ``invalid``."""
    stability: Decimal | None = None
    """The stability share the scenario planned with."""
    awards: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    """By year, then member: the member's award over the year's lots."""
    top_slices: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    """By year, then contract: the hub's top-slice."""
    totals: dict[str, Decimal | None] = field(default_factory=dict)
    """:data:`YEARS_TOTALS` over the term: top-slice, awards, money moved from one year to the
    next (Σ |award − previous|), member-years held by the stability rule, and the largest
    change of a member's award from one year to the next as a share of the year before."""
    error: str | None = None
    document: YearPlan | None = None
    """The whole plan, when the sweep was asked to keep it."""
    exception: ScenarioError | None = field(default=None, compare=False, repr=False)
    seconds: float = field(default=0.0, compare=False)

    @property
    def ok(self) -> bool:
        """Whether every year was allocated."""
        return self.status == Status.OPTIMAL.value


def invalid_review(name: str, exc: ScenarioError, seconds: float) -> ReviewResult:
    """The record of a review scenario that could not be applied."""
    return ReviewResult(name, "invalid", error=str(exc), exception=exc, seconds=seconds)


def invalid_years(name: str, exc: ScenarioError, seconds: float) -> YearsResult:
    """The record of a year-plan scenario that could not be applied."""
    return YearsResult(name, "invalid", error=str(exc), exception=exc, seconds=seconds)


def summarise_review(name: str, doc: Reallocation, keep: bool, seconds: float) -> ReviewResult:
    """The compact, exact record of one review scenario's reallocation."""
    members: dict[str, dict[str, Decimal]] = {}
    for r in doc.rows:
        row = members.setdefault(r.member, dict.fromkeys(REVIEW_MEASURES, Decimal("0.00")))
        for measure in REVIEW_MEASURES:
            row[measure] += getattr(r, measure)
    limits = doc.limits
    cut = len({c.member for c in limits.capacities if c.cut}) if limits is not None else 0
    barred = len(limits.no_new_work) if limits is not None else 0
    totals = {
        "moved": doc.moved,
        "awards": sum((a.amount for a in doc.awards), Decimal("0.00")),
        "delivered": sum((r.delivered for r in doc.rows), Decimal("0.00")),
        "remaining": sum((r.remaining_after for r in doc.rows), Decimal("0.00")),
        "members_changed": Decimal(sum(1 for m in members.values() if m["moved"] != 0)),
        "members_cut": Decimal(cut),
        "members_no_new_work": Decimal(barred),
    }
    return ReviewResult(
        scenario=name,
        status=doc.status.value,
        members=members if doc.status.is_ok else {},
        totals=totals if doc.status.is_ok else {},
        fingerprint=doc.version.fingerprint,
        document=doc if keep else None,
        seconds=seconds,
    )


def summarise_years(name: str, plan: YearPlan, keep: bool, seconds: float) -> YearsResult:
    """The compact, exact record of one year-plan scenario."""
    awards: dict[int, dict[str, Decimal]] = {}
    tops: dict[int, dict[str, Decimal]] = {}
    moved = Decimal("0.00")
    held = 0
    largest: Decimal | None = None
    for y in plan.years:
        if not y.status.is_ok:
            continue
        awards[y.year] = {m.member: m.award for m in y.members if m.award or m.previous}
        tops[y.year] = {c.id: c.top_slice for c in y.contracts}
        for m in y.members:
            held += m.held
            if m.previous is None:
                continue
            moved += abs(m.award - m.previous)
            if m.previous > 0:
                share = abs(m.award - m.previous) / m.previous
                largest = share if largest is None else max(largest, share)
    ok = plan.status.is_ok
    totals: dict[str, Decimal | None] = {
        "top_slice": sum((v for t in tops.values() for v in t.values()), Decimal("0.00")),
        "awards": sum((v for a in awards.values() for v in a.values()), Decimal("0.00")),
        "moved": moved,
        "members_held": Decimal(held),
        "largest_change": largest,
    }
    return YearsResult(
        scenario=name,
        status=plan.status.value,
        stability=plan.stability,
        awards=awards,
        top_slices=tops,
        totals=totals if ok else {},
        document=plan if keep else None,
        seconds=seconds,
    )


Key = tuple[int | None, str, str]


def review_quantities(r: ReviewResult) -> dict[Key, Decimal | None]:
    """Every number of a review result keyed by (year: None, measure, item)."""
    out: dict[Key, Decimal | None] = {}
    for measure in REVIEW_MEASURES:
        for member, row in r.members.items():
            out[None, measure, member] = row[measure]
    for name, _ in REVIEW_TOTALS:
        out[None, "total", name] = r.totals.get(name)
    return out


def years_quantities(r: YearsResult) -> dict[Key, Decimal | None]:
    """Every number of a year-plan result keyed by (year, measure, item); the term's: year None.

    Per year: ``award`` (member), ``top_slice`` (contract).  Over the term: ``term_award``
    (member: its awards over the years allocated) and the ``total`` rows.
    """
    out: dict[Key, Decimal | None] = {}
    term: dict[str, Decimal] = {}
    for year, row in r.awards.items():
        for member, amount in row.items():
            out[year, "award", member] = amount
            term[member] = term.get(member, Decimal("0.00")) + amount
        for contract, amount in r.top_slices.get(year, {}).items():
            out[year, "top_slice", contract] = amount
    for member, amount in term.items():
        out[None, "term_award", member] = amount
    for name, _ in YEARS_TOTALS:
        out[None, "total", name] = r.totals.get(name)
    return out


_REVIEW_COUNTS = frozenset(n for n, money in REVIEW_TOTALS if not money)
_YEARS_NOT_MONEY = frozenset(n for n, money in YEARS_TOTALS if not money)


def life_is_money(measure: str, item: str) -> bool:
    """Whether a quantity of a review or year-plan result is money (pounds)."""
    if measure == "total":
        return item not in _REVIEW_COUNTS and item not in _YEARS_NOT_MONEY
    return True


def quantities_of(r: ReviewResult | YearsResult) -> dict[Key, Decimal | None]:
    """The quantities of either kind of result; missing values when it has no answer."""
    q = review_quantities(r) if isinstance(r, ReviewResult) else years_quantities(r)
    return q if r.ok else dict.fromkeys(q)


def life_frame(results: Sequence[ReviewResult | YearsResult], money: MoneyAs) -> pd.DataFrame:
    """The tidy table of a review or year-plan sweep (see ``SweepResults.to_frame``)."""
    years = any(isinstance(r, YearsResult) for r in results)
    rows: list[tuple[object, ...]] = []
    for r in results:
        if r.status == "invalid":
            rows.append((r.scenario, r.status, None, None, None, None))
            continue
        for (year, measure, item), value in quantities_of(r).items():
            rows.append((r.scenario, r.status, year, measure, item, value))
    return _tidy(rows, YEARS_COLUMNS, money, years)


def _tidy(
    rows: list[tuple[object, ...]], columns: list[str], money: MoneyAs, years: bool
) -> pd.DataFrame:
    table = frame(rows, columns=columns)
    if years:
        table["year"] = nullable_ints(
            [y if isinstance(y, int) else None for y, *_ in (row[2:] for row in rows)]
        )
    else:
        table = table.drop(columns="year")
    flags = [
        isinstance(m, str) and isinstance(i, str) and life_is_money(m, i)
        for m, i in zip(table["measure"], table["item"], strict=True)
    ]
    mixed = [c for c in ("value", "baseline", "change") if c in table.columns]
    return numeric(table, money, mixed=mixed, money_rows=flags)


def life_compare(
    results: Sequence[ReviewResult | YearsResult], base: ReviewResult | YearsResult, money: MoneyAs
) -> pd.DataFrame:
    """Review or year-plan results against a baseline, with ``baseline`` and ``change``."""
    years = isinstance(base, YearsResult)
    base_q = quantities_of(base)
    per = [quantities_of(r) for r in results]
    order: dict[Key, int] = {}
    for q in [base_q, *per]:
        for key in q:
            order.setdefault(key, len(order))
    rank = {"award": 0, "remaining_after": 1, "moved": 2, "top_slice": 3, "term_award": 4}
    keys = sorted(order, key=lambda k: (k[0] is None, k[0] or 0, rank.get(k[1], 5), order[k]))
    rows: list[tuple[object, ...]] = []
    for r, q in zip(results, per, strict=True):
        if r.status == "invalid":
            continue
        for key in keys:
            if key[1] == "total":
                value, ref = q.get(key), base_q.get(key)
            else:  # a member or contract absent from one side counts 0 there
                value = q.get(key, Decimal(0) if r.ok else None)
                ref = base_q.get(key, Decimal(0) if base.ok else None)
            change = value - ref if value is not None and ref is not None else None
            rows.append((r.scenario, r.status, key[0], key[1], key[2], value, ref, change))
    return _tidy(rows, YEARS_COMPARE_COLUMNS, money, years)
