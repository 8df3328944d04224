"""Over the life of a contract: reviews, output trades and versions, as data.

An allocation is made once, but a contract runs for years.  The inputs here describe what
happens after it is made (the review of delivery at a census or evaluation point, a request to
trade outputs between members); the outputs are the new **versions** of the allocation, each
carrying its number, the version it revises and the fingerprint of the inputs that made it, so a
sequence of versions can be replayed and verified from its inputs alone
(:func:`allocate.review.replay`).

Inputs are frozen and reject unknown fields, like :class:`~allocate.Problem`.  They are checked
against the problem and the version they apply to by :func:`check_review` and
:func:`check_trade`, which raise :class:`~allocate.ProblemError` listing every issue, each naming
the field, the id and the value.

Examples
--------
>>> r = ReviewInput.model_validate(
...     {"label": "mid-term", "elapsed": "0.5",
...      "deliveries": [{"member": "a", "lot": "l1", "amount": "450"}]})
>>> r.deliveries[0].amount
Decimal('450.00')
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from allocate.core import jsontext
from allocate.core.errors import Issue, ProblemError
from allocate.core.frames import MoneyAs, frame, nullable_ints, numeric
from allocate.core.model import (
    MAX_UNITS,
    Capacity,
    Identifier,
    Member,
    Money,
    Problem,
    Rate,
    _problem_error,
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
    awards_frame,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Delivery",
    "History",
    "Joiner",
    "MemberOutcome",
    "OutcomeAction",
    "Reallocation",
    "ReviewInput",
    "ReviewOutcome",
    "ReviewPolicy",
    "ReviewRow",
    "ReviewStep",
    "Step",
    "Taker",
    "Trade",
    "TradeDecision",
    "TradeStep",
    "Version",
    "check_review",
    "check_trade",
    "fingerprint_of",
    "read_document",
    "takers_frame",
]

Units = Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=MAX_UNITS)]


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


def read_document[M: BaseModel](cls: type[M], text: str | bytes) -> M:
    """``cls`` read from JSON text strictly; a :class:`~allocate.ProblemError` when invalid.

    As :meth:`allocate.Problem.model_validate_json`: duplicate keys, ``NaN`` and absurd numbers
    are refused by name, and every issue names its location, the id and the value.

    >>> read_document(Trade, '{"lot": "l1", "seller": "a", "buyer": "b", "amount": "-1"}')
    Traceback (most recent call last):
    ...
    allocate.core.errors.ProblemError: 1 problem in the input:
      - amount: money must not be negative [value: '-1']
    """
    try:
        raw = jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise ProblemError([Issue(exc.where, str(exc))]) from None
    if not isinstance(raw, dict):
        raise ProblemError(
            [Issue("", f"the top level must be a JSON object, not {type(raw).__name__}")]
        )
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        raise _problem_error(exc, raw) from None


def fingerprint_of(*parts: BaseModel) -> str:
    """SHA-256 of the JSON of ``parts``, in order: the fingerprint of a version's inputs."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()


# -- inputs ----------------------------------------------------------------------------------


class Delivery(_In):
    """What a member has delivered so far of one award (cumulative from the contract's start)."""

    member: Identifier
    """Id of the member."""
    lot: Identifier
    """Id of the lot."""
    amount: Money | None = None
    """Money earned so far, in pounds (money lots)."""
    units: Units | None = None
    """Units delivered so far (unit-priced lots)."""


class ReviewOutcome(StrEnum):
    """A member's outcome at a review (the prospectus's census/evaluation points)."""

    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"


class OutcomeAction(StrEnum):
    """What the policy does with a member's remaining work after a review outcome."""

    KEEP = "keep"
    """Remaining capacity is capacity minus delivery."""
    DELIVERY_RATE = "delivery_rate"
    """Remaining capacity is cut to the member's demonstrated delivery rate: what it delivered
    per share of the term elapsed, times the share still to run."""
    NO_NEW_WORK = "no_new_work"
    """No remaining work until a review is passed (delivered work stays with the member)."""


class ReviewPolicy(_In):
    """What each review outcome means for a member's remaining capacity."""

    good: OutcomeAction = OutcomeAction.KEEP
    """Action for ``good``."""
    requires_improvement: OutcomeAction = OutcomeAction.DELIVERY_RATE
    """Action for ``requires_improvement``."""
    inadequate: OutcomeAction = OutcomeAction.NO_NEW_WORK
    """Action for ``inadequate``."""

    def action(self, outcome: ReviewOutcome) -> OutcomeAction:
        """The action for an outcome."""
        return OutcomeAction(getattr(self, outcome.value))


