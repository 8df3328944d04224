"""The side-constraint registry: one entry per family, from which every list of names is derived.

A **family** is one of the policy's protections against the sector's known abuses (a share cap,
a ring-fence for small members ...).  Each entry here says, once, everything the rest of the
library needs to know about it *by name*:

* the policy field that switches it on and the value that switches it off (what
  :attr:`Policy.side_constraints <allocate.Policy.side_constraints>`, the scenarios and the
  constraint prices use);
* the name under which its condition is built into the programme, verified, priced and
  diagnosed, and that condition in words;
* how the diagnosis relaxes it (the direction, the loosest value and the resolution of its
  bisection);
* the realistic value :mod:`allocate.synthetic` switches it on with, and the range
  :mod:`allocate.testing` draws it from.

The code that *acts* on a family stays with its layer: its rows in
``allocate/pipeline/constraints/<family>.py``, its independent re-check in
:mod:`allocate.checks.verify` and in the test kit, each keyed by the entries below.  See
``docs/architecture.md`` ("Adding a side-constraint family").

>>> [f.name for f in FAMILIES if f.kind is Kind.ROWS]  # doctest: +NORMALIZE_WHITESPACE
['max_member_share', 'max_dependency', 'cash_flow', 'small_org_share', 'case_mix',
 'pooled_capacity']
>>> by_switch("case_mix_tolerance").name
'case_mix'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

__all__ = [
    "CASE_MIX",
    "CASH_FLOW",
    "EXCLUSIONS",
    "FAMILIES",
    "MAX_DEPENDENCY",
    "MAX_MEMBER_SHARE",
    "MIN_AWARD",
    "MIN_PROVIDERS_PER_AREA",
    "POOLED_CAPACITY",
    "SMALL_ORG_SHARE",
    "Bisection",
    "Draw",
    "Family",
    "Kind",
    "by_name",
    "by_switch",
    "policy_settings",
    "switched_off",
]


class Kind(StrEnum):
    """How a family acts on the allocation."""

    ROWS = "rows"
    """Linear rows over the awards in the programme (a sum bound, a band)."""
    DECISION = "decision"
    """A decision on single sub-contracts before the programme: which are made, their floors."""
    ELIGIBILITY = "eligibility"
    """Who may receive a lot at all (decided with eligibility)."""


@dataclass(frozen=True, slots=True)
class Bisection:
    """How the diagnosis searches for the least change of the family's policy value alone."""

    direction: Literal["up", "down"]
    """``up``: a larger value is looser (a cap); ``down``: a smaller one is (a ring-fence)."""
    loosest: Decimal
    """The value at which the condition can no longer bind (the search's feasible end)."""
    step: Decimal
    """The resolution of the answer (four decimal places of a share, a penny)."""


@dataclass(frozen=True, slots=True)
class Draw:
    """The range :mod:`allocate.testing` draws the policy value from: ``low..high`` by ``step``.

    Values in this range often bind on the strategies' small problems.
    """

    low: Decimal
    high: Decimal
    step: Decimal

    def values(self) -> tuple[int, int]:
        """The range in whole steps, ``(low / step, high / step)``."""
        return int(self.low / self.step), int(self.high / self.step)


@dataclass(frozen=True, slots=True)
class Family:
    """One side-constraint family (see the module documentation)."""

    name: str
    """The condition's name: in row names (``<name>:<ids>``), checks, audit and diagnosis."""
    kind: Kind
    condition: str
    """The condition in words, as the verification reports it."""
    setting: str | None
    """The :class:`~allocate.Policy` field that switches it on (None: set by the input data)."""
    switch: str
    """The name :mod:`allocate.synthetic` and :mod:`allocate.testing` switch it on by."""
    off: Any = None
    """The value of ``setting`` that switches it off."""
    verified_as: str | None = None
    """The verification condition that checks it, when not its own (None: ``name``)."""
    elastic: str | None = None
    """The name of its slack in the elastic programme, when not its own (None: ``name``)."""
    bisection: Bisection | None = None
    """How the diagnosis searches for the least change of its policy value (None: it has no
    single value to change)."""
    synthetic: Any = None
    """The value :mod:`allocate.synthetic` switches it on with, before fitting it to the data."""
    draw: Draw | None = None
    """The range the test strategies draw its policy value from (None: drawn from the data)."""

    @property
    def check(self) -> str:
        """The verification condition that checks this family."""
        return self.verified_as or self.name

    @property
    def slack(self) -> str:
        """The family's name in the elastic programme."""
        return self.elastic or self.name

    def is_on(self, policy: object) -> bool:
        """Whether ``policy`` switches this family on (False for families set by the data)."""
        if self.setting is None:
            return False
        value = getattr(policy, self.setting)
        return bool(value != self.off and value is not None)


_SHARE = Decimal("0.0001")

