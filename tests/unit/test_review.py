"""Reviews, reallocation, output trading and history (issue 14), on cases worked by hand."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import highspy
import jsonschema
import numpy as np
import pytest

import allocate
from allocate.core.schema import output_schema
from allocate.review import (
    History,
    Reallocation,
    ReviewInput,
    ReviewStep,
    Trade,
    TradeStep,
    reallocate,
    replay,
    takers,
    trade,
    verify_history,
)


def _member(i: str) -> dict[str, Any]:
    return {
        "id": i,
        "annual_income": "50000",
        "quality_score": 0.8,
        "qa_passed": True,
        "reporting_compliance": 0.9,
        "themes": ["advice"],
        "areas": ["Luton"],
    }


def _problem(caps: dict[str, str], value: str = "1000", **policy: Any) -> allocate.Problem:
    lot: dict[str, Any] = {"id": "l1", "value": value, "theme": "advice", "area": "Luton"}
    return allocate.Problem.model_validate(
        {
            "members": [_member(m) for m in caps],
            "contracts": [{"id": "c1", "value": value, "lots": [lot]}],
            "capacities": [{"member": m, "lot": "l1", "amount": c} for m, c in caps.items()],
            "policy": policy,
        }
    )


CAPS = {"a": "600", "b": "600", "c": "300"}


def _review(**fields: Any) -> ReviewInput:
    return ReviewInput.model_validate({"label": "mid-term", "elapsed": "0.5", **fields})


def _amounts(doc: Any) -> dict[str, Decimal]:
    return {a.member: a.amount for a in doc.awards}


def _balanced(doc: Any, problem: allocate.Problem) -> bool:
    total = sum((a.amount for a in doc.awards), Decimal(0)) + sum(
        (c.top_slice for c in doc.contracts), Decimal(0)
    )
    return total == sum((c.value for c in problem.contracts), Decimal(0))


def test_as_made_then_a_member_half_delivered_by_mid_term_is_cut_to_its_rate() -> None:
    p = _problem(CAPS)
    made = allocate.solve(p)
    # pot £900 shared 600:600:300
    assert _amounts(made) == {
        "a": Decimal("360.00"),
        "b": Decimal("360.00"),
        "c": Decimal("180.00"),
    }
    review = _review(
        deliveries=[
            {"member": "a", "lot": "l1", "amount": "180"},  # on track: half by mid-term
            {"member": "b", "lot": "l1", "amount": "90"},  # a quarter: under-delivering
            {"member": "c", "lot": "l1", "amount": "90"},  # on track
        ],
        outcomes=[{"member": "b", "outcome": "requires_improvement"}],
    )
    after = reallocate(p, made, review)
    assert after.status is allocate.Status.OPTIMAL
    # by hand: remaining £540; capacities left a 420, b min(510, 90 × 0.5/0.5) = 90, c 210;
    # proportional: a 540·420/720 = 315, b 67.50, c 157.50
    rows = {r.member: r for r in after.rows}
    assert rows["a"].remaining_after == Decimal("315.00")
    assert rows["b"].remaining_after == Decimal("67.50")
    assert rows["c"].remaining_after == Decimal("157.50")
    # delivered work never moves; the new award is delivered + remaining
    assert {m: r.delivered for m, r in rows.items()} == {
        "a": Decimal("180.00"),
        "b": Decimal("90.00"),
        "c": Decimal("90.00"),
    }
    assert _amounts(after) == {
        "a": Decimal("495.00"),
        "b": Decimal("157.50"),
        "c": Decimal("247.50"),
    }
    assert _balanced(after, p)
    assert after.moved == Decimal("405.00")  # 135 + 202.50 + 67.50
    assert "requires_improvement" in rows["b"].reason
    assert after.version.number == 2 and after.version.revises == 1
    assert all(c.passed for c in after.checks)
    # members on track are never worse off because b under-delivers
    assert rows["a"].remaining_after >= rows["a"].remaining_before
    assert rows["c"].remaining_after >= rows["c"].remaining_before


def test_a_member_that_left_keeps_what_it_delivered_and_gets_nothing_more() -> None:
    p = _problem(CAPS)
    made = allocate.solve(p)
    review = _review(
        deliveries=[
            {"member": "a", "lot": "l1", "amount": "180"},
            {"member": "b", "lot": "l1", "amount": "180"},
            {"member": "c", "lot": "l1", "amount": "45.55"},
        ],
        left=["c"],
    )
    after = reallocate(p, made, review)
    rows = {r.member: r for r in after.rows}
    assert rows["c"].award == Decimal("45.55") and rows["c"].remaining_after == 0
    # remaining 900 − 405.55 = 494.45 between a and b, equal remaining capacities of 420
    assert rows["a"].remaining_after + rows["b"].remaining_after == Decimal("494.45")
    assert abs(rows["a"].remaining_after - rows["b"].remaining_after) <= Decimal("0.01")
    assert _balanced(after, p)
    assert after.left == ["c"] and "left" in rows["c"].reason


def test_nothing_delivered_and_nothing_changed_returns_the_allocation_as_made() -> None:
    p = _problem(CAPS, max_member_share="0.45")
    made = allocate.solve(p)
    after = reallocate(p, made, _review(elapsed="0.25"))
    assert after.awards == made.awards
    assert after.moved == 0
    assert all(r.reason.startswith("no change") for r in after.rows)


def test_a_unit_priced_lot_is_reallocated_in_whole_units() -> None:
    data = json.loads(_problem({"a": "0", "b": "0"}).model_dump_json())
    data["contracts"][0]["lots"][0].update(unit="client", unit_price="50")
    data["capacities"] = [
        {"member": "a", "lot": "l1", "units": 15},
        {"member": "b", "lot": "l1", "units": 15},
    ]
    p = allocate.Problem.model_validate(data)
    made = allocate.solve(p)  # 20 clients at £45 a client to members (10% top-slice)
    assert {a.member: a.units for a in made.awards} == {"a": 10, "b": 10}
    after = reallocate(
        p,
        made,
        _review(
            deliveries=[
                {"member": "a", "lot": "l1", "units": 5},
                {"member": "b", "lot": "l1", "units": 1},
            ],
            outcomes=[{"member": "b", "outcome": "inadequate"}],
        ),
    )
    # 14 units remain; b takes no new work; a can take 15 − 5 = 10 more: 4 units short
    assert after.status is allocate.Status.INFEASIBLE
    assert after.awards == made.awards  # the version reviewed stands
    after = reallocate(
        p,
        made,
        _review(
            deliveries=[
                {"member": "a", "lot": "l1", "units": 5},
                {"member": "b", "lot": "l1", "units": 4},
            ],
            outcomes=[{"member": "b", "outcome": "requires_improvement"}],
        ),
    )
    # 11 units remain; capacities left a 10, b min(11, its rate: 4 in half the term) = 4;
    # proportional 11·10/14 = 7.86 and 3.14 units: 8 and 3 by largest remainder
    units = {r.member: r.units_after for r in after.rows}
    assert units == {"a": 13, "b": 7}
    assert {a.member: a.amount for a in after.awards} == {
        "a": Decimal("585.00"),
        "b": Decimal("315.00"),
    }
    assert _balanced(after, p)


def test_review_input_errors_name_the_award_and_the_value() -> None:
    p = _problem(CAPS)
    made = allocate.solve(p)
    bad = _review(
        deliveries=[
            {"member": "a", "lot": "l1", "amount": "360.01"},
            {"member": "zz", "lot": "l1", "amount": "1"},
            {"member": "b", "lot": "nope", "amount": "1"},
        ]
    )
    with pytest.raises(allocate.ProblemError) as info:
        reallocate(p, made, bad)
    text = str(info.value)
    assert "a/l1" in text and "360.01" in text and "above the award" in text
    assert "zz/l1" in text and "award that does not exist" in text
    assert "b/nope" in text and "unknown lot" in text


def test_a_trade_that_breaks_a_share_cap_is_refused_with_the_condition() -> None:
    p = _problem(CAPS, max_member_share="0.45")  # at most £405 of the £900 pot each
    made = allocate.solve(p)
    refused = trade(p, made, Trade(lot="l1", seller="c", buyer="a", amount="50"))
    assert not refused.approved and refused.refused_by == ["max_member_share"]
    assert "410.00 > 0.45 × 900.00" in refused.reasons[0]
    assert refused.awards == made.awards and refused.version is None


def test_a_trade_that_is_fine_is_applied_as_a_new_version() -> None:
    p = _problem(CAPS, max_member_share="0.45")
    made = allocate.solve(p)
    ok = trade(p, made, Trade(lot="l1", seller="a", buyer="c", amount="120"))
    assert ok.approved and ok.version is not None and ok.version.number == 2
    assert _amounts(ok) == {"a": Decimal("240.00"), "b": Decimal("360.00"), "c": Decimal("300.00")}
    assert _balanced(ok, p)
    # c's capacity is £300: one more penny is refused
    more = trade(p, ok, Trade(lot="l1", seller="a", buyer="c", amount="0.01"))
    assert more.refused_by == ["capacity"]


def test_only_undelivered_outputs_can_be_traded() -> None:
    p = _problem(CAPS)
    made = allocate.solve(p)
    t = Trade.model_validate(
        {
            "lot": "l1",
            "seller": "c",
            "buyer": "a",
            "amount": "100",
            "deliveries": [{"member": "c", "lot": "l1", "amount": "90"}],
        }
    )
    refused = trade(p, made, t)
    assert refused.refused_by == ["undelivered"] and "£90.00" in refused.reasons[0]


def test_takers_name_the_most_each_member_could_take_and_why_not_more() -> None:
    p = _problem({**CAPS, "d": "50"}, max_member_share="0.45")
    made = allocate.solve(p)
    found = {t.member: t for t in takers(p, made, "c", "l1")}
    for member, t in found.items():
        # the answer is approved, and one penny more is not (unless it is everything c has)
        assert trade(p, made, Trade(lot="l1", seller="c", buyer=member, amount=t.amount)).approved
        more = t.amount + Decimal("0.01")
        if more <= made.award("c", "l1"):
            assert not trade(
                p, made, Trade(lot="l1", seller="c", buyer=member, amount=more)
            ).approved
    d_award = made.award("d", "l1")
    assert found["d"].amount == Decimal(50) - d_award and found["d"].limited_by == "capacity"


def test_a_history_replays_and_verifies_from_its_inputs_alone() -> None:
    p = _problem(CAPS, max_member_share="0.45")
    history = History(
        problem=p,
        steps=(
            TradeStep(trade=Trade(lot="l1", seller="a", buyer="c", amount="100")),
            TradeStep(trade=Trade(lot="l1", seller="c", buyer="a", amount="500")),  # refused
            ReviewStep(
                review=_review(
                    deliveries=[{"member": "a", "lot": "l1", "amount": "130"}],
                    left=["b"],
                )
            ),
        ),
    )
    documents = replay(history)
    assert [type(d).__name__ for d in documents] == [
        "Allocation",
        "TradeDecision",
        "TradeDecision",
        "Reallocation",
    ]
    last = documents[-1]
    assert isinstance(last, Reallocation)
    assert last.version.number == 3 and last.version.revises == 2  # the refused trade made none
    assert all(c.passed for c in verify_history(history, documents))
    tampered = last.model_copy(update={"awards": list(reversed(last.awards))})
    checks = verify_history(history, [*documents[:-1], tampered])
    assert [c.passed for c in checks] == [True, True, True, False]


def test_the_new_documents_validate_against_the_published_output_schema() -> None:
    validator = jsonschema.Draft202012Validator(output_schema())
    p = _problem(CAPS, max_member_share="0.45")
    made = allocate.solve(p)
    docs = [
        reallocate(p, made, _review(deliveries=[{"member": "a", "lot": "l1", "amount": "10"}])),
        trade(p, made, Trade(lot="l1", seller="c", buyer="a", amount="50")),
        trade(p, made, Trade(lot="l1", seller="a", buyer="c", amount="50")),
    ]
    for doc in docs:
        written = json.loads(doc.model_dump_json())
        assert written["format_version"] == "1.2"
        errors = [e.message for e in validator.iter_errors(written)]
        assert not errors, errors
        assert type(doc).model_validate_json(doc.model_dump_json()) == doc


# -- the least-movement property against an independent LP ----------------------------------


def _lp(
    cost: list[float], a_ub: list[list[float]], b_ub: list[float], bounds: list[tuple[float, float]]
) -> list[float]:
    """min cost·x, A x ≤ b, bounds: straight into HiGHS (no part of the pipeline)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    n = len(cost)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(a_ub)
    lp.col_cost_ = np.array(cost)
    lp.col_lower_ = np.array([b[0] for b in bounds])
    lp.col_upper_ = np.array([b[1] for b in bounds])
    lp.row_lower_ = np.array([-highspy.kHighsInf] * len(a_ub))
    lp.row_upper_ = np.array(b_ub)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    starts, index, value = [0], [], []
    for row in a_ub:
        for j, v in enumerate(row):
            if v:
                index.append(j)
                value.append(v)
        starts.append(len(index))
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, len(a_ub)
    h.passModel(lp)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return list(h.getSolution().col_value)


