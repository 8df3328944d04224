"""Certificates: every allocation's proof checks out, and a changed allocation or proof does not.

On random problems of every rule and with every side-constraint family switched on, the
certificate :func:`allocate.solve` attaches is verified by :func:`allocate.check_certificate`
(exact arithmetic, no solver); infeasible problems carry an infeasibility certificate that
verifies.  A pound moved from a member worse off (relative to its fair share) to one better off,
keeping every total, is refused; so is a doubled multiplier, or a stage level raised.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from allocate import Allocation, Problem, Status, check_certificate, solve
from allocate.testing import SIDE_CONSTRAINTS, examples, problems

SIZE = {"max_members": 5, "max_lots": 3}
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
        return  # infeasible only in whole pence (no Farkas combination): see the next tests
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
    # a problem with a fractional allocation but none in whole pence or units has no Farkas
    # combination (docs/certificates.md); every other is short of capacity or over a cap
    assume(not allocation.diagnosis.summary.startswith("no allocation in whole pence"))
    assert allocation.certificate is not None
    assert allocation.certificate.kind == "infeasible"
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    assert "no allocation exists" in found.proved


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


@examples(0.5)
@given(problems(side_constraints="any", unit_priced=False, min_members=2, **SIZE))
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


@examples(0.4)
@given(problems(side_constraints="any", **SIZE), st.data())
def test_a_doubled_multiplier_is_refused(problem, data):
    allocation = _certified(problem)
    cert = allocation.certificate
    assume(allocation.status is Status.OPTIMAL and cert is not None)
    with_multipliers = [n for n, stage in enumerate(cert.stages) if stage.multipliers]
    assume(with_multipliers)
    n = data.draw(st.sampled_from(with_multipliers))
    stage = cert.stages[n]
    name = max(stage.multipliers, key=lambda k: abs(int(stage.multipliers[k])))
    doubled = {**stage.multipliers, name: str(2 * int(stage.multipliers[name]))}
    stages = list(cert.stages)
    stages[n] = stage.model_copy(update={"multipliers": doubled})
    tampered = allocation.model_copy(
        update={"certificate": cert.model_copy(update={"stages": stages})}
    )
    assert check_certificate(problem, allocation).ok
    assert not check_certificate(problem, tampered).ok


@examples(0.4)
@given(problems(side_constraints="any", **SIZE))
def test_a_raised_level_is_refused(problem):
    allocation = _certified(problem)
    cert = allocation.certificate
    assume(allocation.status is Status.OPTIMAL and cert is not None)
    stage = cert.stages[-1]
    raised = Fraction(stage.level) * Fraction(11, 10)
    stages = [*cert.stages[:-1], stage.model_copy(update={"level": str(raised)})]
    tampered = allocation.model_copy(
        update={"certificate": cert.model_copy(update={"stages": stages})}
    )
    assert not check_certificate(problem, tampered).ok