MIN_AWARD = Family(
    name="min_award",
    kind=Kind.DECISION,
    condition="every award zero or at least the minimum award",
    setting="min_award",
    switch="min_award",
    elastic="floor",
    bisection=Bisection("down", Decimal(0), Decimal("0.01")),
    # a sub-contract below £2,500 costs more to monitor than it is worth
    synthetic="2500",
)
MAX_MEMBER_SHARE = Family(
    name="max_member_share",
    kind=Kind.ROWS,
    condition="no member above its share cap of a contract or the portfolio",
    setting="max_member_share",
    switch="max_member_share",
    bisection=Bisection("up", Decimal(1), _SHARE),
    # no member takes more than 40% of a contract's member pot (or of the portfolio)
    synthetic="0.4",
    draw=Draw(Decimal("0.5"), Decimal(1), Decimal("0.01")),
)
MAX_DEPENDENCY = Family(
    name="max_dependency",
    kind=Kind.ROWS,
    condition="no member's awards above the multiple of its income",
    setting="max_dependency",
    switch="max_dependency",
    bisection=Bisection("up", Decimal(100), _SHARE),
    # awards at most equal to a member's annual income: doubling in a year is a cash-flow risk
    synthetic="1",
    draw=Draw(Decimal("0.5"), Decimal(100), Decimal("0.25")),
)
SMALL_ORG_SHARE = Family(
    name="small_org_share",
    kind=Kind.ROWS,
    condition="the ring-fence for small members held on every contract",
    setting="small_org_share",
    switch="small_org_share",
    bisection=Bisection("down", Decimal(0), _SHARE),
    # 10% of every contract ring-fenced for micro and small members
    synthetic="0.1",
    draw=Draw(Decimal(0), Decimal("0.6"), Decimal("0.01")),
)
CASE_MIX = Family(
    name="case_mix",
    kind=Kind.ROWS,
    condition="every member's hard-to-help share within the tolerance",
    setting="case_mix_tolerance",
    switch="case_mix_tolerance",
    bisection=Bisection("up", Decimal(1), _SHARE),
    # a member's hard-to-help share within 10 points of its overall share (no creaming)
    synthetic="0.1",
    draw=Draw(Decimal(0), Decimal("0.5"), Decimal("0.01")),
)
MIN_PROVIDERS_PER_AREA = Family(
    name="min_providers_per_area",
    kind=Kind.DECISION,
    condition="every area keeps its minimum number of providers",
    setting="min_providers_per_area",
    switch="min_providers_per_area",
    elastic="floor",
    bisection=Bisection("down", Decimal(1), Decimal(1)),
    # at least three providers in every area (or all eligible, when fewer)
    synthetic=3,
    draw=Draw(Decimal(1), Decimal(3), Decimal(1)),
)
EXCLUSIONS = Family(
    name="exclusions",
    kind=Kind.ELIGIBILITY,
    condition="members barred from a lot or contract receive nothing there",
    setting="exclusions",
    switch="exclusions",
    off=(),
    verified_as="eligibility",
    # share of eligible (member, lot) pairs barred for a conflict of interest
    synthetic=0.01,
)
POOLED_CAPACITY = Family(
    name="pooled_capacity",
    kind=Kind.ROWS,
    condition="a member's awards over the lots of a pooled capacity stay within the pool",
    setting=None,
    switch="pooled_capacities",
    verified_as="capacity",
    # pooled capacity across a theme's lots, as a share of the member's per-lot total
    synthetic=0.75,
)

CASH_FLOW = Family(
    name="cash_flow",
    kind=Kind.ROWS,
    condition="no member's peak working capital above its share of its reserves",
    setting="max_reserves_share",
    switch="max_reserves_share",
    # the loosest share still binds when a member's need is above its whole reserves: the
    # bisection then says no share up to 1 suffices
    bisection=Bisection("up", Decimal(1), _SHARE),
    # no more working capital tied up than its whole unrestricted reserves (synthetic members
    # hold one to six months of income: a month's delivery paid in arrears fits a micro one's)
    synthetic="1",
    draw=Draw(Decimal("0.1"), Decimal(1), Decimal("0.05")),
)

#: Every family, in the order the audit, the diagnosis and the test kit list them.
FAMILIES: tuple[Family, ...] = (
    MIN_AWARD,
    MAX_MEMBER_SHARE,
    MAX_DEPENDENCY,
    CASH_FLOW,
    SMALL_ORG_SHARE,
    CASE_MIX,
    MIN_PROVIDERS_PER_AREA,
    EXCLUSIONS,
    POOLED_CAPACITY,
)

_BY_NAME: Mapping[str, Family] = {f.name: f for f in FAMILIES}
_BY_SWITCH: Mapping[str, Family] = {f.switch: f for f in FAMILIES}


def by_name(name: str) -> Family:
    """The family of a condition name (``case_mix``); ``KeyError`` naming the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise KeyError(f"no side-constraint family {name!r}; known: {known}") from None


def by_switch(switch: str) -> Family:
    """The family a switch name (``case_mix_tolerance``, ``pooled_capacities``) turns on."""
    try:
        return _BY_SWITCH[switch]
    except KeyError:
        raise KeyError(f"no side-constraint {switch!r}; known: {', '.join(_BY_SWITCH)}") from None


def policy_settings() -> tuple[Family, ...]:
    """The families a single policy value switches on that shape the programme.

    These are what :attr:`Policy.side_constraints <allocate.Policy.side_constraints>` lists:
    rows and sub-contract decisions set by one :class:`~allocate.Policy` field (exclusions only
    narrow eligibility; pooled capacities come with the data).
    """
    return tuple(f for f in FAMILIES if f.setting is not None and f.kind is not Kind.ELIGIBILITY)


def switched_off() -> dict[str, Any]:
    """Each policy field of a family, with the value that switches it off."""
    return {f.setting: f.off for f in FAMILIES if f.setting is not None}