def _feasible(
    a_ub: list[list[float]], b_ub: list[float], bounds: list[tuple[float, float]]
) -> bool:
    try:
        _lp([0.0] * len(bounds), a_ub, b_ub, bounds)
    except AssertionError:
        return False
    return True


def _oracle(pot: float, caps: list[float], share_cap: float, ref: list[float]) -> list[float]:
    """Leximin of award/fair share on one lot under capacities and a share cap, then the least
    movement from ``ref`` with every level held: progressive filling written from scratch."""
    n = len(caps)
    fair = [pot * c / sum(caps) for c in caps]
    upper = [min(c, share_cap) for c in caps]
    frozen: dict[int, float] = {}

    def rows_at(t: float) -> tuple[list[list[float]], list[float]]:
        # Σx = pot; frozen i at least level·fair; the others at least t·fair
        rows = [[1.0] * n, [-1.0] * n]
        rhs = [pot, -pot]
        for i in range(n):
            r = [0.0] * n
            r[i] = -1.0
            rows.append(r)
            rhs.append(-frozen.get(i, t) * fair[i])
        return rows, rhs

    while len(frozen) < n:
        # the highest common level t of the unfrozen: bisection on feasibility (no objective
        # trick shared with the pipeline), then who cannot rise above it is frozen at it
        lo, hi = 0.0, 10.0
        for _ in range(60):
            mid = (lo + hi) / 2
            rows, rhs = rows_at(mid)
            if _feasible(rows, rhs, [(0.0, u) for u in upper]):
                lo = mid
            else:
                hi = mid
        rows, rhs = rows_at(lo)
        stuck = []
        for i in range(n):
            if i in frozen:
                continue
            cost = [0.0] * n
            cost[i] = -1.0
            x = _lp(cost, rows, rhs, [(0.0, u) for u in upper])
            if x[i] <= lo * fair[i] + 1e-6:
                stuck.append(i)
        for i in stuck or [i for i in range(n) if i not in frozen]:
            frozen[i] = lo
    # least movement: x_i ≥ level_i·fair_i, Σx = pot, minimise Σ d_i, d_i ≥ |x_i − ref_i|
    cost = [0.0] * n + [1.0] * n
    rows, rhs = [[1.0] * n + [0.0] * n, [-1.0] * n + [0.0] * n], [pot, -pot]
    for i in range(n):
        r = [0.0] * (2 * n)
        r[i], r[n + i] = 1.0, -1.0
        rows.append(r)
        rhs.append(ref[i])
        r = [0.0] * (2 * n)
        r[i], r[n + i] = -1.0, -1.0
        rows.append(r)
        rhs.append(-ref[i])
    bounds = [(min(frozen[i] * fair[i], upper[i]) - 1e-7, upper[i]) for i in range(n)]
    return _lp(cost, rows, rhs, bounds + [(0.0, math.inf)] * n)[:n]


