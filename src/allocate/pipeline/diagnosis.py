"""Why no allocation exists: computed with an elastic programme, not guessed.

When the side-constraints, floors and capacities leave no feasible allocation,
:func:`diagnose_lp` solves the *elastic* programme of :mod:`allocate.formulation` — every side
row, every floor and every lot budget may give, at a cost of its relaxation in pounds — twice
over:

1. with everything elastic, to find one least relaxation: which conditions conflict, by how much
   money, on which lots and members;
2. with one family elastic at a time, to find the **smallest relaxation of that condition alone**
   that would make an allocation possible (or that relaxing it alone cannot).

3. For each condition set by one policy value (``max_member_share``, ``max_dependency``,
   ``small_org_share``, ``case_mix_tolerance``, ``min_award``, ``min_providers_per_area``),
   the least change of that value alone that makes an allocation possible, found by bisection
   over the whole pipeline, for problems of up to :data:`BISECTION_PAIRS` eligible pairs.

**Honest numbers.**  The elastic programme is solved against the policy's own bounds (the rows
keep no rounding margin), so its relaxations are what the *policy* must give.
Each is a whole number of pence (:func:`whole_pence`: the solver's float rounded to the nearest
penny when it is within its noise of it, else up), and a relaxation that comes to no penny is
not reported at all.  Policy values are stated in the policy's own precision and always suffice
(:func:`~allocate.pipeline.constraints.base.least_decimal`): "raise ``max_member_share`` for
contract C from 0.2 to at least 0.3", "lower ``small_org_share`` ... to at most 0.1", "lower
``min_award`` from £100.00 to at most £75.00", "£X of lot L cannot be placed"; a value that
needs no real change is never recommended.

**The rule that blocks is named.**  A floor that must give is a minimum award (``min_award``)
or a provider an area keeps (``min_providers_per_area``), and is named so; money that cannot be
placed on a lot where ``min_award`` closed sub-contracts says so; and when ``min_award`` or
``min_providers_per_area`` alone would make an allocation possible, the summary says which
value would.

**Infeasible only within the solver's tolerance.**  When the elastic programme needs no
relaxation of a whole penny, the conditions conflict only by the solver's tolerance, not in the
policy: the diagnosis then says so, with a summary that starts with :data:`WITHIN_TOLERANCE`, no
relaxations, and :func:`infeasible_within_tolerance` is True for it.  ``solve`` never shows it:
it solves again with every row eased by a penny and rounds exactly to the true bounds, or
answers infeasible only when no allocation in whole pence exists.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from allocate.core import families as fam
from allocate.core.model import Problem
from allocate.core.money import format_money, from_pence
from allocate.core.outcome import Diagnosis, ExcludedCapacity, LotShortfall, Relaxation, Status
from allocate.pipeline.constraints import Relaxed, relaxation
from allocate.pipeline.constraints.base import change_words, least_decimal
from allocate.pipeline.eligibility import describe_reasons
from allocate.pipeline.engine import solve_elastic, solve_leximin
from allocate.pipeline.formulation import lp_spec
from allocate.pipeline.plan import ElasticResult, LeximinResult, LotPlan, LpSpec, Plan, RowInfo
from allocate.pipeline.planning import plan
from allocate.pipeline.tender import unqualified_words

__all__ = [
    "NOISE",
    "WITHIN_TOLERANCE",
    "capacity_shortfall",
    "certificate",
    "diagnose_lp",
    "infeasible_within_tolerance",
    "least_relaxation",
    "required_setting",
    "rounding_stopped",
    "solver_stopped",
    "tender_unsettled",
    "whole_pence",
    "whole_undecided",
]

#: The solver's noise, relative to a slack's scale (pence per unit of the row; a lot's value for
#: budgets and floors): a float slack this close to a whole penny *is* that penny.
NOISE = 1e-6

#: How the summary of a diagnosis starts when the programme is infeasible only within the
#: solver's tolerance: no relaxation of the policy comes to a whole penny.
WITHIN_TOLERANCE = "infeasible only within solver tolerance"

#: Finest resolution, in decimal places, of the bisection on a policy value (a value written
#: with more places is searched to this many).
_MOST_PLACES = 8


def whole_pence(amount: float, scale: float) -> int:
    """The least whole number of pence that covers a float relaxation of ``amount`` pence.

    A float within :data:`NOISE` × ``scale`` of a whole penny is that penny (the solver's
    noise); anything else is rounded **up**, so the relaxation stated always suffices.

    >>> whole_pence(5000.0000001, 100000.0), whole_pence(5000.2, 1000.0), whole_pence(0.4, 1.0)
    (5000, 5001, 1)
    """
    if not (math.isfinite(amount) and math.isfinite(scale)):
        raise ValueError(f"a relaxation must be finite, not {amount} pence (scale {scale})")
    tolerance = NOISE * abs(scale)
    nearest = round(amount)
    if abs(amount - nearest) <= tolerance:
        if nearest < 0:
            raise ValueError(f"a relaxation cannot be negative: {amount} pence")
        return int(nearest)
    if amount < 0:
        raise ValueError(f"a relaxation cannot be negative: {amount} pence")
    return math.ceil(amount)


def infeasible_within_tolerance(diagnosis: Diagnosis) -> bool:
    """Whether the diagnosis found the programme infeasible only within the solver's tolerance.

    True when no relaxation of the policy comes to a whole penny: the allocation's rows conflict
    only by the solver's tolerance, and solving again with more tolerance is the answer, not a
    change of policy.
    """
    return diagnosis.summary.startswith(WITHIN_TOLERANCE)


def _families(spec: LpSpec) -> list[str]:
    fams = sorted({row.family for row in spec.side_rows})
    if spec.pair_floor and any(f > 0 for f in spec.pair_floor):
        fams.append("floor")
    return [*fams, "budget"]


#: Above this many eligible pairs the bisection (a dozen full solves per condition) is skipped:
#: the elastic programme's relaxations in money are still reported.
BISECTION_PAIRS = 5000

#: The elastic programme's name of each family with one policy value to bisect on (``floor``
#: for the minimum award), from the registry; providers per area are searched on their own.
_BISECTED: dict[str, fam.Family] = {
    f.slack: f
    for f in fam.FAMILIES
    if f.bisection is not None and f.setting is not None and f is not fam.MIN_PROVIDERS_PER_AREA
}

#: Each family set by one policy value, by that value's name.
_BY_SETTING: dict[str, fam.Family] = {f.setting: f for f in fam.FAMILIES if f.setting is not None}

#: The policy values that decide single sub-contracts (which are made, and their floors).
_DECISIONS = frozenset(
    f.setting for f in fam.FAMILIES if f.kind is fam.Kind.DECISION and f.setting is not None
)


def _feasible(problem: Problem) -> bool:
    p = plan(problem)
    if not p.feasible:
        return False
    spec, _ = lp_spec(p)
    return solve_leximin(spec, max_stages=1).status is Status.OPTIMAL


def _with(problem: Problem, field: str, value: object) -> Problem:
    # a minimum award of nothing is no minimum award
    setting = None if field == fam.MIN_AWARD.setting and value == 0 else value
    return problem.evolve(policy=problem.policy.model_copy(update={field: setting}))


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def required_setting(
    problem: Problem, field: str, direction: str, off: Decimal, step: Decimal
) -> Decimal | None:
    """The least change of one policy value alone that makes the problem feasible.

    Bisection over the whole pipeline between the current value and ``off`` (where the
    condition cannot bind), to ``step`` or the current value's own precision if finer; the
    answer is then stated in the current value's precision
    (:func:`~allocate.pipeline.constraints.base.least_decimal`: as few decimal places as it has,
    rounded towards ``off``) and checked feasible again, so it always suffices.  None when the
    value is not set, or not even ``off`` makes the problem feasible.
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    if not step.is_finite() or step <= 0:
        raise ValueError(f"the bisection step must be positive, not {step}")
    current = getattr(problem.policy, field)
    if current is None:
        return None
    current = Decimal(current)
    if not _feasible(_with(problem, field, off)):
        return None
    step = min(step, Decimal(1).scaleb(-min(_places(current), _MOST_PLACES)))
    # invariant: the feasible end is 'off'; shrink towards the current value
    feasible_end, infeasible_end = off, current
    while abs(feasible_end - infeasible_end) > step:
        mid = ((feasible_end + infeasible_end) / 2).quantize(step)
        if mid in (feasible_end, infeasible_end):
            break
        if _feasible(_with(problem, field, mid)):
            feasible_end = mid
        else:
            infeasible_end = mid
    stated = least_decimal(Fraction(feasible_end), current, direction, off)
    if stated is None:
        return None
    if stated != feasible_end and not _feasible(_with(problem, field, stated)):
        return feasible_end  # rounding towards 'off' should never hurt; if it does, be exact
    return stated


