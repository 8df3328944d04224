"""The sub-contract choice solved through relaxations gives the programme's own optimum.

``choose_subcontracts`` never hands HiGHS the whole programme (a binary and an award per pair,
every row); it solves relaxations and checks their answers.  These tests write the programme out
whole, as it was solved before, solve both to a zero MIP gap, and compare: the same fair share
kept, and a choice that an allocation exists for.  Then each part of the method on a small
programme built to need it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pulp
import pytest

from allocate import Problem
from allocate.pipeline import choice
from allocate.pipeline.plan import LpSpec, SideRow
from allocate.pipeline.planning import plan
from allocate.synthetic import ALL_SIDE_CONSTRAINTS, consortium

EXACT = {"mip_rel_gap": 0.0, "mip_abs_gap": 0.0}
EVERY = list(ALL_SIDE_CONSTRAINTS)

Areas = list[tuple[int, list[list[int]]]]


def inputs(problem: Problem) -> tuple[LpSpec, Areas, list[float]]:
    """What ``solve`` hands the choice: each sub-contract that can reach the minimum a candidate."""
    return choice.candidates(plan(problem))


def whole(
    spec: LpSpec,
    areas: Areas,
    least: list[float],
    made: list[bool] | None = None,
    kept: set[int] | None = None,
) -> float | None:
    """The programme written out whole, solved to a zero gap: its optimum, or None.

    With ``made`` (and ``kept``), the choice fixed: 0.0 when an allocation exists for it.
    """
    n = len(spec.pair_names)
    floors = spec.pair_floor or [0.0] * n
    prob = pulp.LpProblem("whole", pulp.LpMaximize)
    y = [
        prob.add_variable(f"y{k}", lowBound=0, upBound=max(0.0, spec.pair_cap[k])) for k in range(n)
    ]
    binary: dict[int, Any] = {}
    objective: list[tuple[Any, float]] = []
    for k in range(n):
        if floors[k] > 0 and spec.pair_cap[k] > 0:
            if made is None:
                binary[k] = prob.add_variable(f"b{k}", cat=pulp.LpBinary)
                objective.append((binary[k], spec.pair_target[k] + choice.TIE))
                b: Any = binary[k]
                prob.addConstraint(
                    pulp.LpAffineExpression.from_list([(y[k], 1.0), (b, -floors[k])]) >= 0
                )
                prob.addConstraint(
                    pulp.LpAffineExpression.from_list(
                        [(y[k], 1.0), (b, -min(spec.pair_cap[k], 1.0))]
                    )
                    <= 0
                )
            elif made[k]:
                y[k].lowBound = floors[k]
            else:
                y[k].upBound = 0.0
    for j, hub in enumerate(spec.hub_cap):
        terms = [(y[k], 1.0) for k in range(n) if spec.pair_lot[k] == j]
        prob.addConstraint(pulp.LpAffineExpression.from_list(terms) == 1.0 - max(0.0, hub))
    for row in spec.side_rows:
        expr = pulp.LpAffineExpression.from_list([(y[k], c) for k, c in row.coefficients.items()])
        if row.sense == "<=":
            prob.addConstraint(expr <= row.rhs)
        elif row.sense == ">=":
            prob.addConstraint(expr >= row.rhs)
        else:
            prob.addConstraint(expr == row.rhs)
    for a, (need, members) in enumerate(areas):
        if made is not None:
            for p in members:
                for k in p:
                    if k in (kept or set()) and not (floors[k] > 0 and spec.pair_cap[k] > 0):
                        y[k].lowBound = least[k]
            continue
        chosen = []
        for i, p in enumerate(members):
            q = prob.add_variable(f"q{a}_{i}", cat=pulp.LpBinary)
            terms: list[tuple[Any, float]] = [(q, -1.0)]
            for k in p:
                if k not in binary:
                    binary[k] = prob.add_variable(f"p{k}", cat=pulp.LpBinary)
                    prob.addConstraint(
                        pulp.LpAffineExpression.from_list([(y[k], 1.0), (binary[k], -least[k])])
                        >= 0
                    )
                terms.append((binary[k], 1.0))
            prob.addConstraint(pulp.LpAffineExpression.from_list(terms) >= 0)
            chosen.append((q, 1.0))
        prob.addConstraint(pulp.LpAffineExpression.from_list(chosen) >= need)
    prob.setObjective(pulp.LpAffineExpression.from_list(objective))
    stats = prob.solve(
        pulp.HiGHS(msg=False, primal_feasibility_tolerance=1e-9, mip_rel_gap=0.0, mip_abs_gap=0.0)
    )
    if stats.status != pulp.LpSolveStatus.Optimal:
        return None
    if made is not None:
        return 0.0
    return kept_share(spec, [k not in binary or (binary[k].varValue or 0) > 0.5 for k in range(n)])


def kept_share(spec: LpSpec, made: list[bool]) -> float:
    floors = spec.pair_floor or [0.0] * len(made)
    return sum(
        spec.pair_target[k] + choice.TIE
        for k, m in enumerate(made)
        if m and floors[k] > 0 and spec.pair_cap[k] > 0
    )


def providers_kept(areas: Areas, kept: set[int]) -> list[tuple[int, int]]:
    """Per area: how many members it needs and how many the choice keeps there."""
    return [(need, sum(1 for p in members if kept & set(p))) for need, members in areas]


@pytest.fixture
def exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(choice, "MIP_OPTIONS", EXACT)


def check_against_whole(spec: LpSpec, areas: Areas, least: list[float]) -> None:
    best = whole(spec, areas, least)
    got = choice.choose_subcontracts(spec, areas=areas, provider_floor=least)
    if best is None:
        assert got is None
        return
    assert got is not None
    made, kept = got
    assert kept_share(spec, made) == pytest.approx(best, rel=0, abs=1e-9)
    assert whole(spec, areas, least, made, kept) == 0.0  # an allocation exists for the choice
    assert all(n == need for need, n in providers_kept(areas, kept))


@pytest.mark.parametrize(
    ("members", "lots", "seed"),
    [(60, 6, 3), (200, 5, 0), (250, 6, 4), (300, 6, 1), (350, 5, 6), (400, 8, 2), (500, 10, 0)],
)
def test_the_choice_is_the_whole_programmes_optimum(exact, members, lots, seed):
    problem = consortium(members, lots, seed=seed, side_constraints=EVERY)
    check_against_whole(*inputs(problem))


@pytest.mark.parametrize(("members", "lots", "seed"), [(300, 6, 1), (250, 6, 4)])
def test_gains_bounded_by_chords_converge_to_the_optimum(exact, monkeypatch, members, lots, seed):
    # no class gets a share per pair: every gain is bounded by chords added as answers need them
    # (on these two, the first chords alone keep less than the optimum)
    monkeypatch.setattr(choice, "SHARES", 0)
    problem = consortium(members, lots, seed=seed, side_constraints=EVERY)
    check_against_whole(*inputs(problem))


def test_keeping_everything_after_the_last_round_is_the_programme(exact, monkeypatch):
    monkeypatch.setattr(choice, "MAX_ROUNDS", 1)
    problem = consortium(300, 6, seed=1, side_constraints=EVERY)
    spec, areas, least = inputs(problem)
    check_against_whole(spec, areas, least)
    c = choice._Choice(spec, areas, least)
    assert c.run(None)
    assert c.kept_rows.all() and c.kept_areas.all()


# -- each part on a programme built for it --------------------------------------------------


def tiny(
    lot: list[int],
    cap: list[float],
    target: list[float],
    floor: list[float],
    rows: list[SideRow] = (),  # type: ignore[assignment]
    lots: int = 1,
) -> LpSpec:
    return LpSpec(
        lot_names=[f"L{j}" for j in range(lots)],
        pair_names=[f"p{k}" for k in range(len(lot))],
        pair_lot=lot,
        pair_cap=cap,
        pair_target=target,
        hub_cap=[0.0] * lots,
        pair_floor=floor,
        side_rows=rows,
    )


def test_a_pair_no_row_lets_be_made_is_closed_and_one_needing_a_partner_implies_it():
    rows = [
        SideRow("cap", "f", {0: 2.0}, "<=", 0.1),  # p0 at its floor 0.1 breaks it
        SideRow("mix", "f", {1: 1.0, 2: -1.0}, "<=", 0.0),  # p1 needs p2 (a floor) beside it
        SideRow("mix2", "f", {3: 1.0, 4: -1.0}, "<=", 0.0),  # p3 has p4 (no floor) beside it
    ]
    spec = tiny([0] * 5, [1.0] * 5, [0.2] * 5, [0.1, 0.1, 0.1, 0.1, 0.0], rows)
    c = choice._Choice(spec, [], None)
    assert not c.open[0] and c.open[1:].all()
    assert c.implications == [(1, (2,))]


def test_the_spread_splits_a_total_within_floors_and_capacities_by_fair_share():
    lo = np.array([0.1, 0.1, 0.0])
    hi = np.array([0.2, 1.0, 1.0])
    y = choice._spread(0.9, lo, hi, np.array([1.0, 1.0, 2.0]))
    assert y.sum() == pytest.approx(0.9) and (y >= lo).all() and (y <= hi).all()
    assert y[0] == pytest.approx(0.2)  # at its capacity; the others by fair share
    assert y[2] == pytest.approx(2 * y[1])
    assert choice._spread(0.05, lo, hi, np.ones(3)).tolist() == lo.tolist()


def test_a_poor_spread_is_mended_by_the_witness_not_by_keeping_the_row(monkeypatch):
    # p0 (lot 0) may hold no more than p2 (lot 1); in proportion to fair shares p0 gets 0.9 and
    # p2 0.1, but 0.5 each keeps the row: the row need not join the relaxation
    rows = [SideRow("band", "f", {0: 1.0, 2: -1.0}, "<=", 0.0)]
    spec = tiny([0, 0, 1, 1], [1.0] * 4, [0.9, 0.1, 0.1, 0.9], [0.05] * 4, rows, lots=2)
    c = choice._Choice(spec, [], None)
    assert c.implications == [(0, (2,))]
    c.implications = []  # it would name p0 and p2; the spread is what is tested here
    c.named[:] = False
    witnessed: list[tuple[bool, bool]] = []
    real = c.witness

    def witness(lots: set[int], deadline: float | None) -> bool:
        before = bool(c.rows.broken(c.y).any())
        witnessed.append((before, real(lots, deadline)))
        return witnessed[-1][1]

    monkeypatch.setattr(c, "witness", witness)
    assert c.run(None)
    assert witnessed == [(True, True)]  # the spread broke the row; the witness kept it
    assert c.made.all()
    assert not c.kept_rows.any()
    assert not c.rows.broken(c.y).any()


def test_a_class_whose_best_cannot_hold_its_money_gets_a_binary_per_pair(exact):
    # at most 3 of 4 fit (floors 0.3); the best three by fair share hold only 0.9 of the lot,
    # so the third best gives way to the fourth, whose capacity takes the rest
    spec = tiny([0] * 4, [0.3, 0.3, 0.3, 1.0], [0.5, 0.3, 0.15, 0.05], [0.3] * 4)
    c = choice._Choice(spec, [], None)
    assert c.run(None)
    assert c.named.all()
    made, _ = c.answer()
    assert made == [True, True, False, True]
    assert kept_share(spec, made) == pytest.approx(whole(spec, [], []), abs=1e-12)


def test_an_area_short_of_providers_joins_the_relaxation(exact):
    # two lots in one area; the best choice by fair share alone makes only a's sub-contract there,
    # but the area needs two providers
    spec = tiny([0, 0, 1, 1], [1.0, 1.0, 1.0, 1.0], [0.9, 0.1, 0.9, 0.1], [0.0] * 4, lots=2)
    areas: Areas = [(2, [[0, 2], [1, 3]])]
    least = [0.2] * 4
    got = choice.choose_subcontracts(spec, areas=areas, provider_floor=least)
    assert got is not None
    _, kept = got
    assert providers_kept(areas, kept) == [(2, 2)]
    assert whole(spec, areas, least, [True] * 4, kept) == 0.0


def test_no_choice_at_all_is_none():
    # a ring-fence on a pair that cannot be made
    rows = [SideRow("ring", "f", {0: 1.0}, ">=", 0.5), SideRow("cap", "f", {0: 1.0}, "<=", 0.01)]
    spec = tiny([0, 0], [1.0, 1.0], [0.5, 0.5], [0.1, 0.1], rows)
    assert choice.choose_subcontracts(spec) is None


def test_an_area_whose_candidates_no_row_lets_provide_is_none():
    # the area's one candidate is b, and a row forbids b's sub-contract
    rows = [SideRow("cap", "f", {1: 1.0}, "<=", 0.01)]
    spec = tiny([0, 0], [1.0, 1.0], [0.5, 0.5], [0.1, 0.1], rows)
    areas: Areas = [(1, [[1]])]
    c = choice._Choice(spec, areas, [0.1, 0.1])
    assert not c.open[1]
    assert choice.choose_subcontracts(spec, areas=areas, provider_floor=[0.1, 0.1]) is None


def test_pairs_that_need_each_other_alone_share_one_binary(exact):
    # p0 (lot 0) and p2 (lot 1) must be equal: each needs the other; at most one pair per lot
    # fits (floors 0.6), and p1 + p3 beat p0 + p2 together though p0 alone beats p1
    rows = [
        SideRow("up", "f", {0: 1.0, 2: -1.0}, "<=", 0.0),
        SideRow("down", "f", {0: 1.0, 2: -1.0}, ">=", 0.0),
    ]
    spec = tiny([0, 0, 1, 1], [1.0] * 4, [0.5, 0.4, 0.1, 0.45], [0.6] * 4, rows, lots=2)
    c = choice._Choice(spec, [], None)
    assert c.implications == [(0, (2,)), (2, (0,))]
    assert c.twin == {0: 0, 2: 0}
    made, _ = choice.choose_subcontracts(spec) or ([], set())
    assert made == [False, True, False, True]
    assert kept_share(spec, made) == pytest.approx(whole(spec, [], []), abs=1e-12)