@pytest.mark.parametrize(
    ("caps", "delivered", "share", "value"),
    [
        (["600", "600", "300"], ["180", "30", "90"], "0.40", "1000"),
        (["900", "100", "400", "400"], ["0", "50", "100", "10"], "0.35", "1000"),
        (["300", "300"], ["100", "20"], "0.60", "500"),
    ],
)
def test_reallocation_matches_an_independent_leximin_then_least_movement_lp(
    caps: list[str], delivered: list[str], share: str, value: str
) -> None:
    ids = [f"m{k}" for k in range(len(caps))]
    p = _problem(dict(zip(ids, caps, strict=True)), value=value, max_member_share=share)
    made = allocate.solve(p)
    review = _review(
        deliveries=[
            {"member": m, "lot": "l1", "amount": d}
            for m, d in zip(ids, delivered, strict=True)
            if Decimal(d) <= made.award(m, "l1")
        ]
    )
    after = reallocate(p, made, review)
    rows = {r.member: r for r in after.rows}
    pot = float(sum((r.remaining_before for r in rows.values()), Decimal(0)))
    rest_caps = [float(Decimal(c) - rows[m].delivered) for m, c in zip(ids, caps, strict=True)]
    # the share cap applies to what remains: share × the remaining pot, in whole pence
    cap_money = math.floor(Fraction(share) * Fraction(pot).limit_denominator(100) * 100) / 100
    ref = [float(rows[m].remaining_before) for m in ids]
    expected = _oracle(pot, rest_caps, cap_money, ref)
    for m, x in zip(ids, expected, strict=True):
        assert abs(float(rows[m].remaining_after) - x) <= 0.011, (m, rows[m], x)
    assert _balanced(after, p)


def test_least_movement_keeps_hundreds_of_claimants_at_their_fair_share() -> None:
    # 300 members: the second objective once let every claimant's solver slack flow to one
    # member (10p above its fair share, refused by verification); each claimant is now held
    # at its leximin level on both sides
    caps = {f"m{k:03d}": str(300 + (k * 37) % 900) for k in range(300)}
    value = str(sum(int(c) for c in caps.values()) * 3 // 4)
    p = _problem(caps, value=value)
    made = allocate.solve(p)
    deliveries = [
        {
            "member": a.member,
            "lot": a.lot,
            "amount": str((a.amount * (k % 3) / 4).quantize(Decimal("0.01"))),
        }
        for k, a in enumerate(made.awards)
    ]
    review = _review(
        deliveries=deliveries, outcomes=[{"member": "m001", "outcome": "requires_improvement"}]
    )
    after = reallocate(p, made, review)
    assert after.status.is_ok and _balanced(after, p)
    assert all(c.passed for c in after.checks)