@dataclass(frozen=True, slots=True)
class _Pence:
    """An elastic programme's relaxations in whole pence, the ones that come to nothing left out."""

    status: Status
    side: dict[str, int] = field(default_factory=dict)
    floors: dict[int, int] = field(default_factory=dict)
    unallocated: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.side.values()) + sum(self.floors.values()) + sum(self.unallocated.values())

    @classmethod
    def of(cls, res: ElasticResult, spec: LpSpec, values: list[int]) -> _Pence:
        scales = {row.name: row.scale for row in spec.side_rows}
        side = {n: whole_pence(v, scales.get(n, 1.0)) for n, v in res.side.items()}
        floors = {k: whole_pence(v, values[spec.pair_lot[k]]) for k, v in res.floors.items()}
        unallocated = {j: whole_pence(v, values[j]) for j, v in res.unallocated.items()}
        return cls(
            status=res.status,
            side={n: v for n, v in side.items() if v > 0},
            floors={k: v for k, v in floors.items() if v > 0},
            unallocated={j: v for j, v in unallocated.items() if v > 0},
        )


def _money(pence: int | Fraction) -> str:
    return format_money(pence, pence=True) if isinstance(pence, int) else format_money(pence / 100)


@dataclass(frozen=True, slots=True)
class _Words:
    """Puts the elastic programme's relaxations of one plan into the policy's words."""

    p: Plan
    info: dict[str, RowInfo]
    family_of: dict[str, str]

    def describe(self, res: _Pence) -> list[str]:
        lines: list[str] = []
        for name, pence in sorted(res.side.items()):
            relaxed = Relaxed(self.p, name, self.info.get(name), pence)
            lines.append(relaxation(self.family_of[name], relaxed))
        lines += [self._floor(k, pence) for k, pence in sorted(res.floors.items())]
        lines += [self._unplaced(j, pence) for j, pence in sorted(res.unallocated.items())]
        return lines

    def floor_rule(self, k: int) -> str:
        """The policy value that sets pair ``k``'s floor: the minimum award when there is one.

        A provider an area keeps has the minimum award as its floor too (a penny without one),
        so only then is the floor ``min_providers_per_area``'s own.
        """
        if self.p.problem.policy.min_award is None:
            return fam.MIN_PROVIDERS_PER_AREA.name
        return fam.MIN_AWARD.name

    def _floor(self, k: int, pence: int) -> str:
        p = self.p
        lot, pos = p.lots[p.pair_lot[k]], p.pair_pos[k]
        floor = lot.floor[pos] * lot.unit_value
        who = (
            f"the sub-contract of {p.eligibility.member_ids[p.pair_member[k]]} on lot {lot.lot_id}"
        )
        # what it would receive, in whole pence at most (a unit-priced floor may be fractional)
        gets = max(math.floor(floor - pence), 0)
        text = f"{who} would receive {_money(gets)}, {_money(pence)} short of its floor"
        policy = p.problem.policy
        if policy.min_award is not None:
            text += f", the minimum award (min_award {format_money(policy.min_award)})"
        else:
            text += f" of {_money(floor)}"
        if lot.decisions.get(pos, "").startswith("kept as a provider"):
            text += (
                f"; it is kept as one of its area's providers "
                f"(min_providers_per_area {policy.min_providers_per_area})"
            )
        return text

    def closed_by_min_award(self, j: int) -> list[str]:
        """Members whose sub-contract on lot ``j`` the minimum award closed."""
        lot = self.p.lots[j]
        ids = self.p.eligibility.member_ids
        return [ids[lot.members[pos]] for pos, is_open in enumerate(lot.open) if not is_open]

    def _unplaced(self, j: int, pence: int) -> str:
        lot = self.p.lots[j]
        text = (
            f"{_money(pence)} of lot {lot.lot_id}'s member pot cannot be placed with any eligible "
            "member under these conditions"
        )
        closed = self.closed_by_min_award(j)
        min_award = self.p.problem.policy.min_award
        if closed and min_award is not None:
            text += (
                f"; min_award ({format_money(min_award)}) closed the sub-contract"
                f"{'s' if len(closed) > 1 else ''} of {', '.join(closed)} there"
            )
        return text