class MemberOutcome(_In):
    """A member's review outcome."""

    member: Identifier
    outcome: ReviewOutcome


class Joiner(_In):
    """A member who joined since the version reviewed, with its capacities."""

    member: Member
    capacities: tuple[Capacity, ...] = ()
    """Its capacities (each naming this member)."""


class ReviewInput(_In):
    """A review of an allocation at a census or evaluation point."""

    label: str = Field(default="review", min_length=1)
    """The review's name or date (``2026-Q2``, ``mid-term``)."""
    elapsed: Annotated[Rate, Field(gt=0)]
    """Share of the term gone by at the review (above 0, at most 1): 0.5 at mid-term."""
    deliveries: tuple[Delivery, ...] = ()
    """Delivery so far per award; an award not listed has delivered nothing."""
    outcomes: tuple[MemberOutcome, ...] = ()
    """Review outcomes; a member not listed is treated as ``good``."""
    left: tuple[Identifier, ...] = ()
    """Members who have left: they keep what they delivered and receive nothing more."""
    joined: tuple[Joiner, ...] = ()
    """Members who have joined, with their capacities."""
    policy: ReviewPolicy = ReviewPolicy()
    """What each outcome means for remaining capacity."""


class Trade(_In):
    """A request to trade outputs of one lot from one member to another."""

    label: str = Field(default="trade", min_length=1)
    """The trade's name or date."""
    lot: Identifier
    """The lot whose outputs change hands."""
    seller: Identifier
    """The member giving up outputs."""
    buyer: Identifier
    """The member taking them on."""
    amount: Annotated[Money, Field(gt=0)] | None = None
    """Money of the lot traded (money lots)."""
    units: Annotated[Units, Field(gt=0)] | None = None
    """Units traded (unit-priced lots)."""
    deliveries: tuple[Delivery, ...] = ()
    """Delivery so far, when the trade is mid-term: only undelivered outputs can be traded."""


class ReviewStep(_In):
    """One step of a history: a review."""

    kind: Literal["review"] = "review"
    review: ReviewInput


class TradeStep(_In):
    """One step of a history: a trade."""

    kind: Literal["trade"] = "trade"
    trade: Trade


Step = Annotated[ReviewStep | TradeStep, Field(discriminator="kind")]


class History(_In):
    """A contract's life as inputs: the problem and the steps applied to it, in order.

    Version 1 is ``solve(problem)``; each step makes the next version from the one before
    (a refused trade makes none).  :func:`allocate.review.replay` recomputes every version.
    """

    problem: Problem
    steps: tuple[Step, ...] = ()


# -- outputs ---------------------------------------------------------------------------------


class Version(Record):
    """Where an allocation stands in a contract's history."""

    number: int
    """1 for the allocation as made, then 2, 3 ..."""
    revises: int | None
    """The version this one revises (None for the first)."""
    kind: Literal["allocation", "reallocation", "trade"]
    """What made it."""
    fingerprint: str
    """SHA-256 of the inputs that made it (problem, the version revised, the step)."""
    label: str
    """The review's or trade's label."""


class ReviewRow(Record):
    """One member on one lot at a review: as made, delivered, remaining before and after."""

    member: str
    lot: str
    contract: str
    as_made: Money
    """The award in the version reviewed."""
    delivered: Money
    """Delivered so far: stays with the member, to the penny."""
    remaining_before: Money
    """``as_made − delivered``."""
    remaining_after: Money
    """The member's share of the remaining value after reallocation."""
    award: Money
    """``delivered + remaining_after``: the award in the new version."""
    moved: Decimal
    """``remaining_after − remaining_before`` in pounds (negative: work taken away)."""
    units_as_made: int | None
    units_delivered: int | None
    units_after: int | None
    """Units in the new version (unit-priced lots)."""
    reason: str
    """Why it changed (or did not), in words."""


