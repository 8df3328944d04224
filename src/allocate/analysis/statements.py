"""A statement for every member: what it was offered and why, and what would bring it more.

:func:`member_statement` explains one member's part of an allocation from the allocation's
audit: on every lot its eligibility (and the reasons, in words with figures), its fair share,
its award and the conditions that held it; its part of the hub's top-slice; and what it would
need to change to receive more.  That last part is found by **solving again**: for every lot the
member is not eligible for only for reasons of its own data it could change (its membership,
quality assurance, quality score, reporting compliance, themes or areas served on a lot it
declared capacity for, or a capacity of nothing), the least change of that data, made alone,
and the problem solved with it, other members unchanged ("at today's shares").  Where its own
pooled capacity held its awards below its fair shares, the problem is solved again with the
pool raised enough to reach them.  The solves are few (one per distinct set of changes) and
capped by ``max_solves``; the statement says how many were left out.

The top-slice a member contributed is the hub's top-slice of each contract in proportion to the
member's awards on it, rounded to whole pence by the largest remainder over the members (ties by
member id), so the members' contributions add up to each contract's top-slice exactly
(:func:`top_slice_contributions`).

Examples
--------
>>> from allocate import solve
>>> from allocate.examples import demo_problem
>>> problem = demo_problem()
>>> allocation = solve(problem)
>>> s = member_statement(problem, allocation, "marston-green")
>>> [n.words for n in s.improvements[0].needed]
['passing quality assurance', 'a quality score of 0.70 instead of 0.69']
>>> s.improvements[0].lots
['social-prescribing-central', 'volunteering-central']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from allocate.analysis.scenarios.changes import Change, set_capacity, set_quality, update_member
from allocate.analysis.scenarios.errors import ScenarioError
from allocate.analysis.scenarios.scenario import Scenario
from allocate.core import families
from allocate.core.apportion import ExactShares, largest_remainder
from allocate.core.model import Member, Membership, Problem
from allocate.core.money import format_money, from_pence, to_pence
from allocate.core.outcome import Allocation, ConstraintReport, PairTable
from allocate.core.statement import (
    CapacityHold,
    Improvement,
    LotLine,
    MemberStatement,
    Needed,
    StatementError,
    TopSlicePart,
)
from allocate.pipeline.audit import fingerprint
from allocate.pipeline.solve import solve

__all__ = [
    "DEFAULT_MAX_SOLVES",
    "member_statement",
    "member_statements",
    "top_slice_contributions",
]

#: Solves one statement makes at most (its improvements and capacity holds), by default.
DEFAULT_MAX_SOLVES = 8

#: The reasons a member can change in its own data.  ``excluded`` (the policy's decision),
#: ``no_bid`` and ``not_qualified`` (a competition held) and ``below_full_cost`` (its costs) are
#: not changes of its data that a statement can weigh.
_CHANGEABLE = frozenset(
    {"associate", "qa_not_passed", "quality", "reporting", "theme", "area", "no_capacity"}
)


def member_statement(
    problem: Problem,
    allocation: Allocation,
    member: str,
    *,
    max_solves: int = DEFAULT_MAX_SOLVES,
    time_limit: float | None = None,
    problem_file: str = "problem.json",
    allocation_file: str = "allocation.json",
) -> MemberStatement:
    """One member's statement of ``allocation``, made for ``problem``.

    Parameters
    ----------
    problem, allocation
        The problem and its allocation (status ``optimal``; made for this very problem: the
        fingerprints must agree).
    member
        The member's id.
    max_solves
        The most solves of "what would bring you more" (0: none; the statement says which were
        left out).
    time_limit
        Solver seconds for each of those solves.
    problem_file, allocation_file
        The file names the statement's check command names.

    Raises
    ------
    StatementError
        An unknown member, an allocation that was not made (its status) or that was made for
        another problem (its fingerprint), or a negative ``max_solves``.
    """
    return member_statements(
        problem,
        allocation,
        [member],
        max_solves=max_solves,
        time_limit=time_limit,
        problem_file=problem_file,
        allocation_file=allocation_file,
    )[0]


def member_statements(
    problem: Problem,
    allocation: Allocation,
    members: Sequence[str] | None = None,
    *,
    max_solves: int = DEFAULT_MAX_SOLVES,
    time_limit: float | None = None,
    problem_file: str = "problem.json",
    allocation_file: str = "allocation.json",
) -> list[MemberStatement]:
    """The statements of ``members`` (every member by default), in that order.

    As :func:`member_statement`, with the top-slice shares and the audit's index worked out
    once for them all.
    """
    check_allocation(problem, allocation)
    if isinstance(max_solves, bool) or not isinstance(max_solves, int) or max_solves < 0:
        raise StatementError(f"max_solves must be a whole number, 0 or more, not {max_solves!r}")
    ids = [m.id for m in problem.members] if members is None else list(members)
    for member in ids:
        if member not in problem.member_index:
            raise StatementError(f"member: no member with id {member!r} in the problem")
    context = _Context(problem, allocation, time_limit)
    return [
        _statement(context, member, max_solves, problem_file, allocation_file) for member in ids
    ]


def check_allocation(problem: Problem, allocation: Allocation) -> None:
    """Refuse an allocation that was not made, or was made for another problem."""
    if not allocation.status.is_ok:
        raise StatementError(
            f"status: the allocation's status is {allocation.status.value!r}; a statement "
            "explains an allocation that was made"
        )
    expected = fingerprint(problem)
    if allocation.audit.fingerprint != expected:
        raise StatementError(
            f"audit.fingerprint: the allocation was made for another problem (fingerprint "
            f"{allocation.audit.fingerprint[:16]}…, this problem's {expected[:16]}…)"
        )


def top_slice_contributions(problem: Problem, allocation: Allocation) -> dict[str, dict[str, int]]:
    """Each member's part of each contract's top-slice, in whole pence, by member then contract.

    A member's part of contract ``c`` is ``top_slice(c) × award(c) / awards(c)``, rounded by the
    largest remainder over the members with awards on ``c`` (ties by member id): the parts of
    each contract add up to its top-slice exactly.  Members without awards on a contract have
    no part of it (a contract with no awards leaves its top-slice unshared).
    """
    by_contract: dict[str, dict[str, int]] = {}
    for a in allocation.awards:
        mine = by_contract.setdefault(a.contract, {})
        mine[a.member] = mine.get(a.member, 0) + to_pence(a.amount)
    out: dict[str, dict[str, int]] = {m.id: {} for m in problem.members}
    for c in allocation.contracts:
        awards = by_contract.get(c.id, {})
        total = sum(awards.values())
        if total == 0:
            continue
        ids = sorted(awards)
        top = to_pence(c.top_slice)
        parts = largest_remainder(top, ExactShares(tuple(top * awards[m] for m in ids), total))
        for m, part in zip(ids, parts, strict=True):
            out[m][c.id] = part
    return out


# -- the statement ------------------------------------------------------------------------------


class _Context:
    """What every member's statement reads: the audit's index, the top-slices, the lots."""

    def __init__(self, problem: Problem, allocation: Allocation, time_limit: float | None):
        self.problem = problem
        self.allocation = allocation
        self.time_limit = time_limit
        self.pairs: PairTable = allocation.audit.pairs
        self.rows: dict[str, list[int]] = {}
        for k, member in enumerate(self.pairs.member):
            self.rows.setdefault(member, []).append(k)
        self.parts = top_slice_contributions(problem, allocation)
        self.constraints: dict[str, ConstraintReport] = {
            c.name: c for c in allocation.audit.constraints
        }
        self.summaries = {s.member: s for s in allocation.audit.members}
        self.lot_order = {lot.id: j for j, lot in enumerate(problem.lots)}

    def award_total(self, allocation: Allocation, member: str) -> Decimal:
        return sum((a.amount for a in allocation.awards if a.member == member), Decimal("0.00"))


def _statement(
    cx: _Context, member: str, max_solves: int, problem_file: str, allocation_file: str
) -> MemberStatement:
    problem, allocation = cx.problem, cx.allocation
    m = problem.member_index[member]
    lines = [_lot_line(cx, k) for k in cx.rows.get(member, [])]
    summary = cx.summaries[member]
    budget = _Budget(max_solves)
    improvements, reached = _improvements(cx, m, lines, budget)
    holds = _capacity_holds(cx, m, lines, budget)
    return MemberStatement(
        member=member,
        name=m.label,
        membership=m.membership.value,
        size_band=m.size_band.value,
        problem_name=allocation.problem_name,
        rule=allocation.rule,
        fingerprint=allocation.audit.fingerprint,
        lots=lines,
        capacity=summary.capacity,
        fair_share=summary.fair_share,
        award=summary.award,
        top_slice=_top_slice_parts(cx, member),
        top_slice_total=from_pence(sum(cx.parts[member].values())),
        improvements=improvements,
        capacity_holds=holds,
        unchanged=[line.lot for line in lines if not line.eligible and line.lot not in reached],
        not_solved=budget.skipped,
        max_solves=max_solves,
        problem_file=problem_file,
        allocation_file=allocation_file,
    )


def _lot_line(cx: _Context, k: int) -> LotLine:
    t = cx.pairs
    contract, lot = cx.problem.lot_index[t.lot[k]]
    bound = [b.strip() for b in (t.binding[k] or "").split(",") if b.strip() and b != "budget"]
    cap = t.capacity[k]
    return LotLine(
        lot=lot.id,
        contract=contract.id,
        theme=lot.theme,
        area=lot.area,
        eligible=t.eligible[k],
        reasons=list(t.reasons[k]),
        explanation=t.explanation[k],
        capacity=cap,
        fair_share=t.fair_share[k],
        award=t.award[k],
        units=t.award_units[k],
        bound_by=bound,
        conditions=[_condition_words(cx, name, cap) for name in bound],
    )


def _condition_words(cx: _Context, name: str, capacity: Decimal | None) -> str:
    """A binding condition in words, with its figures when the audit has them."""
    if name == "capacity":
        held = format_money(capacity) if capacity is not None else "none"
        return f"your capacity on the lot ({held})"
    report = cx.constraints.get(name)
    if report is not None:
        return (
            f"{report.description} (limit {format_money(report.bound)}, "
            f"reached {format_money(report.value)})"
        )
    try:
        return families.by_name(name.split(":", 1)[0]).condition
    except KeyError:
        return name


def _top_slice_parts(cx: _Context, member: str) -> list[TopSlicePart]:
    mine: dict[str, int] = {}
    totals: dict[str, int] = {}
    for a in cx.allocation.awards:
        pence = to_pence(a.amount)
        totals[a.contract] = totals.get(a.contract, 0) + pence
        if a.member == member:
            mine[a.contract] = mine.get(a.contract, 0) + pence
    out = []
    for c in cx.allocation.contracts:
        if not mine.get(c.id):
            continue
        exact = Fraction(to_pence(c.top_slice) * mine[c.id], totals[c.id])
        out.append(
            TopSlicePart(
                contract=c.id,
                top_slice=c.top_slice,
                members_awards=from_pence(totals[c.id]),
                awards=from_pence(mine[c.id]),
                exact=f"{exact.numerator}/{exact.denominator}",
                contribution=from_pence(cx.parts[member][c.id]),
            )
        )
    return out


class _Budget:
    """The solves a statement may still make, and how many it had to leave out."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit
        self.skipped = 0

    def take(self) -> bool:
        if self.left > 0:
            self.left -= 1
            return True
        self.skipped += 1
        return False