def diagnose_lp(p: Plan, spec: LpSpec, info: dict[str, RowInfo]) -> Diagnosis:
    """The least relaxations that would make the programme feasible, in words and numbers."""
    values = [lot.value for lot in p.lots]
    policy_spec = spec
    families = _families(policy_spec)
    words = _Words(p, info, {row.name: row.family for row in spec.side_rows})
    overall = _Pence.of(solve_elastic(policy_spec, values), policy_spec, values)
    if overall.status is Status.OPTIMAL and overall.total == 0:
        return _within_tolerance()
    messages = ["no allocation satisfies every condition; one least relaxation:"]
    if overall.status is Status.OPTIMAL:
        messages += [f"  {line}" for line in words.describe(overall)]
    relaxations = [_alone(policy_spec, values, family, words) for family in families]
    if len(spec.pair_names) <= BISECTION_PAIRS:
        relaxations = [_with_setting(p.problem, r) for r in relaxations]
    if p.problem.policy.min_providers_per_area is not None and "floor" in families:
        relaxations.append(_fewer_providers(p.problem, p.problem.policy.min_providers_per_area))
    summary = _summary(overall, words, relaxations)
    return Diagnosis(summary=summary, messages=messages, relaxations=relaxations)


def certificate(p: Plan, spec: LpSpec) -> int | None:
    """The least total relaxation that makes the programme feasible, in whole pence.

    At least a penny certifies that no allocation exists; 0 says the conditions conflict only
    within the solver's tolerance; None when the elastic programme itself gave no answer.
    """
    return least_relaxation(p, spec)[0]


