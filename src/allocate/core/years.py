"""Year-on-year allocation of a multi-year contract, as data: the plan's input and its output.

A contract's ``value`` covers its whole term (``term_years``).  A **year plan** allocates it
year by year: each year's lots get their share of the term's value (an even split, or the
values the input gives for the year), each capacity its share of the term's capacity in
proportion to the work of the year, the top-slice of the year (a glide path falls from 10%
towards 5% year by year), and, from the second year, an optional **stability rule**: a member
whose capacity and eligibility did not change receives, over the year's lots, between
``(1 − s)`` and ``(1 + s)`` times its award of the year before, in whole pence
(:func:`allocate.review.plan_years`).

Inputs are frozen and reject unknown fields, like :class:`~allocate.Problem`; they are checked
against the problem by :func:`check_years`, which raises :class:`~allocate.ProblemError` listing
every issue, each naming the field, the id and the value.

Examples
--------
>>> y = YearPlanInput.model_validate(
...     {"stability": "0.2", "years": [{"year": 2, "values": {"l1": "400"}}]})
>>> y.stability, y.years[0].values["l1"]
(Decimal('0.2'), Decimal('400.00'))
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from allocate.core.errors import Issue, ProblemError
from allocate.core.frames import MoneyAs, frame, numeric
from allocate.core.model import (
    MAX_YEARS,
    Capacity,
    Identifier,
    Member,
    Money,
    Problem,
    Rate,
    _whole_number,
)
from allocate.core.outcome import (
    FORMAT_VERSION,
    Award,
    Check,
    ContractResult,
    Diagnosis,
    Record,
    Status,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["YearInput", "YearMember", "YearPlan", "YearPlanInput", "YearResult", "check_years"]

Year = Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=MAX_YEARS)]


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class YearInput(_In):
    """What differs in one contract year from the contract as the problem describes it.

    Nothing carries over from one year to the next: each year states its own differences.
    """

    year: Year
    """The contract year (1 for the first)."""
    values: dict[Identifier, Money] = Field(default_factory=dict)
    """The value of each lot in this year, by lot id.  A lot given a value in one year must
    be given one in every year of its contract's term, adding up to the lot's value; a lot
    never named here is split evenly over the term (largest remainder, whole pence; whole
    units on a unit-priced lot)."""
    capacities: tuple[Capacity, ...] = ()
    """Capacities for this year, replacing every capacity of each member they name (a
    member's capacity has changed; the stability rule does not hold it this year)."""
    members: tuple[Member, ...] = ()
    """Member records for this year, replacing the record with the same id (a new quality
    score, QA failed ...), or adding a member who is in the consortium this year."""


class YearPlanInput(_In):
    """A multi-year contract allocated year by year."""

    label: str = Field(default="year plan", min_length=1)
    """The plan's name."""
    stability: Rate | None = None
    """The stability rule's share ``s`` (0.2: no award moves more than 20% from one year to the
    next); None switches the rule off."""
    years: tuple[YearInput, ...] = ()
    """Per-year differences; a year not listed is the problem's contract as it stands."""


class YearMember(Record):
    """One member in one year: its award over the year's lots, and the stability rule's bounds."""

    year: int
    member: str
    award: Money
    """The member's awards over the year's lots."""
    previous: Money | None
    """Its award the year before (None in the first year)."""
    change: Decimal | None
    """``award − previous`` in pounds."""
    low: Money | None
    """The stability rule's lower bound, ``⌈(1 − s) × previous⌉`` to the penny (None when the
    rule does not hold the member this year)."""
    high: Money | None
    """The upper bound, ``⌊(1 + s) × previous⌋`` to the penny."""
    held: bool
    """Whether the stability rule held the member this year."""
    reason: str
    """Why the rule held it or not, in words."""


class YearResult(Record):
    """One year of a plan: the year's contracts and top-slices, awards, members and checks."""

    year: int
    status: Status
    contracts: list[ContractResult]
    """The contracts running this year, each with the year's value and top-slice."""
    awards: list[Award]
    """The year's awards, ordered by lot then member."""
    members: list[YearMember]
    """Every member with an award this year or the year before."""
    checks: list[Check]
    """The year re-checked independently: every condition of the year's problem, and the
    stability rule (``stability``) from the awards alone."""
    diagnosis: Diagnosis | None = None
    """Why the year has no allocation, when it has none: the year's own conditions, or the
    members whose stability bounds conflict (the least relaxation of each, in pence)."""


class YearPlan(Record):
    """A multi-year contract allocated year by year (a years × members table)."""

    format_version: Literal["1.2"] = FORMAT_VERSION
    kind: Literal["year_plan"] = "year_plan"
    label: str
    status: Status
    """``optimal`` when every year was allocated; else the status of the first year that was
    not (the plan stops there: the next year's bounds would need it)."""
    stability: Decimal | None
    """The stability rule's share, or None."""
    years: list[YearResult]
    """The years allocated, in order (up to and including the first that failed)."""
    checks: list[Check]
    """Over the whole term (when every year was allocated): ``term_balance``, each contract's
    awards plus top-slices over the years equal its value to the penny."""

    def to_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """One row per year and member: award, the year before, change, bounds, held, why.

        ``money`` as every table of ``allocate`` (:mod:`allocate.core.frames`): ``float``
        pounds (the default), whole ``pence`` or exact ``decimal`` pounds.
        """
        rows = [m.model_dump() for y in self.years for m in y.members]
        table = frame(rows, columns=list(YearMember.model_fields))
        return numeric(table, money, pounds=["award", "previous", "change", "low", "high"])

    def years_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """The years × members table: each member's award (rows) in each year (columns).

        A member with no award in a year has 0 there; the last rows, ``top_slice`` and
        ``value``, give the hub's top-slice and the contracts' value of each year, so each
        column adds up (members and top-slice) to its value.
        """
        members = sorted({m.member for y in self.years for m in y.members})
        data: dict[int, list[Decimal]] = {}
        for y in self.years:
            got = {m.member: m.award for m in y.members}
            top = sum((c.top_slice for c in y.contracts), Decimal(0))
            value = sum((c.value for c in y.contracts), Decimal(0))
            data[y.year] = [got.get(m, Decimal("0.00")) for m in members] + [top, value]
        table = frame(data)
        table.index = [*members, "top_slice", "value"]
        table.index.name = "member"
        table.columns.name = "year"
        return numeric(table, money, pounds=list(table.columns))

    def contracts_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """One row per year and contract: the year's value, top-slice rate and amount."""
        rows = [
            {
                "year": y.year,
                "contract": c.id,
                "value": c.value,
                "rate": c.rate,
                "top_slice": c.top_slice,
                "members_total": c.members_total,
                "method": c.method,
            }
            for y in self.years
            for c in y.contracts
        ]
        columns = ["year", "contract", "value", "rate", "top_slice", "members_total", "method"]
        table = frame(rows, columns=columns)
        return numeric(
            table, money, pounds=["value", "top_slice", "members_total"], numbers=["rate"]
        )


def check_years(problem: Problem, plan: YearPlanInput) -> None:
    """Raise :class:`~allocate.ProblemError` listing every issue of ``plan`` on ``problem``."""
    issues: list[Issue] = []
    for k, c in enumerate(problem.contracts):
        if c.year != 1:
            issues.append(
                Issue(
                    f"contracts[{k}].year",
                    "a year plan allocates every year of the term from the first: "
                    "give the contract as it stands in year 1",
                    c.id,
                    c.year,
                )
            )
    if problem.top_slice.method.value == "cost_recovery":
        issues.append(
            Issue(
                "top_slice.method",
                "cost_recovery spreads the hub's annual cost over each contract's value / term, "
                "but a year plan gives each year a value of its own: state the years' rate as a "
                "fixed or glide_path top-slice",
                None,
                "cost_recovery",
            )
        )
    for k, c in enumerate(problem.contracts):
        for n, lot in enumerate(c.lots):
            if c.award_of(lot).value == "sub_tender":
                issues.append(
                    Issue(
                        f"contracts[{k}].lots[{n}].award",
                        "a sub-tendered lot is awarded once by its competition, not year by "
                        "year: give it as a planned lot, or tender each year as its own problem",
                        lot.id,
                        "sub_tender",
                    )
                )
    term = max(c.term_years for c in problem.contracts)
    twice = sorted(n for n, count in Counter(y.year for y in plan.years).items() if count > 1)
    for n in twice:
        issues.append(Issue("years", "year given twice", str(n), n))
    given: dict[str, dict[int, Decimal]] = {}
    for k, y in enumerate(plan.years):
        at = f"years[{k}]"
        if y.year > term:
            issues.append(
                Issue(f"{at}.year", f"beyond the longest term ({term} years)", None, y.year)
            )
        for lot_id, value in y.values.items():
            found = problem.lot_index.get(lot_id)
            if found is None:
                issues.append(Issue(f"{at}.values.{lot_id}", "unknown lot", lot_id, lot_id))
                continue
            contract, lot = found
            if y.year > contract.term_years:
                issues.append(
                    Issue(
                        f"{at}.values.{lot_id}",
                        f"year {y.year} is beyond contract {contract.id!r}'s term "
                        f"({contract.term_years} years)",
                        lot_id,
                        str(value),
                    )
                )
            if lot.unit_price is not None and value % lot.unit_price:
                issues.append(
                    Issue(
                        f"{at}.values.{lot_id}",
                        f"not a whole number of units at £{lot.unit_price}",
                        lot_id,
                        str(value),
                    )
                )
            given.setdefault(lot_id, {})[y.year] = value
        ids = [m.id for m in y.members]
        for n, m in enumerate(y.members):
            if ids.count(m.id) > 1:
                issues.append(Issue(f"{at}.members[{n}].id", "given twice", m.id, m.id))
        known = set(problem.member_index) | set(ids)
        for n, cap in enumerate(y.capacities):
            if cap.member not in known:
                issues.append(
                    Issue(f"{at}.capacities[{n}].member", "unknown member", cap.member, cap.member)
                )
    for lot_id, by_year in sorted(given.items()):
        contract, lot = problem.lot_index[lot_id]
        missing = [n for n in range(1, contract.term_years + 1) if n not in by_year]
        if missing:
            issues.append(
                Issue(
                    "years",
                    f"lot {lot_id!r} is given a value in some years but not in year(s) "
                    + ", ".join(str(n) for n in missing),
                    lot_id,
                    sorted(by_year),
                )
            )
            continue
        total = sum(by_year.values(), Decimal(0))
        if total != lot.value:
            issues.append(
                Issue(
                    "years",
                    f"the values given for lot {lot_id!r} add up to £{total:,.2f}, "
                    f"not the lot's value over the term £{lot.value:,.2f}",
                    lot_id,
                    str(total),
                )
            )
    if issues:
        raise ProblemError(issues)
