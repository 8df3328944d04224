"""Certificates: every allocation's proof checks out, and a changed allocation or proof does not.

On random problems of every rule and with every side-constraint family switched on, the
certificate :func:`allocate.solve` attaches is verified by :func:`allocate.check_certificate`
(exact arithmetic, no solver); infeasible problems carry an infeasibility certificate that
verifies.  A pound moved from a member worse off (relative to its fair share) to one better off,
keeping every total, is refused; so is the multiplier that holds a frozen member removed, or a
stage's level raised by a tenth.  (Doubling a multiplier need not be refused: multipliers are not
unique, and a doubled one on a row with nothing to spare is another valid proof.)
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from allocate import Allocation, Problem, Status, check_certificate, solve
from allocate.testing import SIDE_CONSTRAINTS, examples, problems

SIZE = {"max_members": 5, "max_lots": 3}
#: For the tests that need money to move (a lot with two awards, a claimant frozen at a level):
#: many small draws have none (a lot of a few pence, one member) and are skipped, not failed.
FILTERED = settings(
    parent=examples(0.5),
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
RULE_NAMES = (
    "proportional",
    "constrained_equal_awards",
    "constrained_equal_losses",
    "talmud",
    "weighted_proportional",
    "weighted_constrained_equal_awards",
)


def _certified(problem: Problem) -> Allocation:
    allocation = solve(problem, price_constraints=False)
    event(allocation.status.value)
    return allocation


@pytest.mark.parametrize("rule", RULE_NAMES)
@examples(0.3)
@given(data=st.data())
def test_every_rule_s_certificate_verifies(rule, data):
    problem = data.draw(problems(rules=rule, side_constraints="any", **SIZE))
    allocation = _certified(problem)
    assume(allocation.status in (Status.OPTIMAL, Status.INFEASIBLE))
    assume(allocation.certificate is not None or allocation.status is Status.INFEASIBLE)
    if allocation.certificate is None:
        # infeasible under the rule's sub-contract choice only, where another choice has a
        # whole allocation (a known limit of solve, docs/certificates.md): nothing to prove
        return
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    assert found.proved


@pytest.mark.parametrize("name", SIDE_CONSTRAINTS)
@examples(0.3)
@given(data=st.data())
def test_every_family_s_certificate_verifies(name, data):
    problem = data.draw(problems(side_constraints=[name], **SIZE))
    allocation = _certified(problem)
    if allocation.status is Status.OPTIMAL:
        assert allocation.certificate is not None
        assert allocation.certificate.kind in ("leximin", "closed_form")
    if allocation.certificate is not None:
        found = check_certificate(problem, allocation)
        assert found.ok, found.failures


@examples(0.4)
@given(problems(side_constraints=["max_member_share"], feasible=False, **SIZE))
def test_infeasible_problems_carry_a_verifying_certificate(problem):
    allocation = _certified(problem)
    assume(allocation.status is Status.INFEASIBLE)
    assert allocation.diagnosis is not None
    # one with a fractional allocation but none in whole pence or units carries a proof tree
    assert allocation.certificate is not None
    assert allocation.certificate.kind == "infeasible"
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    assert "no allocation" in found.proved.lower()


def _ratios(problem: Problem, allocation: Allocation) -> list[tuple[Fraction, str, str]]:
    """Each money award's ratio to its pair's fair share, from the audit's pair table."""
    pairs = allocation.audit.pairs
    money_lots = {lot.id for lot in problem.lots if lot.unit_price is None}
    out = []
    for k in range(len(pairs)):
        share = pairs.fair_share[k]
        if pairs.lot[k] in money_lots and share and share > 0 and pairs.award[k] is not None:
            out.append((Fraction(pairs.award[k]) / Fraction(share), pairs.member[k], pairs.lot[k]))
    return out


def _moved(allocation: Allocation, lot: str, giver: str, taker: str) -> Allocation:
    """The allocation with a pound moved on ``lot`` from ``giver`` to ``taker``."""
    awards = []
    for a in allocation.awards:
        if a.lot == lot and a.member == giver:
            a = a.model_copy(update={"amount": a.amount - Decimal(1)})
        elif a.lot == lot and a.member == taker:
            a = a.model_copy(update={"amount": a.amount + Decimal(1)})
        awards.append(a)
    return allocation.model_copy(update={"awards": [a for a in awards if a.amount != 0]})