class Reallocation(Record):
    """A new version of an allocation after a review: delivered work kept, the rest re-allocated."""

    format_version: Literal["1.2"] = FORMAT_VERSION
    kind: Literal["reallocation"] = "reallocation"
    status: Status
    version: Version
    elapsed: Decimal
    """Share of the term gone by at the review."""
    contracts: list[ContractResult]
    """The contracts and their top-slices, unchanged from the version reviewed."""
    awards: list[Award]
    """The new version's awards (delivered plus remaining), ordered by lot then member."""
    rows: list[ReviewRow]
    """Every member with an award, delivery or new work on a lot."""
    moved: Money
    """Money moved away from the awards as made: Σ |remaining after − remaining before|."""
    least_movement: str
    """How the second objective chose among the equally fair allocations."""
    left: list[str]
    """Members who have left (by this or an earlier review)."""
    checks: list[Check]
    """The new version re-checked against the problem as a whole (every condition but the
    rule's fair shares, which apply to what remains)."""
    diagnosis: Diagnosis | None = None
    """Why no reallocation exists, when none does."""

    def to_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """One row per member and lot: as made, delivered, remaining before and after, why.

        ``money`` as every table of ``allocate`` (:mod:`allocate.core.frames`): ``float``
        pounds (the default), whole ``pence`` or exact ``decimal`` pounds.
        """
        columns = list(ReviewRow.model_fields)
        table = frame([r.model_dump() for r in self.rows], columns=columns)
        for c in ("units_as_made", "units_delivered", "units_after"):
            table[c] = nullable_ints([getattr(r, c) for r in self.rows])
        money_columns = ["as_made", "delivered", "remaining_before", "remaining_after"]
        return numeric(table, money, pounds=[*money_columns, "award", "moved"])


class TradeDecision(Record):
    """A trade approved (with the new version) or refused (with the conditions that refuse it)."""

    format_version: Literal["1.2"] = FORMAT_VERSION
    kind: Literal["trade"] = "trade"
    approved: bool
    trade: Trade
    refused_by: list[str]
    """The conditions the trade would break (empty when approved)."""
    reasons: list[str]
    """The same, in words, with the numbers."""
    version: Version | None
    """The new version (None when refused)."""
    contracts: list[ContractResult]
    awards: list[Award]
    """The awards after the trade (the version traded on, when refused)."""
    left: list[str]
    """Members who have left, carried from the version traded on."""

    def to_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """The awards after the trade (the version traded on, when refused), one row each.

        ``money`` as every table of ``allocate`` (:mod:`allocate.core.frames`).
        """
        return awards_frame(self.awards, money)


class Taker(Record):
    """A member who could take over some of another member's remaining outputs on a lot."""

    member: str
    lot: str
    amount: Money
    """The most it could take in one trade, every condition kept."""
    units: int | None
    limited_by: str
    """What stops it taking more."""


def takers_frame(takers: list[Taker], *, money: MoneyAs = "float") -> pd.DataFrame:
    """:func:`allocate.review.takers`'s answer as a table: who could take how much, and why no more.

    ``money`` as every table of ``allocate`` (:mod:`allocate.core.frames`).

    >>> t = takers_frame([Taker(member="b", lot="l1", amount="50", units=None, limited_by="x")])
    >>> t["amount"].tolist()
    [50.0]
    """
    table = frame(
        {
            "member": [t.member for t in takers],
            "lot": [t.lot for t in takers],
            "amount": [t.amount for t in takers],
            "units": nullable_ints([t.units for t in takers]),
            "limited_by": [t.limited_by for t in takers],
        }
    )
    return numeric(table, money, pounds=["amount"])


# -- checks against the problem --------------------------------------------------------------


def _awards_index(awards: list[Award]) -> dict[tuple[str, str], Award]:
    return {(a.member, a.lot): a for a in awards}


def _delivery_issues(
    problem: Problem, awards: list[Award], deliveries: tuple[Delivery, ...], where: str
) -> Iterator[Issue]:
    index = _awards_index(awards)
    seen = Counter((d.member, d.lot) for d in deliveries)
    for k, d in enumerate(deliveries):
        at, ident = f"{where}[{k}]", f"{d.member}/{d.lot}"
        if seen[d.member, d.lot] > 1:
            yield Issue(at, "delivery given twice for the same award", ident, ident)
        lot = problem.lot_index.get(d.lot)
        if lot is None:
            yield Issue(f"{at}.lot", "unknown lot", ident, d.lot)
            continue
        priced = lot[1].is_unit_priced
        if (d.amount is None) == (d.units is None):
            yield Issue(at, "give exactly one of 'amount' (pounds) or 'units'", ident)
            continue
        if priced and d.units is None:
            yield Issue(
                f"{at}.amount", f"lot {d.lot!r} is unit-priced: give 'units'", ident, str(d.amount)
            )
            continue
        if not priced and d.units is not None:
            yield Issue(
                f"{at}.units", f"lot {d.lot!r} is not unit-priced: give 'amount'", ident, d.units
            )
            continue
        award = index.get((d.member, d.lot))
        given = d.units if priced else d.amount
        if award is None:
            if given:
                yield Issue(at, "delivery for an award that does not exist", ident, str(given))
            continue
        if priced and d.units is not None and d.units > (award.units or 0):
            yield Issue(
                f"{at}.units",
                f"delivered {d.units} units, above the award of {award.units}",
                ident,
                d.units,
            )
        if not priced and d.amount is not None and d.amount > award.amount:
            yield Issue(
                f"{at}.amount",
                f"delivered £{d.amount:,.2f}, above the award of £{award.amount:,.2f}",
                ident,
                str(d.amount),
            )