# -- what would bring more: the least change of the member's own data ---------------------------


@dataclass(frozen=True, slots=True)
class _Step:
    """One needed change: its record and the scenario change that makes it."""

    needed: Needed
    change: Change


def _improvements(
    cx: _Context, m: Member, lines: list[LotLine], budget: _Budget
) -> tuple[list[Improvement], set[str]]:
    """The improvements of the lots within reach, one per distinct set of changes."""
    groups: dict[tuple[str, ...], tuple[list[_Step], list[str]]] = {}
    for line in lines:
        if line.eligible or not _within_reach(line):
            continue
        steps = _steps(cx, m, line)
        key = tuple(s.needed.words for s in steps)
        groups.setdefault(key, (steps, []))[1].append(line.lot)
    ordered = sorted(groups.values(), key=lambda g: (len(g[0]), cx.lot_order[g[1][0]]))
    now = cx.award_total(cx.allocation, m.id)
    out = [_improvement(cx, m.id, steps, lots, now, budget) for steps, lots in ordered]
    return out, {lot for _, lots in ordered for lot in lots}


def _within_reach(line: LotLine) -> bool:
    """Whether only the member's own data keeps it from the lot.

    A lot it declared no capacity for *and* whose theme or area it does not serve is work it
    does not offer, not a change within reach.
    """
    reasons = set(line.reasons)
    if not reasons or not reasons <= _CHANGEABLE:
        return False
    return not ("no_capacity" in reasons and reasons & {"theme", "area"})