@FILTERED
@given(problems(side_constraints="any", unit_priced=False, ineligible=False, min_members=2, **SIZE))
def test_a_pound_moved_from_worse_off_to_better_off_is_refused(problem):
    allocation = _certified(problem)
    assume(allocation.status is Status.OPTIMAL and allocation.certificate is not None)
    by_lot: dict[str, list[tuple[Fraction, str]]] = {}
    for ratio, member, lot in _ratios(problem, allocation):
        by_lot.setdefault(lot, []).append((ratio, member))
    # on a lot with two awards: from the worst off (relative to its fair share) to the best off
    movable = [(lot, min(rs), max(rs)) for lot, rs in sorted(by_lot.items()) if len(rs) > 1]
    assume(movable)
    lot, (_, giver), (_, taker) = movable[0]
    assume(giver != taker and allocation.award(giver, lot) >= Decimal(1))
    assert check_certificate(problem, allocation).ok
    found = check_certificate(problem, _moved(allocation, lot, giver, taker))
    assert not found.ok


def _level_frozen(problem: Problem, allocation: Allocation) -> list[tuple[int, str, Fraction]]:
    """(stage, ``member:lot``, certified award in pounds) of claimants frozen at a level whose
    award is at least 20p and below their capacity, with no floor."""
    cert = allocation.certificate
    assert cert is not None
    pairs = allocation.audit.pairs
    fair = {f"{pairs.member[k]}:{pairs.lot[k]}": pairs.fair_share[k] for k in range(len(pairs))}
    cap = {f"{pairs.member[k]}:{pairs.lot[k]}": pairs.capacity[k] for k in range(len(pairs))}
    made = {f"{r.member}:{r.lot}" for r in cert.choice.made}
    out = []
    for n, stage in enumerate(cert.stages):
        for f in stage.frozen:
            name = f"{f.member}:{f.lot}"
            if f.at != "level" or name in made or fair.get(name) is None:
                continue
            value = Fraction(fair[name]) * Fraction(stage.level)
            if Fraction(1, 5) <= value < Fraction(cap[name]) - Fraction(1, 100):
                out.append((n, name, value))
    return out


@FILTERED
@given(problems(side_constraints="any", ineligible=False, unit_priced=False, **SIZE), st.data())
def test_a_frozen_claimant_s_multiplier_removed_is_refused(problem, data):
    allocation = _certified(problem)
    cert = allocation.certificate
    assume(allocation.status is Status.OPTIMAL and cert is not None)
    candidates = [
        (n, name)
        for n, name, _ in _level_frozen(problem, allocation)
        if f"ratio:{name}" in cert.stages[n].multipliers
    ]
    assume(candidates)
    n, name = data.draw(st.sampled_from(candidates))
    stages = list(cert.stages)
    kept = {k: v for k, v in stages[n].multipliers.items() if k != f"ratio:{name}"}
    stages[n] = stages[n].model_copy(update={"multipliers": kept})
    tampered = allocation.model_copy(
        update={"certificate": cert.model_copy(update={"stages": stages})}
    )
    assert check_certificate(problem, allocation).ok
    found = check_certificate(problem, tampered)
    assert not found.ok
    assert any(name in failure for failure in found.failures)


@FILTERED
@given(problems(side_constraints="any", ineligible=False, unit_priced=False, **SIZE))
def test_a_raised_level_is_refused(problem):
    allocation = _certified(problem)
    cert = allocation.certificate
    assume(allocation.status is Status.OPTIMAL and cert is not None)
    frozen = _level_frozen(problem, allocation)
    assume(frozen)
    n = frozen[-1][0]
    # a tenth more for a claimant of at least 20p: two pence more than the allocation gives
    raised = Fraction(cert.stages[n].level) * Fraction(11, 10)
    stages = list(cert.stages)
    stages[n] = stages[n].model_copy(update={"level": str(raised)})
    tampered = allocation.model_copy(
        update={"certificate": cert.model_copy(update={"stages": stages})}
    )
    assert not check_certificate(problem, tampered).ok