def least_relaxation(p: Plan, spec: LpSpec) -> tuple[int | None, ElasticResult]:
    """:func:`certificate`'s least relaxation, with the elastic programme's answer and duals.

    The duals are the Farkas combination of the infeasibility certificate
    (:func:`allocate.pipeline.certify.infeasibility_certificate`).
    """
    values = [lot.value for lot in p.lots]
    res = solve_elastic(spec, values)
    found = _Pence.of(res, spec, values)
    return (found.total if found.status is Status.OPTIMAL else None), res


def _within_tolerance() -> Diagnosis:
    return Diagnosis(
        summary=(
            f"{WITHIN_TOLERANCE}: every condition can be met to within a penny; the programme "
            "failed only by the solver's tolerance, so no policy needs to change"
        ),
        messages=[
            "the elastic programme, against the policy's own bounds, needs no relaxation of a "
            "whole penny: solve again with more tolerance"
        ],
    )


def _alone(spec: LpSpec, values: list[int], family: str, words: _Words) -> Relaxation:
    """The least relaxation of one family alone (the elastic programme with only it elastic)."""
    res = _Pence.of(solve_elastic(spec, values, elastic={family}), spec, values)
    if res.status is not Status.OPTIMAL:
        return Relaxation(
            condition=family,
            possible=False,
            amount=None,
            details=[
                f"relaxing {_name(family, words.p.problem)} alone cannot make an allocation "
                "possible"
            ],
        )
    return Relaxation(
        condition=family,
        possible=True,
        amount=from_pence(res.total) if res.total else None,
        details=words.describe(res),
    )