def _steps(cx: _Context, m: Member, line: LotLine) -> list[_Step]:
    """The least changes of the member's data that make it eligible for ``line``'s lot."""
    policy = cx.problem.policy
    reasons = set(line.reasons)
    out: list[_Step] = []
    if "associate" in reasons:
        out.append(
            _Step(
                Needed(
                    setting="membership",
                    lot=None,
                    current=m.membership.value,
                    required=Membership.FULL.value,
                    words="full membership instead of associate membership",
                ),
                update_member(m.id, membership=Membership.FULL.value),
            )
        )
    if "qa_not_passed" in reasons:
        out.append(
            _Step(
                Needed(
                    setting="qa_passed",
                    lot=None,
                    current="false",
                    required="true",
                    words="passing quality assurance",
                ),
                set_quality(m.id, qa_passed=True),
            )
        )
    if "quality" in reasons:
        out.append(
            _score_step(
                m.id, "quality_score", "quality score", m.quality_score, policy.quality_threshold
            )
        )
    if "reporting" in reasons:
        out.append(
            _score_step(
                m.id,
                "reporting_compliance",
                "reporting compliance",
                m.reporting_compliance,
                policy.reporting_threshold,
            )
        )
    for field, label, value in (("themes", "theme", line.theme), ("areas", "area", line.area)):
        if label in reasons:
            have: tuple[str, ...] = getattr(m, field)
            out.append(
                _Step(
                    Needed(
                        setting=field,
                        lot=None,
                        current=", ".join(have) or "none",
                        required=", ".join((*have, value)),
                        words=f"{'delivering' if label == 'theme' else 'serving'} {label} "
                        f"{value!r}",
                    ),
                    update_member(m.id, **{field: (*have, value)}),
                )
            )
    if "no_capacity" in reasons:
        out.append(_capacity_step(cx, m.id, line))
    return out


