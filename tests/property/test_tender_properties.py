"""Sub-tendering properties on drawn tender problems, with the public test kit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from allocate import Problem, check_certificate, solve
from allocate.core import families
from allocate.testing import (
    assert_budget_balance,
    assert_valid_allocation,
    check_anonymity,
    check_best_bid_wins,
    check_bid_monotonicity,
    tender_problems,
)


@settings(max_examples=20, deadline=None)
@given(tender_problems())
def test_every_tender_allocation_keeps_every_condition_and_balances(problem: Problem) -> None:
    a = solve(problem)
    assert_valid_allocation(problem, a, require_ok=True)
    assert_budget_balance(problem, a)


@settings(max_examples=15, deadline=None)
@given(tender_problems(side_constraints="any", feasible=False))
def test_side_constrained_tenders_keep_every_condition_or_say_why_not(problem: Problem) -> None:
    a = solve(problem)
    assert_valid_allocation(problem, a)
    if not a.status.is_ok:
        assert a.diagnosis is not None and a.diagnosis.summary


@settings(max_examples=15, deadline=None)
@given(tender_problems(competitions=["fixed_price"], max_winners=[1], splits=["rank_order"]))
def test_the_best_qualifying_bid_wins_a_single_winner_lot(problem: Problem) -> None:
    assert check_best_bid_wins(problem)


@settings(max_examples=15, deadline=None)
@given(tender_problems(savings=["more_units"]), st.data())
def test_raising_a_bidders_quality_never_lowers_its_award(
    problem: Problem, data: st.DataObject
) -> None:
    bid = data.draw(st.sampled_from(problem.bids))
    assert check_bid_monotonicity(problem, bid.member, bid.lot)


@settings(max_examples=10, deadline=None)
@given(tender_problems(), st.randoms(use_true_random=False))
def test_tenders_are_anonymous(problem: Problem, rnd: object) -> None:
    order = list(range(len(problem.members)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    assert check_anonymity(problem, order)


# -- a minimum award with share caps and dependency limits, against an independent oracle -------


def _member(mid: str, income: int) -> dict[str, object]:
    return {
        "id": mid,
        "annual_income": str(income),
        "quality_score": 0.8,
        "qa_passed": True,
        "reporting_compliance": 0.9,
        "themes": ["advice"],
        "areas": ["Luton"],
    }


@st.composite
def _min_award_tenders(draw: st.DrawFn) -> dict[str, object]:
    """One sub-tendered lot (and sometimes a planned one sharing the members' limits), bids
    scored on quality alone, a minimum award, and a share cap and/or a dependency limit."""
    members = "abcde"[: draw(st.integers(2, 5))]
    income = {m: draw(st.sampled_from([3000, 10000, 20000, 30000, 50000, 900000])) for m in members}
    value = draw(st.sampled_from([20000, 50000, 100000]))
    contracts: list[dict[str, object]] = [
        {
            "id": "c1",
            "value": str(value),
            "award": "sub_tender",
            "lots": [{"id": "t1", "value": str(value), "theme": "advice", "area": "Luton"}],
        }
    ]
    capacities = []
    if draw(st.booleans()):
        planned = draw(st.sampled_from([10000, 30000]))
        contracts.append(
            {
                "id": "c2",
                "value": str(planned),
                "lots": [{"id": "p1", "value": str(planned), "theme": "advice", "area": "Luton"}],
            }
        )
        for m in members[: draw(st.integers(1, 3))]:
            amount = draw(st.sampled_from([5000, 10000, 30000]))
            capacities.append({"member": m, "lot": "p1", "amount": str(amount)})
    qualities = draw(st.permutations([0.95, 0.9, 0.8, 0.7, 0.6, 0.5]))
    bids = []
    for m, q in zip(members, qualities, strict=False):
        bid: dict[str, object] = {"member": m, "lot": "t1", "quality": q}
        cap = draw(st.sampled_from([None, 3000, 8000, 20000, 40000]))
        if cap is not None:
            bid["capacity"] = str(cap)
        bids.append(bid)
    policy: dict[str, object] = {
        "min_award": str(draw(st.sampled_from([2000, 5000, 8000, 12000]))),
        "tender": {
            "weights": {"quality": 1, "social_value": 0, "impact": 0, "capacity": 0},
            "max_winners": draw(st.sampled_from([1, 2, None])),
            "split": draw(st.sampled_from(["rank_order", "score_proportional"])),
        },
    }
    caps = draw(st.sampled_from(["share", "dependency", "both"]))
    if caps in ("share", "both"):
        policy["max_member_share"] = draw(st.sampled_from(["0.4", "0.5", "0.6", "0.8"]))
    if caps in ("dependency", "both"):
        policy["max_dependency"] = draw(st.sampled_from(["0.5", "1", "2"]))
    return {
        "members": [_member(m, income[m]) for m in members],
        "contracts": contracts,
        "capacities": capacities,
        "bids": bids,
        "policy": policy,
    }


@settings(max_examples=60, deadline=None)
@given(_min_award_tenders())
def test_a_tender_with_a_minimum_award_is_infeasible_only_when_no_allocation_exists(
    data: dict[str, object],
) -> None:
    from tests.support import tender_oracle as oracle

    case = oracle.case(data)
    found = oracle.find_allocation(case)
    problem = Problem.model_validate(data)
    a = solve(problem)  # verifies independently (raises on any failed condition)
    if found is None:
        assert not a.status.is_ok  # the oracle's search is exhaustive
        # and the verdict carries its proof, which the solver-free checker accepts
        assert a.certificate is not None and a.certificate.kind == "infeasible"
        proof = check_certificate(problem, a)
        assert proof.ok, proof.failures
        return
    assert a.status.value == "optimal", a.diagnosis.summary if a.diagnosis else a.status
    assert_valid_allocation(problem, a, require_ok=True)
    split = problem.policy.tender.split.value
    if split == "rank_order" and len(problem.contracts) == 1:
        # the documented pass-down: best-ranked bids get as much as the conditions allow
        expected = oracle.best_ranked_first(case, "t1", {})
        got = {x.member: int(x.amount * 100) for x in a.awards}
        assert expected is not None and set(got) == set(expected), (got, expected)
        assert all(abs(got[m] - v) <= 1 for m, v in expected.items()), (got, expected)


# -- certificates: every solved tender allocation carries one, and it verifies ---------------


def _off_the_competition(problem: Problem, a: object) -> bool:
    """Whether a side-constraint moved work off the competition's first split: a pass-down is
    recorded, or (split in rank order) a better-ranked bid is below its capacity while a
    worse-ranked one is paid."""
    for report in a.audit.tenders:  # type: ignore[attr-defined]
        if any("passed down" in d for d in report.decisions):
            return True
        if problem.policy.tender.split.value != "rank_order":
            continue
        ranked = sorted((b for b in report.bids if b.qualified), key=lambda b: b.rank)
        for n, better in enumerate(ranked):
            if better.award < better.capacity and any(w.award > 0 for w in ranked[n + 1 :]):
                return True
    return False


@settings(max_examples=40, deadline=None)
@given(tender_problems(side_constraints="any", feasible=False))
def test_every_solved_tender_allocation_carries_a_certificate_that_verifies(
    problem: Problem,
) -> None:
    a = solve(problem)
    if not a.status.is_ok:
        return
    cert = a.certificate
    if cert is None:
        # the known gap (docs/certificates.md): where a side-constraint moved work off the
        # competition's split and the engine's pass-down does not end rank-first, no certificate
        # is made rather than one that does not hold
        assert _off_the_competition(problem, a)
        return
    assert cert.kind in ("leximin", "closed_form")
    assert sorted(t.lot for t in cert.tender) == sorted(problem.tendered)
    found = check_certificate(problem, a)
    assert found.ok, found.failures
    assert "sub-tendered lot" in found.proved


def _opened(problem: Problem) -> Problem:
    """The problem with more room: every side-constraint off, every bid on its whole lot.

    Members' declared capacities on the sub-tendered lots go too (a bid's capacity is the least
    of its own and the declared one), so a qualifying bid can take its lot whole.
    """
    off = {f.setting: f.off for f in families.policy_settings() if f.setting}
    bids = [b.model_copy(update={"capacity": None, "capacity_units": None}) for b in problem.bids]
    caps = [c for c in problem.capacities if c.lot not in problem.tendered]
    return problem.evolve(bids=bids, capacities=caps, policy=problem.policy.model_copy(update=off))


@settings(max_examples=40, deadline=None)
@given(tender_problems(side_constraints="any", feasible=False))
def test_every_infeasible_tender_problem_carries_a_proof_that_verifies(problem: Problem) -> None:
    a = solve(problem)
    if a.status.value != "infeasible":
        return
    cert = a.certificate
    assert cert is not None and cert.kind == "infeasible"
    found = check_certificate(problem, a)
    assert found.ok, found.failures
    assert "no allocation" in found.proved.lower()
    # the checker reads the bids from the problem: the same proof against a problem that has an
    # allocation (its own solve verified it) must be refused
    opened = _opened(problem)
    if solve(opened, certificate=False).status.is_ok:
        assert not check_certificate(opened, a).ok