def _name(condition: str, problem: Problem) -> str:
    """A condition in the policy's words: the floors are the minimum award or kept providers."""
    if condition == fam.MIN_AWARD.slack:
        if problem.policy.min_award is None:
            return fam.MIN_PROVIDERS_PER_AREA.name
        return fam.MIN_AWARD.name
    return condition


def _fewer_providers(problem: Problem, k: int) -> Relaxation:
    """The most providers per area, below ``k``, that makes an allocation possible."""
    family = fam.MIN_PROVIDERS_PER_AREA
    assert family.setting is not None
    assert family.bisection is not None
    setting, least = family.setting, int(family.bisection.loosest)
    # whole providers: try each smaller number in turn, down to the registry's loosest
    fewer = next(
        (n for n in range(k - 1, least - 1, -1) if _feasible(_with(problem, setting, n))), None
    )
    return Relaxation(
        condition=setting,
        possible=fewer is not None,
        amount=None,
        details=[
            change_words(setting, Decimal(k), Decimal(fewer), "down")
            if fewer is not None
            else f"lowering {setting} alone cannot make an allocation possible"
        ],
        setting=setting,
        current=str(k),
        required=None if fewer is None else str(fewer),
    )


def _rank(r: Relaxation) -> tuple[bool, bool, Decimal, int]:
    """Policy changes first (leaving money unplaced is no policy), then by money, then registry."""
    order = [f.slack for f in fam.FAMILIES]
    return (
        r.condition == "budget",
        r.amount is None,
        r.amount if r.amount is not None else Decimal(0),
        order.index(r.condition) if r.condition in order else len(order),
    )


def _fix(r: Relaxation, problem: Problem) -> str:
    """One single relaxation in words: the condition, its money and the policy value."""
    text = _name(r.condition, problem)
    if r.amount is not None:
        text += f" by {format_money(r.amount)}"
    if r.setting is not None and r.current is not None and r.required is not None:
        family = _BY_SETTING[r.setting]
        assert family.bisection is not None
        change = change_words(
            r.setting, Decimal(r.current), Decimal(r.required), family.bisection.direction
        )
        text += f" ({change})"
    return text


def _summary(overall: _Pence, words: _Words, relaxations: list[Relaxation]) -> str:
    """One sentence: the conflicting conditions and the smallest single relaxation."""
    problem = words.p.problem
    conflicting: dict[str, int] = defaultdict(int)
    for name, pence in overall.side.items():
        conflicting[words.family_of[name]] += pence
    for k, pence in overall.floors.items():
        conflicting[words.floor_rule(k)] += pence
    if overall.unallocated:
        conflicting["budget"] += sum(overall.unallocated.values())
    parts = ", ".join(f"{k} ({_money(v)})" for k, v in sorted(conflicting.items()))
    summary = "no allocation satisfies every condition: " + (
        f"conflicting conditions {parts}" if conflicting else "the solver found no feasible point"
    )
    closing = sorted(
        words.p.lots[j].lot_id for j in overall.unallocated if words.closed_by_min_award(j)
    )
    if closing and problem.policy.min_award is not None:
        summary += (
            f", where min_award closes sub-contracts on lot{'s' if len(closing) > 1 else ''} "
            f"{', '.join(closing)}"
        )
    fixes = sorted((r for r in relaxations if r.possible), key=_rank)
    if not fixes:
        return summary + "; no single condition's relaxation alone suffices"
    if fixes[0].condition == "budget":
        return summary + (
            "; no policy value alone suffices: only leaving money unplaced (more eligible "
            f"capacity) does, {_fix(fixes[0], problem)}"
        )
    summary += f"; the smallest single change of policy is {_fix(fixes[0], problem)}"
    also = [r for r in fixes[1:] if r.setting in _DECISIONS and r.required is not None]
    for r in also:
        summary += f"; {_fix(r, problem)} alone would also do"
    return summary


