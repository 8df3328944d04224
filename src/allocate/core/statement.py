"""A member's statement: what it was offered on each lot and why, and what would bring it more.

The data of one member's one-page statement, worked out by
:func:`allocate.analysis.statements.member_statement` from a problem and its allocation (the
re-solves of "what would bring you more" run the pipeline, so the work lives in the analysis
layer) and written out by the report layer (:meth:`MemberStatement.to_markdown`,
:meth:`MemberStatement.to_html`, handed over through :mod:`allocate.core.present`).

Every field is plain data, so another system can send its own letter from it: money is exact
``Decimal`` pounds, the top-slice contributions are whole pence that add up, over the members,
to each contract's top-slice exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from allocate.core import present
from allocate.core.errors import AllocateError
from allocate.core.model import Money
from allocate.core.outcome import Record

__all__ = [
    "CapacityHold",
    "Improvement",
    "LotLine",
    "MemberStatement",
    "Needed",
    "StatementError",
    "TopSlicePart",
]


class StatementError(AllocateError, ValueError):
    """A statement cannot be written: an unknown member, or an allocation of another problem.

    The message names the field, the id and the value.
    """


class LotLine(Record):
    """What the member was offered on one lot, and why."""

    lot: str
    contract: str
    theme: str
    area: str
    eligible: bool
    reasons: list[str]
    """Codes of the reasons excluding the member (empty when eligible)."""
    explanation: str
    """The audit's words: the reasons with their figures, or how the award was reached."""
    capacity: Money | None
    """Declared capacity in pounds (units × unit price on unit-priced lots); None if none."""
    fair_share: Decimal
    """What the rule gives with no side-constraint, to 1/10000 of a penny."""
    award: Money
    units: int | None
    """Whole units awarded, on unit-priced lots."""
    bound_by: list[str]
    """The conditions that stopped the award from being higher, by name (``capacity``,
    ``max_member_share:<ids>`` ...); empty when nothing but the lot's budget held it."""
    conditions: list[str]
    """Those conditions in words, with their figures."""


class TopSlicePart(Record):
    """The member's part of one contract's top-slice."""

    contract: str
    top_slice: Money
    """The hub's top-slice of the contract."""
    members_awards: Money
    """Every member's awards on the contract."""
    awards: Money
    """This member's awards on the contract."""
    exact: str
    """The exact part ``top_slice × awards / members_awards`` in pence, as a fraction ``p/q``."""
    contribution: Money
    """That part in whole pence, by the largest remainder over the members (ties by member id),
    so the members' contributions add up to the top-slice exactly."""


class Needed(Record):
    """One change of the member's own data, part of what would make it eligible."""

    setting: str
    """What changes: ``membership``, ``qa_passed``, ``quality_score``,
    ``reporting_compliance``, ``themes``, ``areas`` or ``capacity``."""
    lot: str | None
    """The lot, for a capacity."""
    current: str
    """Its value now."""
    required: str
    """The least value that suffices (a score in the precision of the threshold and the
    member's score; a capacity in pounds, or units on a unit-priced lot)."""
    words: str
    """The change in words: ``a quality score of 0.70 instead of 0.69``."""


class Improvement(Record):
    """What a set of changes of the member's own data would bring, found by solving again."""

    needed: list[Needed]
    """The changes, all of them needed together."""
    lots: list[str]
    """The lots the changes make the member eligible for."""
    status: str | None
    """The status of the solve with the changes (``optimal``); None when not solved (the
    statement's cap on solves)."""
    lot_awards: dict[str, Money]
    """The member's award on each of ``lots`` then, other members unchanged."""
    award_now: Money
    """The member's total award now."""
    award_then: Money | None
    """Its total award with the changes, other members unchanged (None: no allocation, or not
    solved)."""
    words: str
    """The whole in a sentence."""


class CapacityHold(Record):
    """Lots on which the member's own capacity held its awards."""

    lots: list[str]
    """The lot, or the lots of a pooled capacity."""
    capacity: Money
    """The capacity that held it (the lot's, or the pooled capacity over several lots)."""
    pooled: bool
    """Whether it is a pooled capacity (shared with other lots)."""
    fair_share: Decimal
    """The fair share on those lots."""
    award: Money
    """The award on them."""
    relaxed_to: Money | None
    """The capacity solved again with, enough to reach the fair share; None when the award is
    already at least the fair share (or when not solved)."""
    award_then: Money | None
    """The award on the lots with that capacity, other members unchanged."""
    words: str


class MemberStatement(Record):
    """One member's statement of an allocation (see :mod:`allocate.core.statement`)."""

    member: str
    name: str
    membership: str
    size_band: str
    problem_name: str
    rule: str
    fingerprint: str
    """SHA-256 of the problem the allocation was made for."""
    lots: list[LotLine]
    """Every lot of the problem, in the problem's order."""
    capacity: Money
    """Declared capacity on the lots it is eligible for."""
    fair_share: Decimal
    award: Money
    top_slice: list[TopSlicePart]
    """Its part of each contract's top-slice it holds awards on."""
    top_slice_total: Money
    improvements: list[Improvement]
    """For the lots it is not eligible for for reasons it could change."""
    capacity_holds: list[CapacityHold]
    """The lots its own capacity held."""
    unchanged: list[str]
    """Lots it is not eligible for for reasons it cannot change itself (not named in an
    improvement)."""
    not_solved: int
    """Improvements and capacity holds not solved again, past the statement's cap."""
    max_solves: int
    """That cap."""
    problem_file: str = "problem.json"
    """The file name the check command in the statement names for the problem."""
    allocation_file: str = "allocation.json"
    """The file name it names for the allocation."""

    def to_markdown(self) -> str:
        """The statement as Markdown."""
        return present.render(present.STATEMENT_MARKDOWN, self)

    def to_html(self, *, date: dt.date | None = None) -> str:
        """The statement as a one-page, self-contained HTML document (prints on one A4 page).

        Dated ``date``; by default today, or ``$SOURCE_DATE_EPOCH``'s day when set.
        """
        return present.render(present.STATEMENT_HTML, self, date=date)

    def __repr__(self) -> str:
        return (
            f"MemberStatement({self.member!r}: award £{self.award:,.2f}, "
            f"{sum(line.eligible for line in self.lots)} of {len(self.lots)} lots eligible, "
            f"{len(self.improvements)} improvements)"
        )
