"""The fast leximin engine against the reference progressive filling, on random programmes.

``solve_leximin`` keeps one solver model across the stages and freezes claimants held at their
own bounds as soon as a stage shows it (``warm=True``, the default); ``warm=False`` is the plain
progressive filling, one stage per distinct level, each built and solved afresh.  The leximin
optimum of a convex programme is unique in its levels (award over fair share, claimant by
claimant), so both must give every claimant the same level, whatever the side rows.

The programmes come two ways: from synthetic consortia with a random choice of side-constraints
(the rows ``solve`` builds), and drawn directly — members with pairs on several lots, each with a
dependency-like cap on its total, a case-mix-like band between two of its pairs, floors, and a
ring-fence over some members — so that many claimants are held by rows of their own at levels of
their own.
"""

from __future__ import annotations

import math

from hypothesis import assume, given
from hypothesis import strategies as st

from allocate.analysis.synthetic import ALL_SIDE_CONSTRAINTS, consortium
from allocate.core.outcome import Status
from allocate.pipeline import engine
from allocate.pipeline.formulation import lp_spec
from allocate.pipeline.plan import LeximinResult, LpSpec, SideRow
from allocate.pipeline.planning import plan

#: Level tolerance: the solver keeps rows to 1e-9 of a lot, so a claimant's level is exact to
#: about 1e-9 over its fair share; the comparison allows 1e-7 relative on top.
LEVEL_TOLERANCE = 1e-7


def _claimants(spec: LpSpec) -> list[int]:
    return [
        k for k in range(len(spec.pair_names)) if spec.pair_target[k] > 0 and spec.pair_cap[k] > 0
    ]


def _levels(spec: LpSpec, res: LeximinResult) -> dict[int, float]:
    return {k: res.pair_values[k] / spec.pair_target[k] for k in _claimants(spec)}


def _assert_same_leximin(
    spec: LpSpec, ref: LeximinResult | None = None
) -> tuple[LeximinResult, LeximinResult]:
    fast = engine.solve_by_components(spec)
    if ref is None:
        ref = engine.solve_by_components(spec, warm=False)
    assert fast.status is ref.status
    if ref.status is not Status.OPTIMAL:
        return fast, ref
    got, want = _levels(spec, fast), _levels(spec, ref)
    for k in got:
        slack = LEVEL_TOLERANCE * max(1.0, abs(want[k])) + 2e-9 / spec.pair_target[k]
        assert abs(got[k] - want[k]) <= slack, (spec.pair_names[k], got[k], want[k])
    # and so the sorted level vectors, the leximin's own comparison
    wide = [k for k in got if spec.pair_target[k] >= 1e-2]
    for a, b in zip(sorted(got[k] for k in wide), sorted(want[k] for k in wide), strict=True):
        assert math.isclose(a, b, rel_tol=LEVEL_TOLERANCE, abs_tol=LEVEL_TOLERANCE)
    # every row of the programme holds in the fast answer, to the solver's tolerance
    for row in spec.side_rows:
        lhs = sum(c * fast.pair_values[k] for k, c in row.coefficients.items())
        size = max(1.0, abs(row.rhs), *(abs(c) for c in row.coefficients.values()))
        if row.sense == "<=":
            assert lhs <= row.rhs + 1e-7 * size, row.name
        elif row.sense == ">=":
            assert lhs >= row.rhs - 1e-7 * size, row.name
    for j in range(len(spec.lot_names)):
        total = sum(v for v, lot in zip(fast.pair_values, spec.pair_lot, strict=True) if lot == j)
        assert math.isclose(total + spec.hub_cap[j], 1.0, abs_tol=1e-7)
    return fast, ref


@given(
    seed=st.integers(0, 10_000),
    members=st.integers(8, 40),
    lots=st.integers(2, 6),
    sides=st.sets(st.sampled_from(ALL_SIDE_CONSTRAINTS), min_size=1),
)
def test_fast_engine_matches_the_reference_on_synthetic_consortia(
    seed: int, members: int, lots: int, sides: set[str]
) -> None:
    p = plan(consortium(members, lots, seed=seed, side_constraints=sorted(sides)))
    assume(p.feasible)
    spec, _ = lp_spec(p)
    assume(not any(engine._immovable(row) for row in spec.side_rows))
    _assert_same_leximin(spec)


@st.composite
def own_row_programmes(draw: st.DrawFn) -> LpSpec:
    """Members on several lots, most held by rows of their own, at levels of their own."""
    n_lots = draw(st.integers(1, 4))
    n_members = draw(st.integers(2, 12))
    names: list[str] = []
    lot_of: list[int] = []
    caps: list[float] = []
    targets: list[float] = []
    floors: list[float] = []
    by_member: dict[int, list[int]] = {}
    hub = [draw(st.sampled_from([0.0, 0.05, 0.1])) for _ in range(n_lots)]
    for j in range(n_lots):
        on = draw(st.lists(st.integers(0, n_members - 1), min_size=2, max_size=6, unique=True))
        weights = [draw(st.floats(0.5, 10.0)) for _ in on]
        total = sum(weights)
        for i, w in zip(on, weights, strict=True):
            fair = (1 - hub[j]) * w / total
            k = len(names)
            names.append(f"M{i}:L{j}")
            lot_of.append(j)
            targets.append(fair)
            caps.append(min(1.0, fair * draw(st.floats(1.0, 4.0))))
            floors.append(fair * draw(st.sampled_from([0.0, 0.0, 0.3, 0.8])))
            by_member.setdefault(i, []).append(k)
    rows: list[SideRow] = []
    for i, pairs in sorted(by_member.items()):
        fair = sum(targets[k] for k in pairs)
        if draw(st.booleans()):
            # a cap on the member's total below its fair share: held at a level of its own
            rows.append(
                SideRow(
                    f"dependency:M{i}",
                    "max_dependency",
                    dict.fromkeys(pairs, 1.0),
                    "<=",
                    max(sum(floors[k] for k in pairs), fair * draw(st.floats(0.3, 1.2))),
                )
            )
        if len(pairs) >= 2 and draw(st.booleans()):
            # the first pair's share of the member's work at most a band (case mix)
            share = draw(st.floats(0.3, 0.9))
            coefficients = {k: (1.0 if k == pairs[0] else 0.0) - share for k in pairs}
            rows.append(SideRow(f"case_mix:M{i}", "case_mix", coefficients, "<=", 0.0))
    if draw(st.booleans()):
        small = [k for k in range(len(names)) if int(names[k][1:].split(":")[0]) % 3 == 0]
        if small:
            need = draw(st.floats(0.0, 0.5)) * sum(targets[k] for k in small)
            ring = dict.fromkeys(small, 1.0)
            rows.append(SideRow("ring_fence", "small_org_share", ring, ">=", need))
    return LpSpec(
        lot_names=[f"L{j}" for j in range(n_lots)],
        pair_names=names,
        pair_lot=lot_of,
        pair_cap=caps,
        pair_target=targets,
        hub_cap=hub,
        pair_floor=floors,
        side_rows=rows,
    )


@given(own_row_programmes())
def test_fast_engine_matches_the_reference_when_claimants_hold_their_own_levels(
    spec: LpSpec,
) -> None:
    _assert_same_leximin(spec)