def check_review(
    problem: Problem, awards: list[Award], review: ReviewInput, left: tuple[str, ...] = ()
) -> None:
    """Raise :class:`~allocate.ProblemError` listing every issue of ``review`` on a version.

    ``awards`` are the version's; ``left`` the members who left at an earlier review.
    """
    members = set(problem.member_index)
    issues = list(_delivery_issues(problem, awards, review.deliveries, "deliveries"))
    for k, d in enumerate(review.deliveries):
        if d.member not in members:
            issues.append(Issue(f"deliveries[{k}].member", "unknown member", d.member, d.member))
    for k, o in enumerate(review.outcomes):
        if o.member not in members:
            issues.append(Issue(f"outcomes[{k}].member", "unknown member", o.member, o.member))
    for i in sorted(n for n, c in Counter(o.member for o in review.outcomes).items() if c > 1):
        issues.append(Issue("outcomes", "outcome given twice for the same member", i, i))
    for k, m in enumerate(review.left):
        if m not in members:
            issues.append(Issue(f"left[{k}]", "unknown member", m, m))
        elif m in left:
            issues.append(Issue(f"left[{k}]", "the member left at an earlier review", m, m))
    joined = [j.member.id for j in review.joined]
    for k, j in enumerate(review.joined):
        if j.member.id in members:
            issues.append(
                Issue(f"joined[{k}].member.id", "already a member", j.member.id, j.member.id)
            )
        if joined.count(j.member.id) > 1:
            issues.append(Issue(f"joined[{k}].member.id", "joined twice", j.member.id))
        for n, cap in enumerate(j.capacities):
            at = f"joined[{k}].capacities[{n}]"
            if cap.member != j.member.id:
                issues.append(
                    Issue(f"{at}.member", "names another member", j.member.id, cap.member)
                )
            if cap.lot is not None and cap.lot not in problem.lot_index:
                issues.append(Issue(f"{at}.lot", "unknown lot", j.member.id, cap.lot))
    if issues:
        raise ProblemError(issues)


def check_trade(
    problem: Problem, awards: list[Award], trade: Trade, left: tuple[str, ...] = ()
) -> None:
    """Raise :class:`~allocate.ProblemError` listing every issue of ``trade`` on a version.

    These are errors of the request itself (unknown ids, the wrong quantity); a well-formed trade
    that breaks a condition is *refused* instead (:class:`TradeDecision`).
    """
    issues = list(_delivery_issues(problem, awards, trade.deliveries, "deliveries"))
    ident = f"{trade.seller}->{trade.buyer}/{trade.lot}"
    for field in ("seller", "buyer"):
        member = getattr(trade, field)
        if member not in problem.member_index:
            issues.append(Issue(field, "unknown member", ident, member))
    if trade.seller == trade.buyer:
        issues.append(Issue("buyer", "a member cannot trade with itself", ident, trade.buyer))
    lot = problem.lot_index.get(trade.lot)
    if lot is None:
        issues.append(Issue("lot", "unknown lot", ident, trade.lot))
    elif (trade.amount is None) == (trade.units is None):
        issues.append(Issue("", "give exactly one of 'amount' (pounds) or 'units'", ident))
    elif lot[1].is_unit_priced and trade.units is None:
        issues.append(
            Issue("amount", f"lot {trade.lot!r} is unit-priced: give 'units'", ident, trade.amount)
        )
    elif not lot[1].is_unit_priced and trade.units is not None:
        issues.append(
            Issue(
                "units", f"lot {trade.lot!r} is not unit-priced: give 'amount'", ident, trade.units
            )
        )
    if issues:
        raise ProblemError(issues)
