"""Why no allocation exists: computed with an elastic programme, not guessed.

When the side-constraints, floors and capacities leave no feasible allocation,
:func:`diagnose_lp` solves the *elastic* programme of :mod:`allocate.formulation` — every side
row, every floor and every lot budget may give, at a cost of its relaxation in pounds — twice
over:

1. with everything elastic, to find one least relaxation: which conditions conflict, by how much
   money, on which lots and members;
2. with one family elastic at a time, to find the **smallest relaxation of that condition alone**
   that would make an allocation possible (or that relaxing it alone cannot).

Relaxations are turned into the policy's own terms: "raise ``max_member_share`` for contract C
from 0.30 to at least 0.3412", "lower ``small_org_share`` ... to at most ...", "lower
``min_award`` ...", "£X of lot L cannot be placed".

3. For each condition set by one policy value (``max_member_share``, ``max_dependency``,
   ``small_org_share``, ``case_mix_tolerance``, ``min_award``, ``min_providers_per_area``),
   the least change of that value alone that makes an allocation possible, found by bisection
   over the whole pipeline (to four decimal places, a penny, or one provider), for problems of
   up to :data:`BISECTION_PAIRS` eligible pairs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from allocate.core import families as fam
from allocate.core.model import Problem
from allocate.core.money import format_money, from_pence
from allocate.core.outcome import Diagnosis, ExcludedCapacity, LotShortfall, Relaxation, Status
from allocate.pipeline.constraints import Relaxed, relaxation
from allocate.pipeline.eligibility import describe_reasons
from allocate.pipeline.engine import solve_elastic, solve_leximin
from allocate.pipeline.formulation import lp_spec
from allocate.pipeline.plan import ElasticResult, LeximinResult, LotPlan, LpSpec, Plan, RowInfo
from allocate.pipeline.planning import plan

__all__ = ["capacity_shortfall", "diagnose_lp", "required_setting", "solver_stopped"]


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


def _feasible(problem: Problem) -> bool:
    p = plan(problem)
    if not p.feasible:
        return False
    spec, _ = lp_spec(p)
    return solve_leximin(spec, max_stages=1).status is Status.OPTIMAL


def _with(problem: Problem, field: str, value: object) -> Problem:
    return problem.evolve(policy=problem.policy.model_copy(update={field: value}))


def required_setting(
    problem: Problem, field: str, direction: str, off: Decimal, step: Decimal
) -> Decimal | None:
    """The least change of one policy value that makes the problem feasible (bisection)."""
    current = getattr(problem.policy, field)
    if current is None:
        return None
    current = Decimal(current)
    if not _feasible(_with(problem, field, off if field != fam.MIN_AWARD.setting else None)):
        return None
    lo, hi = (current, off) if direction == "up" else (off, current)
    # invariant: the feasible end is 'off'; shrink towards the current value
    feasible_end, infeasible_end = (hi, lo) if direction == "up" else (lo, hi)
    while abs(feasible_end - infeasible_end) > step:
        mid = ((feasible_end + infeasible_end) / 2).quantize(step)
        if mid in (feasible_end, infeasible_end):
            break
        if _feasible(
            _with(
                problem, field, mid if not (field == fam.MIN_AWARD.setting and mid == 0) else None
            )
        ):
            feasible_end = mid
        else:
            infeasible_end = mid
    return feasible_end


@dataclass(frozen=True, slots=True)
class _Words:
    """Puts the elastic programme's relaxations of one plan into the policy's words."""

    p: Plan
    info: dict[str, RowInfo]
    family_of: dict[str, str]

    def describe(self, res: ElasticResult) -> list[str]:
        p, ids = self.p, self.p.eligibility.member_ids
        lines: list[str] = []
        for name, pence in sorted(res.side.items()):
            relaxed = Relaxed(p, name, self.info.get(name), round(pence))
            lines.append(relaxation(self.family_of[name], relaxed))
        for k, pence in sorted(res.floors.items()):
            lot = p.lots[p.pair_lot[k]]
            lines.append(
                f"the sub-contract of {ids[p.pair_member[k]]} on lot {lot.lot_id} falls "
                f"{format_money(from_pence(round(pence)))} short of its floor (lower min_award "
                "or min_providers_per_area)"
            )
        for j, pence in sorted(res.unallocated.items()):
            lines.append(
                f"{format_money(from_pence(round(pence)))} of lot {p.lots[j].lot_id}'s member pot "
                "cannot be placed with any eligible member under these conditions"
            )
        return lines


def diagnose_lp(p: Plan, spec: LpSpec, info: dict[str, RowInfo]) -> Diagnosis:
    """The least relaxations that would make the programme feasible, in words and numbers."""
    values = [lot.value for lot in p.lots]
    families = _families(spec)
    words = _Words(p, info, {row.name: row.family for row in spec.side_rows})
    overall = solve_elastic(spec, values)
    messages = ["no allocation satisfies every condition; one least relaxation:"]
    if overall.status is Status.OPTIMAL:
        messages += [f"  {line}" for line in words.describe(overall)]
    relaxations = [_alone(spec, values, family, words) for family in families]
    if len(spec.pair_names) <= BISECTION_PAIRS:
        relaxations = [_with_setting(p.problem, r) for r in relaxations]
    if p.problem.policy.min_providers_per_area is not None and "floor" in families:
        relaxations.append(_fewer_providers(p.problem, p.problem.policy.min_providers_per_area))
    summary = _summary(overall, words.family_of, relaxations)
    return Diagnosis(summary=summary, messages=messages, relaxations=relaxations)


def _alone(spec: LpSpec, values: list[int], family: str, words: _Words) -> Relaxation:
    """The least relaxation of one family alone (the elastic programme with only it elastic)."""
    res = solve_elastic(spec, values, elastic={family})
    if res.status is not Status.OPTIMAL:
        return Relaxation(
            condition=family,
            possible=False,
            amount=None,
            details=[f"relaxing {family} alone cannot make an allocation possible"],
        )
    return Relaxation(
        condition=family,
        possible=True,
        amount=from_pence(round(res.total)),
        details=words.describe(res),
    )


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
            f"lower {setting} from {k} to {fewer}"
            if fewer is not None
            else f"lowering {setting} alone cannot make an allocation possible"
        ],
        setting=setting,
        current=str(k),
        required=None if fewer is None else str(fewer),
    )


def _summary(
    overall: ElasticResult, family_of: dict[str, str], relaxations: list[Relaxation]
) -> str:
    """One sentence: the conflicting conditions and the smallest single relaxation."""
    conflicting: dict[str, Decimal] = defaultdict(Decimal)
    for name, pence in overall.side.items():
        conflicting[family_of[name]] += from_pence(round(pence))
    if overall.floors:
        conflicting["floor"] += from_pence(round(sum(overall.floors.values())))
    if overall.unallocated:
        conflicting["budget"] += from_pence(round(sum(overall.unallocated.values())))
    fixable = [r for r in relaxations if r.possible]
    parts = ", ".join(f"{k} ({format_money(v)})" for k, v in sorted(conflicting.items()))
    summary = "no allocation satisfies every condition: " + (
        f"conflicting conditions {parts}" if conflicting else "the solver found no feasible point"
    )
    if fixable:
        best = min(fixable, key=lambda r: r.amount or Decimal(0))
        amount = format_money(best.amount or Decimal(0))
        summary += f"; the smallest single relaxation is {best.condition} by {amount}"
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
    verb = "raise" if direction == "up" else "lower"
    if needed is None:
        line = f"changing {field} alone (even to {off}) cannot make an allocation possible"
    else:
        bound = "at least" if direction == "up" else "at most"
        line = f"{verb} {field} from {current} to {bound} {needed}"
    return r.model_copy(
        update={
            "setting": field,
            "current": str(current),
            "required": None if needed is None else str(needed),
            "possible": r.possible or needed is not None,
            "details": [line, *r.details],
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
    for i, mid in enumerate(e.member_ids):
        mask = int(e.reasons[lot.index, i])
        cap = int(e.capacity[lot.index, i])
        if mask and cap > 0:
            excluded.append(
                ExcludedCapacity(
                    member=mid,
                    capacity=from_pence(int(cap * per)),
                    reasons=describe_reasons(p.problem, mid, lot.lot_id, mask),
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


def solver_stopped(res: LeximinResult) -> Diagnosis:
    """The diagnosis of a solve the engine stopped without an answer (time limit, failure)."""
    return Diagnosis(summary=f"solver stopped: {res.message or res.solver_status}")


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