def _with_setting(problem: Problem, r: Relaxation) -> Relaxation:
    """Add the least change of the condition's policy value, when it has one."""
    family = _BISECTED.get(r.condition)
    if family is None or family.bisection is None or family.setting is None:
        return r
    field = family.setting
    direction, off, step = (
        family.bisection.direction,
        family.bisection.loosest,
        family.bisection.step,
    )
    current = getattr(problem.policy, field)
    if current is None:
        return r
    needed = required_setting(problem, field, direction, off, step)
    if needed is None:
        even = "even removing it" if field == fam.MIN_AWARD.setting else f"even to {off}"
        line = f"changing {field} alone ({even}) cannot make an allocation possible"
    else:
        line = change_words(field, Decimal(current), needed, direction)
    details = r.details
    if needed is not None and not r.possible:
        # the programme's present rows or floors cannot give enough, but a new value does more:
        # it changes which sub-contracts are made (min_award) or which rows there are
        what = (
            f"the floors {field} sets now cannot give enough alone: a new value also changes "
            "which sub-contracts are made"
            if r.condition == fam.MIN_AWARD.slack
            else f"the {field} rows there are now cannot give enough alone: a new value also "
            "changes which rows there are"
        )
        details = [what]
    return r.model_copy(
        update={
            "setting": field,
            "current": str(current),
            "required": None if needed is None else str(needed),
            "possible": r.possible or needed is not None,
            "details": [line, *details],
        }
    )


def capacity_shortfall(p: Plan) -> Diagnosis:
    """Lots that eligible capacity cannot absorb: the shortfall, and what excluded members hold."""
    lots = [_lot_shortfall(p, lot) for lot in p.lots if lot.shortfall > 0]
    total = sum((x.shortfall for x in lots), Decimal(0))
    summary = (
        f"eligible capacity cannot absorb {len(lots)} lot(s); total shortfall {format_money(total)}"
    )
    return Diagnosis(summary=summary, lots=lots, messages=[_shortfall_words(p, x) for x in lots])


def _lot_shortfall(p: Plan, lot: LotPlan) -> LotShortfall:
    """One short lot: its member pot, eligible capacity, and what ineligible members declared."""
    e = p.eligibility
    per = lot.unit_value
    needed = from_pence(lot.pot)
    available = from_pence(int(sum(lot.claims) * per))
    excluded = []
    # a bid that did not qualify: the competition's own reasons (minimum quality, price ...)
    unqualified = unqualified_words(p) if lot.index in p.tenders else {}
    for i, mid in enumerate(e.member_ids):
        mask = int(e.reasons[lot.index, i])
        cap = int(e.capacity[lot.index, i])
        if mask and cap > 0:
            reasons = describe_reasons(p.problem, mid, lot.lot_id, mask)
            if (lot.index, i) in unqualified:
                reasons.append(f"bid did not qualify: {unqualified[lot.index, i]}")
            excluded.append(
                ExcludedCapacity(
                    member=mid,
                    capacity=from_pence(int(cap * per)),
                    reasons=reasons,
                )
            )
    return LotShortfall(
        lot=lot.lot_id,
        contract=lot.contract_id,
        needed=needed,
        available=available,
        shortfall=needed - available,
        excluded=excluded,
        excluded_total=sum((x.capacity for x in excluded), Decimal(0)),
    )


