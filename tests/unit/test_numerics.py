"""Numerics at the edges of the money range: a penny beside a trillion pounds, penny unit prices.

Money runs from a penny to a trillion pounds (10**14 pence), so one member's capacity can be
1e-14 of its lot.  HiGHS drops matrix entries below 1e-9, which once left the level unbounded
(status ``solver_error``); these problems must solve, verify, and give the answer derived here
from the rule and the leximin order, not from the solver.  The last tests make the solver fail
on purpose and check that the engine tries again (presolve off, then the interior point method)
and says so.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

import allocate
from allocate import Problem, ProblemError, solve
from allocate.core.outcome import Status
from allocate.pipeline import engine
from allocate.pipeline.formulation import lp_spec
from allocate.pipeline.plan import LpSpec
from allocate.pipeline.planning import plan
from allocate.synthetic import consortium
from allocate.testing import assert_valid_allocation

NO_TOP_SLICE = {"max_rate": "0", "target_rate": "0"}
TRILLION = 10**14  # pence: the largest lot value the model accepts
TEN_BILLION = 10**12  # pence


def org(id: str, income: str = "0.00", **kw: Any) -> dict[str, Any]:
    return {
        "id": id,
        "annual_income": income,
        "quality_score": 0.5,
        "qa_passed": True,
        "reporting_compliance": 0.5,
        "themes": ["advice"],
        "areas": ["Luton"],
        **kw,
    }


def lot(id: str, value: str, **kw: Any) -> dict[str, Any]:
    return {"id": id, "value": value, "theme": "advice", "area": "Luton", **kw}


def pounds(pence: int) -> str:
    return str(Decimal(pence).scaleb(-2))


def pence(amount: Decimal) -> int:
    return int(amount * 100)


def awards(allocation: allocate.Allocation) -> dict[tuple[str, str], int]:
    """(member, lot) -> pence."""
    return {(a.member, a.lot): pence(a.amount) for a in allocation.awards}


def three_members(value: int, tiny: int, policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """One lot of ``value`` pence: ``big`` can take it all, ``half`` half of it, ``tiny`` little."""
    return {
        "members": [org("big"), org("half"), org("tiny")],
        "contracts": [{"id": "c", "value": pounds(value), "lots": [lot("l", pounds(value))]}],
        "capacities": [
            {"member": "big", "lot": "l", "amount": pounds(value)},
            {"member": "half", "lot": "l", "amount": pounds(value // 2)},
            {"member": "tiny", "lot": "l", "amount": pounds(tiny)},
        ],
        "top_slice": NO_TOP_SLICE,
        "policy": policy or {},
    }


# -- tiny capacities --------------------------------------------------------------------------

#: (lot value, tiny capacity) in pence: the capacity at 1e-9, 1e-12 and 1e-14 of a £1tn lot,
#: and a penny on a £10bn lot.
TINY = {
    "1e-9": (TRILLION, 10**5),
    "1e-12": (TRILLION, 100),
    "1e-14": (TRILLION, 1),
    "penny_on_10bn": (TEN_BILLION, 1),
}


@pytest.mark.parametrize("case", sorted(TINY))
def test_a_tiny_capacity_beside_large_members_gives_the_rules_shares(case):
    """Nothing binds but capacities: the programme's optimum is the rule's closed form."""
    value, tiny = TINY[case]
    # a share cap that cannot bind (big's fair share is 2/3) puts the problem through the LP
    capped = Problem.model_validate(three_members(value, tiny, {"max_member_share": "0.9"}))
    plain = Problem.model_validate(three_members(value, tiny))
    closed = solve(plain, method="closed_form")
    for problem, allocation in ((capped, solve(capped)), (plain, solve(plain, method="lp"))):
        assert allocation.status is Status.OPTIMAL, allocation.audit.solver.status
        assert allocation.audit.solver.method == "lp"
        assert_valid_allocation(problem, allocation, require_ok=True)
        assert awards(allocation) == awards(closed)
    # and the closed form itself is the proportional rule, to the penny
    caps = {"big": value, "half": value // 2, "tiny": tiny}
    total = sum(caps.values())
    for member, cap in caps.items():
        share = Fraction(cap * value, total)
        assert abs(awards(closed).get((member, "l"), 0) - share) < 1


@pytest.mark.parametrize("case", sorted(TINY))
def test_a_tiny_claimant_rises_with_the_others_when_a_share_cap_binds(case):
    """``big`` is held at 60% of the pot; ``half`` and ``tiny`` share the rest at one level.

    Leximin: stage 1 raises everyone until ``big`` meets the cap (ratio 0.9 of its 2/3 fair
    share); stage 2 raises ``half`` and ``tiny`` together, so each ends at the same multiple of
    its fair share, and their fair shares are in the ratio of their capacities.  A solver that
    lost ``tiny``'s coefficient could leave it anywhere up to its capacity, or unbounded.
    """
    value, tiny = TINY[case]
    problem = Problem.model_validate(three_members(value, tiny, {"max_member_share": "0.6"}))
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL, allocation.audit.solver.status
    assert_valid_allocation(problem, allocation, require_ok=True)
    got = awards(allocation)
    big = got[("big", "l")]
    assert big <= value * 6 // 10
    # held at the cap, less at most the rows' rounding margin (1e-8 of the pot) and the hair
    # (1e-10) frozen claimants may give to later stages
    assert big >= value * 6 // 10 - value // 10**7
    rest = value - big
    expected_tiny = Fraction(rest * tiny, value // 2 + tiny)
    assert abs(got.get(("tiny", "l"), 0) - expected_tiny) < 1
    assert got[("half", "l")] + got.get(("tiny", "l"), 0) == rest


def test_the_level_is_bounded_and_every_coefficient_is_in_range():
    """The programme the solver sees: every coefficient in [1e-6, 1e6], rows no wider, t finite."""
    value, tiny = TINY["1e-14"]
    p = plan(Problem.model_validate(three_members(value, tiny, {"max_member_share": "0.6"})))
    spec, _ = lp_spec(p)
    lex = engine._Leximin(spec, None, None)
    assert lex.level.upBound is not None
    # the tiny pair is measured in its fair share: its level is its variable
    k = spec.pair_names.index("tiny:l")
    assert lex.m.scale[k] == spec.pair_target[k]
    for row in lex.m.prob.constraints():
        sizes = [abs(c) for _, c in row.items() if c]
        assert all(1e-6 * (1 - 1e-12) <= c <= 1e6 for c in sizes), row.name
        assert max(sizes) <= 1e6 * min(sizes) * (1 + 1e-12), row.name
    assert lex.level.upBound == pytest.approx(
        max(c / t for c, t in zip(spec.pair_cap, spec.pair_target, strict=True) if t > 0)
    )


def test_a_dependency_cap_across_a_one_pound_and_a_billion_pound_lot():
    """One side row links a £1bn lot and a £1 lot: 1e9 between its coefficients.

    ``small`` may receive 60p in all (its income × 1).  Leximin: its two pairs are raised
    together to the one level the 60p allows, so its money goes to the lots in proportion to
    its fair shares there (half of each lot): 60p × 5e8/(5e8 + 0.5) on the big lot, a speck
    (rounded to nothing) on the £1 lot; ``large`` takes the rest of both.
    """
    billion, one = 10**11, 100
    problem = Problem.model_validate(
        {
            "members": [org("small", "0.60"), org("large", "1000000000000.00")],
            "contracts": [
                {"id": "big", "value": pounds(billion), "lots": [lot("bn", pounds(billion))]},
                {"id": "tiny", "value": pounds(one), "lots": [lot("one", pounds(one))]},
            ],
            "capacities": [
                {"member": m, "lot": lot_id, "amount": pounds(v)}
                for m in ("small", "large")
                for lot_id, v in (("bn", billion), ("one", one))
            ],
            "top_slice": NO_TOP_SLICE,
            "policy": {"max_dependency": "1"},
        }
    )
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL, allocation.audit.solver.status
    assert_valid_allocation(problem, allocation, require_ok=True)
    got = awards(allocation)
    small_bn, small_one = got.get(("small", "bn"), 0), got.get(("small", "one"), 0)
    assert small_bn + small_one <= 60
    assert small_bn >= 60 - 10  # at its cap, less at most a rounding margin
    assert small_one == 0  # 60p × 0.5/(5e8 + 0.5) of a penny
    assert got[("large", "one")] == one
    assert got[("large", "bn")] == billion - small_bn


def test_share_caps_across_a_one_pound_and_a_billion_pound_contract():
    """``max_member_share`` per contract and on the portfolio of a £1 and a £1bn contract.

    The portfolio row adds ``lead``'s £1-lot award to its £1bn-lot award: 1e-9 between its
    coefficients.  On the £1bn lot ``lead``'s fair share (1/1.8) is above the 50% cap, so it is
    held there and ``a`` and ``b`` (equal capacities) split the rest equally.  Nothing holds the
    £1 lot: its three equal members take a third each, the rule's shares, to the penny.
    """
    billion, one = 10**11, 100
    problem = Problem.model_validate(
        {
            "members": [org("lead"), org("a"), org("b")],
            "contracts": [
                {"id": "big", "value": pounds(billion), "lots": [lot("bn", pounds(billion))]},
                {"id": "tiny", "value": pounds(one), "lots": [lot("one", pounds(one))]},
            ],
            "capacities": [
                {"member": "lead", "lot": "bn", "amount": pounds(billion)},
                {"member": "a", "lot": "bn", "amount": pounds(billion * 4 // 10)},
                {"member": "b", "lot": "bn", "amount": pounds(billion * 4 // 10)},
            ]
            + [{"member": m, "lot": "one", "amount": pounds(one)} for m in ("lead", "a", "b")],
            "top_slice": NO_TOP_SLICE,
            "policy": {"max_member_share": "0.5"},
        }
    )
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL, allocation.audit.solver.status
    assert_valid_allocation(problem, allocation, require_ok=True)
    got = awards(allocation)
    lead_bn = got[("lead", "bn")]
    assert billion // 2 - billion // 10**7 <= lead_bn <= billion // 2  # at the cap, less margins
    assert abs(got[("a", "bn")] - got[("b", "bn")]) <= 1
    assert got[("a", "bn")] + got[("b", "bn")] == billion - lead_bn
    on_one = [got.get((m, "one"), 0) for m in ("lead", "a", "b")]
    assert sum(on_one) == one
    assert all(abs(x - Fraction(one, 3)) < 1 for x in on_one)
    assert 2 * (lead_bn + on_one[0]) <= billion + one


def test_a_ring_fence_met_only_on_a_one_pound_lot_of_a_trillion_pound_contract():
    """The ring-fence's row holds the £1 lot at 1e-12 of the contract's pot.

    The only small member can be paid only on the £1 lot, and the ring-fence (9e-13 of the
    contract's pot: 90p) needs more than its fair share there (50p).  A solver that drops the
    coefficient drops the ring-fence with it (verification then fails).
    """
    huge, one = TRILLION - 100, 100
    share = Decimal("0.0000000000009")
    problem = Problem.model_validate(
        {
            "members": [org("big1", "50000000.00"), org("big2", "50000000.00"), org("small")],
            "contracts": [
                {
                    "id": "c",
                    "value": pounds(huge + one),
                    "lots": [lot("huge", pounds(huge)), lot("one", pounds(one))],
                }
            ],
            "capacities": [
                {"member": "big1", "lot": "huge", "amount": pounds(huge)},
                {"member": "big2", "lot": "huge", "amount": pounds(huge)},
                {"member": "big1", "lot": "one", "amount": pounds(one)},
                {"member": "small", "lot": "one", "amount": pounds(one)},
            ],
            "top_slice": NO_TOP_SLICE,
            "policy": {"small_org_share": str(share)},
        }
    )
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL, allocation.audit.solver.status
    assert_valid_allocation(problem, allocation, require_ok=True)
    got = awards(allocation)
    ring_fence = share * (huge + one)
    assert ring_fence == 90
    assert ring_fence <= got[("small", "one")] <= one
    assert got.get(("big1", "one"), 0) == one - got[("small", "one")]
    assert abs(got[("big1", "huge")] - got[("big2", "huge")]) <= 1


def test_the_shadow_price_of_a_split_row_keeps_its_meaning():
    """A dependency cap over a £1tn lot and a £1 lot, scaled and split before the solver sees it.

    ``m`` and ``n`` can each take the whole of both lots: m's fair shares, half of each, are
    above the £400bn its income allows, so stage 1 holds m's two pairs at the level
    ``t = bound / (V1/2 + V2/2)``: one more pound of bound raises it by 100 / (V1/2 + V2/2).
    That is the shadow price the audit must report, as for any row (the row's coefficients are
    2.5 and 2.5e-12: it is divided by 2.5 and split).
    """
    v1, v2 = TRILLION - 100, 100
    problem = Problem.model_validate(
        {
            "members": [org("m", "400000000000.00"), org("n", "1000000000000.00")],
            "contracts": [
                {
                    "id": "c",
                    "value": pounds(v1 + v2),
                    "lots": [lot("huge", pounds(v1)), lot("one", pounds(v2))],
                }
            ],
            "capacities": [
                {"member": "m", "lot": "huge", "amount": pounds(v1)},
                {"member": "n", "lot": "huge", "amount": pounds(v1)},
                {"member": "m", "lot": "one", "amount": pounds(v2)},
                {"member": "n", "lot": "one", "amount": pounds(v2)},
            ],
            "top_slice": NO_TOP_SLICE,
            "policy": {"max_dependency": "1"},
        }
    )
    spec, _ = lp_spec(plan(problem))
    row = next(r for r in spec.side_rows if r.name == "max_dependency:m")
    assert not engine._in_range(list(row.coefficients.values()))  # it is split
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL
    assert_valid_allocation(problem, allocation, require_ok=True)
    report = next(c for c in allocation.audit.constraints if c.name == "max_dependency:m")
    assert report.binding
    fair_money = Fraction(v1 + v2, 2)  # m's fair shares, in pence
    assert report.shadow_price == pytest.approx(float(100 / fair_money), rel=1e-6)


@pytest.mark.parametrize("size", [0.25, 0.25e-14])
def test_a_pairs_reduced_cost_is_per_unit_of_lot_value_whatever_its_scale(size):
    """Pair ``a`` can take half its fair share: the worst ratio is 1/2, held by a's capacity.

    One more unit (of lot value) of capacity raises the level by 1 / a's fair share, however
    small a is against its lot (a tiny pair's variable is in a unit of its own inside the
    engine; the reduced cost is reported per unit of lot value all the same).
    """
    target = 2 * size
    spec = LpSpec(
        lot_names=["l"],
        pair_names=["a:l", "b:l"],
        pair_lot=[0, 0],
        pair_cap=[size, 1.0],
        pair_target=[target, 1.0 - target],
        hub_cap=[0.0],
    )
    res = engine.solve_leximin(spec)
    assert res.status is Status.OPTIMAL
    assert res.first_level == pytest.approx(0.5)
    assert abs(res.pair_reduced_cost[0]) == pytest.approx(1 / target, rel=1e-6)
    assert res.pair_values[0] == pytest.approx(size, rel=1e-9)
    assert res.pair_values[0] + res.pair_values[1] == pytest.approx(1.0)


def test_a_penny_ring_fence_on_a_large_lot_survives_reading_the_answer():
    """A ring-fence of 1e-12 of a £100m pot: the one micro member must get at least a penny.

    Its fair share under constrained equal losses is 0 (its capacity is below the loss), so the
    LP gives it the penny; the others' values stay within 1e-7 of their fair shares, and reading
    the answer back as the rule's shares would lose the micro member's penny: the snapping must
    refuse shares that cross the ring-fence.
    """
    value = 11_111_111_111  # pence; a 10% top-slice leaves £100m
    problem = Problem.model_validate(
        {
            "members": [
                org("m0", "10000000.00"),
                org("m1", "100000.00"),
                org("m2", "1000.00"),
            ],
            "contracts": [{"id": "c", "value": pounds(value), "lots": [lot("l", pounds(value))]}],
            "capacities": [
                {"member": "m0", "lot": "l", "amount": pounds(value)},
                {"member": "m1", "lot": "l", "amount": pounds(value)},
                {"member": "m2", "lot": "l", "amount": "176.70"},
            ],
            "policy": {"rule": "constrained_equal_losses", "small_org_share": "0.000000000001"},
        }
    )
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL
    assert awards(allocation).get(("m2", "l"), 0) >= 1


# -- penny unit prices -----------------------------------------------------------------------


def penny_units(members: int, units: int, policy: dict[str, Any] | None = None) -> dict:
    """A lot of ``units`` units at 1p, each member able to deliver one unit (10% top-slice)."""
    ids = [f"m{i}" for i in range(members)]
    value = pounds(units)
    return {
        "members": [org(m) for m in ids],
        "contracts": [
            {"id": "c", "value": value, "lots": [lot("l", value, unit="client", unit_price="0.01")]}
        ],
        "capacities": [{"member": m, "lot": "l", "units": 1} for m in ids],
        "top_slice": {"method": "fixed", "rate": "0.1", "max_rate": "0.1"},
        "policy": policy or {},
    }


@pytest.mark.parametrize("method", ["auto", "lp"])
def test_a_one_unit_award_worth_less_than_a_penny_is_kept(method):
    """Ten units at 1p, a 1p top-slice: 9p for ten one-unit awards, so one is worth £0.00.

    Each unit carries 0.9p of the pot; every member must deliver its unit (the units fill the
    capacities exactly), so every member has an award, nine of 1p and one of £0.00.
    """
    problem = Problem.model_validate(penny_units(10, 10))
    allocation = solve(problem, method=method)
    assert allocation.status is Status.OPTIMAL
    assert_valid_allocation(problem, allocation, require_ok=True)
    top_slice = pence(allocation.contracts[0].top_slice)
    assert top_slice == 1
    assert len(allocation.awards) == 10
    assert all(a.units == 1 for a in allocation.awards)
    money = sorted(pence(a.amount) for a in allocation.awards)
    assert sum(money) == 10 - top_slice
    assert money == [0] + [1] * 9
    frame = allocation.to_frame()
    assert len(frame) == 10 and frame["units"].sum() == 10


def test_penny_units_under_a_share_cap_keep_their_awards():
    """Twenty members, twenty 1p units, a 10% share cap: every unit-holder is listed."""
    problem = Problem.model_validate(penny_units(20, 20, {"max_member_share": "0.1"}))
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL
    assert_valid_allocation(problem, allocation, require_ok=True)
    assert sum(a.units or 0 for a in allocation.awards) == 20
    assert len(allocation.awards) == 20


def test_a_unit_price_below_a_penny_is_refused():
    """Money has two decimal places: 0.5p is no price the model takes."""
    data = penny_units(2, 2)
    data["contracts"][0]["lots"][0]["unit_price"] = "0.005"
    with pytest.raises(ProblemError, match="two decimal places"):
        Problem.model_validate(data)


# -- retries ---------------------------------------------------------------------------------


class FlakySolver:
    """Stands in for the engine's solver: makes the attempts it is told to fail.

    ``fails(options)`` says whether an attempt with these options fails; a failing attempt still
    solves (so that nothing stale is read), and only its status is replaced, by ``verdict``.
    """

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        fails: Any,
        verdict: tuple[Status, str] = (Status.INFEASIBLE, "Infeasible"),
    ) -> None:
        self.calls: list[dict[str, Any]] = []
        real_solver, real_status = engine._solver, engine._status_of
        pending: list[bool] = []

        def solver(time_limit: float | None, options: dict[str, Any] | None) -> Any:
            self.calls.append(dict(options or {}))
            pending.append(bool(fails(options or {})))
            return real_solver(time_limit, options)

        def status_of(stats: Any) -> tuple[Status, str]:
            if pending.pop():
                return verdict
            return real_status(stats)

        monkeypatch.setattr(engine, "_solver", solver)
        monkeypatch.setattr(engine, "_status_of", status_of)


def presolve_on(options: dict[str, Any]) -> bool:
    return options.get("presolve") != "off"


def side_constrained() -> Problem:
    return consortium(
        members=12, lots=3, seed=4, side_constraints=["max_member_share", "small_org_share"]
    )


def test_a_stage_presolve_calls_infeasible_is_solved_with_presolve_off(monkeypatch):
    problem = side_constrained()
    reference = solve(problem, solver_options={"presolve": "off"})
    spec, _ = lp_spec(plan(problem))
    flaky = FlakySolver(monkeypatch, presolve_on)
    res = engine.solve_leximin(spec)
    assert res.status is Status.OPTIMAL
    # stage 1 is built and solved through PuLP, and retried; the later stages re-solve the
    # solver's own model from the last basis, which runs no presolve
    assert res.retries == ["stage 1: Infeasible; Optimal with presolve off"]
    assert flaky.calls[:2] == [{}, {"presolve": "off"}]
    # solved afresh, stage by stage (the reference filling), every stage is retried
    cold = engine.solve_leximin(spec, warm=False)
    assert cold.status is Status.OPTIMAL
    assert cold.retries == [
        f"stage {n}: Infeasible; Optimal with presolve off" for n in range(1, cold.stages + 1)
    ]
    # the whole pipeline: the same answer as solving without presolve, and the retries told
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL
    assert awards(allocation) == awards(reference)
    assert_valid_allocation(problem, allocation, require_ok=True)


def test_when_presolve_off_fails_too_the_interior_point_method_is_tried(monkeypatch):
    problem = side_constrained()
    reference = solve(problem, solver_options={"presolve": "off"})
    spec, _ = lp_spec(plan(problem))
    flaky = FlakySolver(monkeypatch, lambda o: o.get("solver") != "ipm")
    res = engine.solve_by_components(spec)
    assert res.status is Status.OPTIMAL
    assert res.retries
    assert all(
        r.endswith(
            "Infeasible; Infeasible with presolve off; Optimal with interior point, presolve off"
        )
        for r in res.retries
    )
    assert "solves retried" in res.message
    assert {"presolve": "off", "solver": "ipm"} in flaky.calls
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL
    assert_valid_allocation(problem, allocation, require_ok=True)
    got, want = awards(allocation), awards(reference)
    assert got.keys() == want.keys()
    assert all(abs(got[k] - want[k]) <= 1 for k in got)


def test_a_failure_every_retry_confirms_is_reported_with_the_retries(monkeypatch):
    problem = side_constrained()
    spec, _ = lp_spec(plan(problem))
    FlakySolver(monkeypatch, lambda o: True)
    res = engine.solve_leximin(spec)
    assert res.status is Status.INFEASIBLE
    assert res.stages == 1
    assert res.retries == [
        "stage 1: Infeasible; Infeasible with presolve off; "
        "Infeasible with interior point, presolve off"
    ]
    assert "presolve off" in res.message


def test_an_infeasibility_is_not_lost_to_a_later_attempts_error(monkeypatch):
    """Two members may each take 30% of two 1p lots: nothing can be allocated.

    Presolve and plain simplex agree it is infeasible; the interior point method then fails
    (made to here; HiGHS has answered ``Undefined`` on this very problem).  The verdict stays
    ``infeasible``, so the diagnosis runs, instead of a solver error.
    """
    problem = Problem.model_validate(
        {
            "members": [org("m0"), org("m1")],
            "contracts": [
                {"id": "c", "value": "0.02", "lots": [lot("l0", "0.01"), lot("l1", "0.01")]}
            ],
            "capacities": [
                {"member": m, "lot": lot_id, "amount": "0.01"}
                for m in ("m0", "m1")
                for lot_id in ("l0", "l1")
            ],
            "policy": {"rule": "talmud", "max_member_share": "0.3"},
        }
    )
    FlakySolver(monkeypatch, lambda o: o.get("solver") == "ipm", (Status.SOLVER_ERROR, "Undefined"))
    spec, _ = lp_spec(plan(problem))
    res = engine.solve_leximin(spec)
    assert res.status is Status.INFEASIBLE
    assert res.retries == [
        "stage 1: Infeasible; Infeasible with presolve off; "
        "Undefined with interior point, presolve off"
    ]
    allocation = solve(problem)
    assert allocation.status is Status.INFEASIBLE
    assert allocation.diagnosis is not None and allocation.diagnosis.relaxations
    assert_valid_allocation(problem, allocation)


def test_the_callers_presolve_off_is_not_tried_twice(monkeypatch):
    spec, _ = lp_spec(plan(side_constrained()))
    flaky = FlakySolver(monkeypatch, lambda o: o.get("solver") != "ipm")
    res = engine.solve_leximin(spec, solver_options={"presolve": "off"}, max_stages=1)
    assert res.status is Status.OPTIMAL
    assert flaky.calls == [{"presolve": "off"}, {"presolve": "off", "solver": "ipm"}]
    assert res.retries == ["stage 1: Infeasible; Optimal with interior point, presolve off"]


def test_no_retry_is_made_once_the_time_is_up(monkeypatch):
    """A clock that jumps past the deadline during the first solve: the failure stands."""
    spec, _ = lp_spec(plan(side_constrained()))
    flaky = FlakySolver(monkeypatch, lambda o: True)

    class Clock:
        now = 0.0

        @classmethod
        def perf_counter(cls) -> float:
            cls.now += 10.0  # every reading is ten seconds later
            return cls.now

    monkeypatch.setattr(engine, "time", Clock)
    res = engine.solve_leximin(spec, time_limit=25.0)
    assert res.status is Status.INFEASIBLE
    assert len(flaky.calls) == 1
    assert res.retries == ["stage 1: Infeasible; no time left to retry"]


def test_the_elastic_programme_is_retried(monkeypatch):
    """Three members capped at 20% each of a £100 lot, one of them able to take only £1.

    At most £20 + £20 + £1 can be placed: £59 must give, and relaxing the share caps costs less
    than leaving money unplaced, so the least relaxation is £59 (and the rounding margins).
    """
    problem = Problem.model_validate(three_members(10_000, 100, {"max_member_share": "0.2"}))
    p = plan(problem)
    spec, _ = lp_spec(p)
    values = [lot.value for lot in p.lots]
    reference = engine.solve_elastic(spec, values)
    assert reference.status is Status.OPTIMAL and reference.retries == []
    FlakySolver(monkeypatch, presolve_on)
    res = engine.solve_elastic(spec, values)
    assert res.status is Status.OPTIMAL
    assert res.retries == ["Infeasible; Optimal with presolve off"]
    assert res.total == pytest.approx(reference.total)
    least = 10_000 - 2 * 2_000 - 100
    assert least <= res.total <= least + 10


def test_the_sub_contract_choice_is_retried(monkeypatch):
    """The minimum award against a dependency cap: the choice of sub-contracts is a MILP.

    Fair shares are £300 each (at least the £250 minimum), but ``b`` may take only £200 in all
    (half its £400 income): its sub-contract cannot be made, and ``a`` and ``c`` share the £900
    pot.  Every solve fails with presolve on; without the retry the choice would find nothing
    and the problem would be reported infeasible.
    """
    members = [org("a", "100000.00"), org("b", "400.00"), org("c", "100000.00")]
    problem = Problem.model_validate(
        {
            "members": members,
            "contracts": [{"id": "c1", "value": "1000.00", "lots": [lot("l1", "1000.00")]}],
            "capacities": [{"member": m["id"], "lot": "l1", "amount": "900.00"} for m in members],
            "policy": {"min_award": "250", "max_dependency": "0.5"},
        }
    )
    flaky = FlakySolver(monkeypatch, presolve_on)
    allocation = solve(problem, price_constraints=False)
    assert allocation.status is Status.OPTIMAL
    assert_valid_allocation(problem, allocation, require_ok=True)
    assert awards(allocation) == {("a", "l1"): 45_000, ("c", "l1"): 45_000}
    assert {"presolve": "off"} in flaky.calls


# -- a stage HiGHS's presolve calls infeasible, found in the wild ------------------------------


def test_a_feasible_stage_presolve_calls_infeasible_still_solves():
    """A synthetic consortium on which HiGHS's presolve called stage 11 infeasible.

    Every stage is feasible by construction (the previous stage's answer satisfies it); the
    retry with presolve off solves it, and the answer is the one found without presolve at all.
    """
    problem = consortium(
        members=30,
        lots=6,
        seed=30,
        side_constraints=[
            "max_dependency",
            "case_mix_tolerance",
            "max_member_share",
            "small_org_share",
            "pooled_capacities",
        ],
    )
    spec, _ = lp_spec(plan(problem))
    res = engine.solve_by_components(spec)
    assert res.status is Status.OPTIMAL, res.message
    allocation = solve(problem, price_constraints=False)
    assert allocation.status is Status.OPTIMAL
    assert_valid_allocation(problem, allocation, require_ok=True)
    reference = solve(problem, solver_options={"presolve": "off"}, price_constraints=False)
    # the same leximin optimum: each award within the rounding's quantum (a penny, or one unit
    # on a unit-priced lot, which the two solvers' floats may tip either way)
    quantum = {
        lot.id: 1 if lot.unit_price is None else pence(lot.unit_price)
        for c in problem.contracts
        for lot in c.lots
    }
    got, want = awards(allocation), awards(reference)
    for key in sorted(set(got) | set(want)):
        assert abs(got.get(key, 0) - want.get(key, 0)) <= quantum[key[1]], key
