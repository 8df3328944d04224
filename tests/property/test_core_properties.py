"""First properties of the core: money, caps, eligibility, proportionality, determinism."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from allocate import Problem, Status, solve

THEMES = ["advice", "health"]
AREAS = ["Luton", "Bedford"]


@st.composite
def problems(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 8))
    members = []
    for i in range(n):
        members.append(
            {
                "id": f"m{i}",
                "membership": draw(st.sampled_from(["full", "full", "associate"])),
                "annual_income": str(draw(st.integers(0, 10**8))),
                "quality_score": draw(st.floats(0, 1)),
                "qa_passed": draw(st.booleans()),
                "reporting_compliance": draw(st.floats(0, 1)),
                "themes": draw(st.lists(st.sampled_from(THEMES), unique=True, max_size=2)),
                "areas": draw(st.lists(st.sampled_from(AREAS), unique=True, max_size=2)),
            }
        )
    n_lots = draw(st.integers(1, 3))
    lots, caps = [], []
    for j in range(n_lots):
        pence = draw(st.integers(1, 10**11))
        lots.append(
            {
                "id": f"l{j}",
                "value": str(Decimal(pence) / 100),
                "theme": draw(st.sampled_from(THEMES)),
                "area": draw(st.sampled_from(AREAS)),
            }
        )
        for i in range(n):
            if draw(st.booleans()):
                cap = draw(st.integers(0, 2 * pence))
                caps.append({"member": f"m{i}", "lot": f"l{j}", "amount": str(Decimal(cap) / 100)})
    total = sum(Decimal(lot["value"]) for lot in lots)
    return {
        "members": members,
        "contracts": [{"id": "c", "value": str(total), "lots": lots}],
        "capacities": caps,
        "top_slice": {"rate": str(Decimal(draw(st.integers(0, 100))) / 1000)},
        "policy": {
            "quality_threshold": draw(st.floats(0, 1)),
            "reporting_threshold": draw(st.floats(0, 1)),
        },
    }


def _eligible(p: Problem, member_id: str, lot_id: str) -> bool:
    m = p.member_index[member_id]
    lot = p.lot_index[lot_id][1]
    return (
        m.membership.value == "full"
        and m.qa_passed
        and m.quality_score >= p.policy.quality_threshold
        and m.reporting_compliance >= p.policy.reporting_threshold
        and lot.theme in m.themes
        and lot.area in m.areas
    )


@given(problems())
def test_money_never_goes_missing_and_caps_hold(data):
    p = Problem.model_validate(data)
    a = solve(p)
    caps = {(c.member, c.lot): c.amount for c in p.capacities}
    if a.status is Status.INFEASIBLE:
        assert a.diagnosis is not None and a.diagnosis.lots
        return
    assert a.status is Status.OPTIMAL
    for contract in a.contracts:
        paid = sum((x.amount for x in a.awards if x.contract == contract.id), Decimal(0))
        assert paid + contract.top_slice == contract.value
        assert contract.top_slice <= contract.value * p.top_slice.max_rate
    for x in a.awards:
        assert x.amount > 0
        assert x.amount <= caps[x.member, x.lot]
        assert _eligible(p, x.member, x.lot)


@given(problems())
def test_proportional_equals_water_filling(data):
    p = Problem.model_validate(data)
    a = solve(p)
    if not a.status.is_ok:
        return
    got = {(x.member, x.lot): Fraction(x.amount) for x in a.awards}
    for contract in a.contracts:
        for lot in p.contracts[0].lots:
            pot = Fraction(lot.value) - Fraction(contract.lot_top_slices[lot.id])
            claims = {
                c.member: Fraction(c.amount)
                for c in p.capacities
                if c.lot == lot.id and _eligible(p, c.member, lot.id) and c.amount
            }
            total = sum(claims.values())
            for m, claim in claims.items():
                exact = pot * claim / total  # water-filling with weights = claims: λ ≤ 1
                assert abs(got.get((m, lot.id), Fraction(0)) - exact) < Fraction(1, 100)


@given(problems())
def test_same_input_same_bytes(data):
    p = Problem.model_validate(data)
    assert solve(p).model_dump_json() == solve(Problem.model_validate(data)).model_dump_json()