def _shortfall_words(p: Plan, x: LotShortfall) -> str:
    lot = next(planned for planned in p.lots if planned.lot_id == x.lot)
    unit_note = ""
    if lot.units is not None:
        unit_note = f" ({lot.units} units needed, {sum(lot.claims)} available)"
    text = (
        f"lot {x.lot!r} of contract {x.contract!r} needs {format_money(x.needed)} "
        f"for its members but eligible capacity is {format_money(x.available)}: short by "
        f"{format_money(x.shortfall)}{unit_note}."
    )
    if not x.excluded:
        return text + " No ineligible member declared capacity on it either."
    listed = "; ".join(
        f"{e.member} {format_money(e.capacity)} ({', '.join(e.reasons)})" for e in x.excluded
    )
    return text + f" Ineligible members declared {format_money(x.excluded_total)} more: {listed}."


def tender_unsettled(p: Plan) -> Diagnosis:
    """The diagnosis when the pass-down of sub-tendered lots did not settle in its bound.

    Every round holds a winner not held before, so this cannot happen; should it, no allocation
    is given rather than one whose work stopped part-way down a ranking.
    """
    lots = ", ".join(p.lots[j].lot_id for j in sorted(p.tenders))
    return Diagnosis(
        summary="solver stopped: the sub-tender pass-down did not settle",
        messages=[
            f"Work held back by side-constraints on {lots} was still moving down the ranking "
            "after every qualifying bid had been held once; no allocation is given rather than "
            "one that stops part-way."
        ],
    )


def solver_stopped(res: LeximinResult) -> Diagnosis:
    """The diagnosis of a solve the engine stopped without an answer (time limit, failure)."""
    return Diagnosis(summary=f"solver stopped: {res.message or res.solver_status}")


def rounding_stopped(reason: str) -> Diagnosis:
    """The diagnosis when the exact rounding reached the time limit before it decided."""
    return Diagnosis(
        summary=f"solver stopped: {reason}",
        messages=[
            "The programme's exact solution keeps every condition, but the integer search for "
            "whole pence and whole units that keep every side-constraint exactly did not finish "
            "within the time limit. No allocation is given rather than one that crosses a "
            "condition; allow more time (or none) to decide."
        ],
    )


def no_whole_pence(p: Plan) -> Diagnosis:
    """The diagnosis when the conditions meet only in fractions of a penny (or of a unit).

    The programme's exact solution keeps every condition, but no allocation in whole pence and
    whole units does: the integer check over the whole range of every award found none.
    """
    return Diagnosis(
        summary="no allocation in whole pence and whole units keeps every condition",
        messages=[
            "The conditions can be met only by splitting a penny (or a unit): an exact integer "
            "check over every award between its floor and its capacity found no allocation in "
            "whole pence that keeps every side-constraint. Relax any binding condition by a "
            "penny (or a unit's worth) to allow one."
        ],
    )


def whole_undecided(stopped: str) -> Diagnosis:
    """The diagnosis when no allocation in whole pence was found, but none is proved impossible.

    The rule's and the choice MILP's sub-contracts admit none; the search over every choice and
    every whole number (:func:`allocate.pipeline.infeasibility.decide`) stopped first.
    """
    return Diagnosis(
        summary="no allocation in whole pence and whole units was found (not proved impossible)",
        messages=[
            "Under the rule's choice of sub-contracts, and under the choice that keeps the most "
            "fair share, the conditions can be met only by splitting a penny (or a unit). The "
            "search over every other choice of sub-contracts and whole amounts did not decide: "
            f"{stopped}. An allocation may exist; allow more time (a larger time limit), or "
            "relax a binding condition by a penny (or a unit's worth)."
        ],
    )
