"""What one scenario gave: :class:`ScenarioResult`, summarised from its allocation."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from allocate.analysis.scenarios.errors import ScenarioError
from allocate.core.outcome import Allocation, Status

__all__ = ["METRICS", "ScenarioResult"]


@dataclass(frozen=True)
class ScenarioResult:
    """What one scenario gave: compact, exact, and equal whichever executor computed it."""

    scenario: str
    """The scenario's name."""
    status: str
    """The allocation's status (``optimal``, ``infeasible`` ...) or ``invalid``."""
    awards: dict[str, Decimal] = field(default_factory=dict)
    """Each member's total award across contracts (every member, zero included)."""
    fair_shares: dict[str, Decimal] = field(default_factory=dict)
    """Each member's total fair share under the rule."""
    capacities: dict[str, Decimal] = field(default_factory=dict)
    """Each member's capacity on the lots it is eligible for."""
    contract_awards: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """Positive awards by contract, then member."""
    top_slices: dict[str, Decimal] = field(default_factory=dict)
    """The hub's top-slice by contract."""
    rates: dict[str, Decimal] = field(default_factory=dict)
    """The effective top-slice rate by contract."""
    metrics: dict[str, Decimal | None] = field(default_factory=dict)
    """Totals and fairness metrics (see :data:`METRICS`)."""
    largest_member: str | None = None
    fingerprint: str = ""
    """SHA-256 of the scenario's problem."""
    error: str | None = None
    """Why the scenario is ``invalid``."""
    allocation: Allocation | None = None
    """The whole allocation, when the sweep was asked to keep it."""
    exception: ScenarioError | None = field(default=None, compare=False, repr=False)
    seconds: float = field(default=0.0, compare=False)
    """Wall time to apply and solve (not compared)."""

    @property
    def ok(self) -> bool:
        """Whether the scenario has a usable allocation."""
        return self.status == Status.OPTIMAL.value


#: The metrics of a :class:`ScenarioResult`, in the order :func:`compare` lists them.
METRICS: tuple[tuple[str, str], ...] = (
    ("total", "top_slice"),
    ("total", "awards"),
    ("total", "members_funded"),
    ("fairness", "min_ratio"),
    ("fairness", "max_ratio"),
    ("fairness", "gini"),
    ("fairness", "largest_member_share"),
    ("fairness", "moved_from_rule"),
)


def summarise(name: str, allocation: Allocation, keep: bool, seconds: float) -> ScenarioResult:
    """The compact, exact record of one scenario's allocation (the whole of it if ``keep``)."""
    audit = allocation.audit
    by_contract: dict[str, dict[str, Decimal]] = {c.id: {} for c in allocation.contracts}
    for a in allocation.awards:
        row = by_contract[a.contract]
        row[a.member] = row.get(a.member, Decimal(0)) + a.amount
    ok = allocation.status.is_ok
    awards = {m.member: m.award for m in audit.members}
    mt = audit.metrics
    top = allocation.top_slice
    return ScenarioResult(
        scenario=name,
        status=allocation.status.value,
        awards=awards,
        fair_shares={m.member: m.fair_share for m in audit.members},
        capacities={m.member: m.capacity for m in audit.members},
        contract_awards=by_contract,
        top_slices={c.id: c.top_slice for c in allocation.contracts},
        rates={c.id: c.effective_rate for c in allocation.contracts},
        metrics={
            "top_slice": top,
            "awards": sum(awards.values(), Decimal(0)) if ok else None,
            "members_funded": Decimal(sum(1 for v in awards.values() if v > 0)) if ok else None,
            "min_ratio": mt.min_ratio,
            "max_ratio": mt.max_ratio,
            "gini": mt.gini,
            "largest_member_share": mt.largest_member_share,
            "moved_from_rule": mt.moved_from_rule,
        },
        largest_member=mt.largest_member,
        fingerprint=audit.fingerprint,
        allocation=allocation if keep else None,
        seconds=seconds,
    )
