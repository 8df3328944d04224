"""What one scenario gave: :class:`ScenarioResult`, summarised from its allocation."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from allocate.analysis.scenarios.errors import ScenarioError
from allocate.analysis.scenarios.life_results import ReviewResult, YearsResult, life_frame
from allocate.core.frames import MoneyAs, check_money, frame, numeric
from allocate.core.outcome import Allocation, Status

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METRICS", "RESULT_COLUMNS", "ScenarioResult", "SweepResults"]


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


#: The columns of :meth:`SweepResults.to_frame`.
RESULT_COLUMNS = ["scenario", "status", "measure", "item", "value"]

#: Measures of :meth:`SweepResults.to_frame` that are money: per member, per contract, totals.
_MONEY_MEASURES = frozenset({"award", "fair_share", "capacity", "top_slice"})
_MONEY_METRICS = frozenset({"top_slice", "awards", "moved_from_rule"})


def quantities(r: ScenarioResult) -> dict[tuple[str, str], Decimal | None]:
    """Every number of a result keyed by (measure, item); missing when it has no allocation."""
    out: dict[tuple[str, str], Decimal | None] = {}
    for measure, values in (
        ("award", r.awards),
        ("fair_share", r.fair_shares),
        ("capacity", r.capacities),
        ("top_slice", r.top_slices),
        ("rate", r.rates),
    ):
        for item, amount in values.items():
            out[measure, item] = amount if r.ok else None
    for key in METRICS:
        out[key] = r.metrics.get(key[1]) if r.ok else None
    return out


def is_money(measure: str, item: str) -> bool:
    """Whether the quantity (measure, item) of a result is money (pounds), not a ratio or count."""
    return measure in _MONEY_MEASURES or (
        measure in ("total", "fairness") and item in _MONEY_METRICS
    )


class SweepResults(list[Any]):
    """The results of :func:`~allocate.analysis.scenarios.sweep`: a list, one per scenario.

    It is an ordinary ``list`` of :class:`ScenarioResult` (it compares equal to one, indexes,
    slices and pickles as one) with one addition, :meth:`to_frame`, which turns the whole
    sweep into one tidy DataFrame.  A sweep of reviews holds
    :class:`~allocate.analysis.scenarios.life_results.ReviewResult` records instead, and a
    sweep of year plans
    :class:`~allocate.analysis.scenarios.life_results.YearsResult` records.
    """

    def to_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """Every result as one tidy DataFrame, one row per scenario and quantity.

        Columns :data:`RESULT_COLUMNS`: ``scenario``, ``status``, ``measure``, ``item`` and
        ``value``.  Measures, in this order: ``award``, ``fair_share`` and ``capacity`` (item:
        a member id), ``top_slice`` and ``rate`` (item: a contract id), ``total``
        (``top_slice``, ``awards``, ``members_funded``) and ``fairness`` (``min_ratio``,
        ``max_ratio``, ``gini``, ``largest_member_share``, ``moved_from_rule``), as
        :func:`~allocate.analysis.scenarios.compare` lists them.  A scenario with no allocation
        keeps its rows with the values missing; an ``invalid`` one (``errors="record"``) has
        one row, its measure and item missing, so it shows up rather than vanishing.

        A sweep of reviews has the same columns, with measures ``award``, ``remaining_after``,
        ``moved``, ``delivered``, ``remaining_before``, ``as_made`` (item: a member id, its
        lots summed) and ``total`` (``moved``, ``awards``, ``delivered``, ``remaining``,
        ``members_changed``, ``members_cut``, ``members_no_new_work``).  A sweep of year plans
        adds a ``year`` column (nullable integer): ``award`` (member) and ``top_slice``
        (contract) per year, then, with ``year`` missing, ``term_award`` (member) and
        ``total`` (``top_slice``, ``awards``, ``moved`` from one year to the next,
        ``members_held``, ``largest_change``).

        ``money``: ``"float"`` (the default), ``"pence"`` or ``"decimal"``, as for every table
        (:mod:`allocate.core.frames`).  ``value`` holds money and ratios together, so under
        ``"pence"`` it is ``float64`` with the money rows in pence.

        Examples
        --------
        >>> from allocate.examples import demo_problem
        >>> from allocate.scenarios import Scenario, set_top_slice, sweep
        >>> results = sweep(demo_problem(), [Scenario(f"{r}%", [set_top_slice(rate=f"0.0{r}")])
        ...                                  for r in (5, 9)])
        >>> table = results.to_frame()
        >>> print(table.query("measure == 'total'").to_string(index=False))
        scenario  status measure           item     value
              5% optimal   total      top_slice   61000.0
              5% optimal   total         awards 1159000.0
              5% optimal   total members_funded       8.0
              9% optimal   total      top_slice  109800.0
              9% optimal   total         awards 1110200.0
              9% optimal   total members_funded       8.0
        >>> table.query("measure == 'award'").groupby("scenario")["value"].sum().tolist()
        [1159000.0, 1110200.0]
        """
        check_money(money)
        if any(isinstance(r, ReviewResult | YearsResult) for r in self):
            return life_frame(self, money)
        rows: list[tuple[str, str, str | None, str | None, Decimal | None]] = []
        for r in self:
            if r.status == "invalid":
                rows.append((r.scenario, r.status, None, None, None))
                continue
            for (measure, item), value in _in_order(quantities(r)):
                rows.append((r.scenario, r.status, measure, item, value))
        table = frame(rows, columns=RESULT_COLUMNS)
        money_rows = [
            m is not None and i is not None and is_money(m, i)
            for m, i in zip(table["measure"], table["item"], strict=True)
        ]
        return numeric(table, money, mixed=["value"], money_rows=money_rows)


_ORDER = {"award": 0, "fair_share": 1, "capacity": 2, "top_slice": 3, "rate": 4, "total": 5}


def _in_order(
    q: dict[tuple[str, str], Decimal | None],
) -> list[tuple[tuple[str, str], Decimal | None]]:
    """The quantities by measure (as :func:`compare` orders them), items in their own order."""
    return sorted(q.items(), key=lambda kv: _ORDER.get(kv[0][0], 6))


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