def decimals(value: float) -> int:
    """Decimal places of a score as written (its shortest representation).

    >>> decimals(0.7), decimals(0.65), decimals(1.0)
    (1, 2, 0)
    """
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _score_step(member: str, field: str, label: str, score: float, threshold: float) -> _Step:
    """The threshold itself, written in the precision of the threshold and the score."""
    places = max(decimals(score), decimals(threshold))
    q = Decimal(1).scaleb(-places)
    required = Decimal(repr(threshold)).quantize(q)
    current = Decimal(repr(score)).quantize(q)
    return _Step(
        Needed(
            setting=field,
            lot=None,
            current=str(current),
            required=str(required),
            words=f"a {label} of {required} instead of {current}",
        ),
        update_member(member, **{field: threshold}),
    )


def _capacity_step(cx: _Context, member: str, line: LotLine) -> _Step:
    """A capacity on the lot: the median of the members eligible there (the lower middle one)."""
    t = cx.pairs
    _, lot = cx.problem.lot_index[line.lot]
    ks = [k for k in range(len(t)) if t.lot[k] == line.lot and t.eligible[k]]
    current = "none" if line.capacity is None else format_money(line.capacity)
    if lot.unit_price is not None:
        units = sorted(t.capacity_units[k] or 0 for k in ks) or [1]
        need = max(1, units[(len(units) - 1) // 2])
        return _Step(
            Needed(
                setting="capacity",
                lot=line.lot,
                current=current,
                required=f"{need} units",
                words=f"a capacity of {need} units on lot {line.lot!r} (the median of the "
                "members eligible there)",
            ),
            set_capacity(member, line.lot, units=need),
        )
    amounts = sorted(t.capacity[k] or Decimal(0) for k in ks) or [Decimal("0.01")]
    amount = max(Decimal("0.01"), amounts[(len(amounts) - 1) // 2])
    return _Step(
        Needed(
            setting="capacity",
            lot=line.lot,
            current=current,
            required=str(amount),
            words=f"a capacity of {format_money(amount)} on lot {line.lot!r} (the median of "
            "the members eligible there)",
        ),
        set_capacity(member, line.lot, amount),
    )


def _improvement(
    cx: _Context, member: str, steps: list[_Step], lots: list[str], now: Decimal, budget: _Budget
) -> Improvement:
    needed = [s.needed for s in steps]
    change = _and(s.needed.words for s in steps)
    where = _and(f"lot {lot!r}" for lot in lots)
    head = f"{change[:1].upper()}{change[1:]} would make you eligible for {where}"
    blank: dict[str, Any] = {"needed": needed, "lots": lots, "award_now": now, "lot_awards": {}}
    if not budget.take():
        words = (
            f"{head}; not solved again (a statement solves at most {budget.limit} times: ask "
            "the hub)."
        )
        return Improvement(status=None, award_then=None, words=words, **blank)
    then = _solve_with(cx, [s.change for s in steps])
    if then is None or not then.status.is_ok:
        status = "invalid" if then is None else then.status.value
        words = f"{head}, but no allocation would then exist ({status})."
        return Improvement(status=status, award_then=None, words=words, **blank)
    still = [lot for lot in lots if not _eligible(then, member, lot)]
    lot_awards = {lot: then.award(member, lot) for lot in lots}
    total = cx.award_total(then, member)
    gained = _and(f"{format_money(v)} on {lot!r}" for lot, v in lot_awards.items())
    words = (
        f"{head}: about {gained} at today's shares (other members unchanged), "
        f"{format_money(total)} in all instead of {format_money(now)}."
    )
    if still:
        words = f"{head}; solved again, you would still not be eligible for {_and(still)}."
    return Improvement(
        status=then.status.value,
        award_then=total,
        words=words,
        **{**blank, "lot_awards": lot_awards},
    )


def _eligible(allocation: Allocation, member: str, lot: str) -> bool:
    t = allocation.audit.pairs
    return any(t.member[k] == member and t.lot[k] == lot and t.eligible[k] for k in range(len(t)))


def _solve_with(cx: _Context, changes: list[Change]) -> Allocation | None:
    """The problem solved with ``changes`` made (None: the changes leave it invalid)."""
    try:
        changed = Scenario("statement", changes).apply(cx.problem)
    except ScenarioError:
        return None
    return solve(changed, time_limit=cx.time_limit, diagnose=False)


def _and(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    xs = list(items)
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1] if xs else ""


# -- what more capacity would bring -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SetPool(Change):
    """The amount of the ``index``-th pooled capacity of the problem, replaced."""

    index: int
    amount: str
    kind: ClassVar[str] = "set_pool"

    def apply_to(self, data: dict[str, Any]) -> None:
        pools = [cap for cap in data["capacities"] if cap["lot"] is None]
        pools[self.index]["amount"] = Decimal(self.amount)


def _capacity_holds(
    cx: _Context, m: Member, lines: list[LotLine], budget: _Budget
) -> list[CapacityHold]:
    """The lots the member's own capacity held: its capacity on the lot, or a pool's."""
    out: list[CapacityHold] = []
    pools: dict[int, list[LotLine]] = {}
    for line in lines:
        for name in line.bound_by:
            if name.startswith(f"{families.POOLED_CAPACITY.name}:"):
                index = name.rsplit(":", 1)[-1]
                if index.isdigit():
                    pools.setdefault(int(index), []).append(line)
        if "capacity" in line.bound_by:
            out.append(_lot_hold(line))
    out += [_pool_hold(cx, m.id, n, held, budget) for n, held in sorted(pools.items())]
    return out


def _ceil_pence(x: Decimal) -> int:
    return math.ceil(x * 100)


def _lot_hold(line: LotLine) -> CapacityHold:
    """A lot its own capacity held: the award is the capacity, and so at least the fair share.

    The rule's fair share never exceeds the claim it is given, the capacity; an award held at
    the capacity is therefore already its fair share or more, and more capacity would only
    raise the claim itself.
    """
    assert line.capacity is not None  # eligible, so a capacity was declared
    at = "at" if to_pence(line.award) <= _ceil_pence(line.fair_share) else "above"
    return CapacityHold(
        lots=[line.lot],
        capacity=line.capacity,
        pooled=False,
        fair_share=line.fair_share,
        award=line.award,
        relaxed_to=None,
        award_then=None,
        words=(
            f"On {line.lot!r} you received your whole capacity, {format_money(line.award)}: "
            f"that is {at} your fair share ({format_money(line.fair_share)}), so it is not your "
            "capacity that keeps you below your fair share there. Declaring more capacity would "
            "raise your claim on the lot, and with it your fair share."
        ),
    )


def _pool_hold(
    cx: _Context, member: str, n: int, held: list[LotLine], budget: _Budget
) -> CapacityHold:
    """A pooled capacity that held its lots: solved again with it raised to their fair shares."""
    pool = [cap for cap in cx.problem.capacities if cap.lot is None][n]
    assert pool.amount is not None  # validated: pools are money
    lots = [line.lot for line in held]
    fair = sum((line.fair_share for line in held), Decimal(0))
    award = sum((line.award for line in held), Decimal(0))
    short = sum(max(0, _ceil_pence(line.fair_share) - to_pence(line.award)) for line in held)
    base: dict[str, Any] = {
        "lots": lots,
        "capacity": pool.amount,
        "pooled": True,
        "fair_share": fair,
    }
    where = _and(repr(lot) for lot in lots)
    if short == 0:
        words = (
            f"Your pooled capacity of {format_money(pool.amount)} held your awards on {where}, "
            f"{format_money(award)} in all, already at least your fair shares there "
            f"({format_money(fair)})."
        )
        return CapacityHold(award=award, relaxed_to=None, award_then=None, words=words, **base)
    raised = from_pence(to_pence(pool.amount) + short)
    if not budget.take():
        words = (
            f"Your pooled capacity of {format_money(pool.amount)} held your awards on {where} "
            f"below your fair shares; not solved again (a statement solves at most {budget.limit} "
            "times: ask the hub)."
        )
        return CapacityHold(award=award, relaxed_to=raised, award_then=None, words=words, **base)
    then = _solve_with(cx, [_SetPool(n, str(raised))])
    got = None
    if then is not None and then.status.is_ok:
        got = sum((then.award(member, lot) for lot in lots), Decimal("0.00"))
    result = (
        f"with {format_money(raised)} you would receive about {format_money(got)} there at "
        "today's shares (other members unchanged)"
        if got is not None
        else f"with {format_money(raised)} no allocation would exist"
    )
    words = (
        f"Your pooled capacity of {format_money(pool.amount)} held your awards on {where} to "
        f"{format_money(award)}, below your fair shares ({format_money(fair)}); {result}."
    )
    return CapacityHold(award=award, relaxed_to=raised, award_then=got, words=words, **base)
