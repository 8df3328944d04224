import copy
import random
from decimal import Decimal
from fractions import Fraction

import pytest

from allocate import (
    Allocation,
    InfeasibleError,
    Problem,
    Status,
    solve,
)
from tests.conftest import member, simple_problem


def _random_problem(rng: random.Random, scale: int) -> dict:
    n_members = rng.randint(1, 12)
    n_lots = rng.randint(1, 4)
    members = [member(f"m{i:02d}", themes=["advice"], areas=["Luton"]) for i in range(n_members)]
    lots, caps = [], []
    for j in range(n_lots):
        value = Decimal(rng.randint(100, 10**6) * scale) / 100
        lots.append({"id": f"l{j}", "value": str(value), "theme": "advice", "area": "Luton"})
        chosen = rng.sample(range(n_members), rng.randint(1, n_members))
        amounts = [rng.randint(1, 1000) for _ in chosen]
        total = sum(amounts)
        for i, a in zip(chosen, amounts, strict=True):
            # enough capacity overall, unevenly spread
            cap = (value * a * 2 / total).quantize(Decimal("0.01")) + Decimal("0.01")
            caps.append({"member": f"m{i:02d}", "lot": f"l{j}", "amount": str(cap)})
    value = sum(Decimal(lot["value"]) for lot in lots)
    return {
        "members": members,
        "contracts": [{"id": "c", "value": str(value), "lots": lots}],
        "capacities": caps,
        "top_slice": {"rate": str(Decimal(rng.randint(0, 100)) / 1000)},
    }


@pytest.mark.parametrize("scale", [1, 10**5])  # pence-sized up to £10bn-sized lots
def test_lp_and_closed_form_agree_to_the_penny(scale):
    rng = random.Random(scale)
    for _ in range(15):
        p = Problem.model_validate(_random_problem(rng, scale))
        closed = solve(p, method="closed_form")
        lp = solve(p, method="lp")
        assert closed.status is Status.OPTIMAL and lp.status is Status.OPTIMAL
        assert [(a.member, a.lot, a.amount) for a in closed.awards] == [
            (a.member, a.lot, a.amount) for a in lp.awards
        ]
        assert lp.audit.solver.method == "lp" and lp.audit.solver.worst_ratio == pytest.approx(1)


@pytest.mark.parametrize(
    ("value", "caps"),
    [
        ("500000000", {"a": "300000000", "b": "200000000", "c": "100000000"}),
        ("5000", {"a": "3000", "b": "2000", "c": "1000"}),
        ("0.07", {"a": "0.05", "b": "0.03", "c": "0.01"}),
    ],
)
def test_large_and_small_contracts_split_exactly_in_proportion(value, caps):
    p = Problem.model_validate(simple_problem(caps, value=value))
    a = solve(p)
    pot = Fraction(Decimal(value)) - Fraction(a.contracts[0].top_slice)
    total = sum(Fraction(Decimal(c)) for c in caps.values())
    for award in a.awards:
        exact = pot * Fraction(Decimal(caps[award.member])) / total
        assert abs(Fraction(award.amount) - exact) < Fraction(1, 100)
    assert sum(x.amount for x in a.awards) + a.top_slice == Decimal(value)
    lp = solve(p, method="lp")
    assert [x.amount for x in lp.awards] == [x.amount for x in a.awards]


def test_unit_priced_lot_awards_whole_units_and_exact_money():
    data = simple_problem({"a": "1000", "b": "1000", "c": "1000"}, value="1000")
    data["contracts"][0]["lots"][0].update(unit="client", unit_price="100")
    data["capacities"] = [
        {"member": "a", "lot": "l1", "units": 5},
        {"member": "b", "lot": "l1", "units": 5},
        {"member": "c", "lot": "l1", "amount": "500"},
    ]
    a = solve(Problem.model_validate(data))
    assert a.status.is_ok
    units = {x.member: x.units for x in a.awards}
    assert sum(units.values()) == 10
    assert sum(x.amount for x in a.awards) == Decimal("900.00")
    for x in a.awards:
        assert x.amount == Decimal(x.units) * 90  # £900 pot over 10 units


def test_infeasible_returns_a_diagnosis_and_raises_only_on_request():
    data = simple_problem({"a": "300", "b": "200"}, value="1000")
    data["members"].append(member("q", qa_passed=False))
    data["capacities"].append({"member": "q", "lot": "l1", "amount": "800"})
    a = solve(Problem.model_validate(data))
    assert a.status is Status.INFEASIBLE and not a.status.is_ok
    assert a.awards == []
    lot = a.diagnosis.lots[0]
    assert (lot.lot, lot.needed, lot.available, lot.shortfall) == (
        "l1",
        Decimal("900.00"),
        Decimal("500.00"),
        Decimal("400.00"),
    )
    assert lot.excluded[0].member == "q" and lot.excluded[0].capacity == Decimal("800.00")
    assert "quality assurance" in a.diagnosis.messages[0]
    with pytest.raises(InfeasibleError) as info:
        a.raise_for_status()
    assert info.value.allocation is a


def test_raise_for_status_is_chainable_when_ok():
    a = solve(Problem.model_validate(simple_problem({"a": "2000"})))
    assert a.raise_for_status() is a


def test_solve_never_mutates_its_input():
    p = Problem.model_validate(simple_problem({"a": "600", "b": "700"}))
    before = p.model_dump_json()
    solve(p)
    solve(p, method="lp")
    assert p.model_dump_json() == before


def test_same_input_gives_byte_identical_json_and_round_trips():
    data = simple_problem({"a": "600", "b": "700", "c": "1.01"})
    one = solve(Problem.model_validate(data)).model_dump_json()
    two = solve(Problem.model_validate(copy.deepcopy(data))).model_dump_json()
    assert one == two
    a = solve(Problem.model_validate(data))
    back = Allocation.model_validate_json(a.model_dump_json())
    assert back == a
    assert a.timings["total"] > 0 and back.timings == {}


def test_unknown_status_reads_as_unknown():
    assert Status("something new") is Status.UNKNOWN
    assert not Status.UNKNOWN.is_ok


def test_audit_explains_every_pair():
    data = simple_problem({"a": "600", "b": "700"}, value="1000")
    data["members"].append(member("c", membership="associate"))
    a = solve(Problem.model_validate(data))
    frame = a.pairs_frame()
    assert len(frame) == 3
    row = frame.set_index("member").loc["c"]
    assert not row["eligible"] and "associate" in row["reasons"]
    assert "associate" in row["explanation"]
    assert set(a.members_frame().index) == {"a", "b", "c"}
    assert a.to_frame()["amount"].sum() == Decimal("900.00")
    assert a.audit.metrics.min_ratio is not None and a.audit.metrics.gini is not None
    assert all(c.passed for c in a.audit.checks)
    assert len(a.audit.fingerprint) == 64 and "pulp" in a.audit.versions


def test_capacity_binds_and_is_reported():
    data = simple_problem({"a": "900", "b": "100"}, value="1000", top_slice={"rate": "0"})
    data["capacities"][1]["amount"] = "100"
    a = solve(Problem.model_validate(data))
    t = a.audit.pairs
    assert t.binding[t.member.index("a")] == "capacity"
    assert t.binding[t.member.index("b")] == "capacity"


def test_solve_rejects_non_problems_and_bad_methods():
    with pytest.raises(TypeError):
        solve({"members": []})  # type: ignore[arg-type]
    p = Problem.model_validate(simple_problem({"a": "2000"}))
    with pytest.raises(ValueError, match="method"):
        solve(p, method="magic")  # type: ignore[arg-type]


def test_markdown_report_names_every_section(demo_data):
    a = solve(Problem.model_validate(demo_data))
    md = a.to_markdown()
    for heading in (
        "## Contracts and the hub's top-slice",
        "## Members",
        "## Every member and lot",
        "## Fairness",
        "## Checks",
        "## Provenance",
    ):
        assert heading in md
    assert "Marston Vale" in md or "marston-green" in md


def test_explain_gives_the_numbers_of_one_pair():
    data = simple_problem({"a": "600", "b": "300"}, value="1000")
    data["members"].append(member("c", qa_passed=False))
    data["capacities"].append({"member": "c", "lot": "l1", "amount": "50"})
    a = solve(Problem.model_validate(data))
    text = a.explain("a", "l1")
    assert "award £600.00" in text and "fair share under the proportional rule £600.00" in text
    assert "quality assurance" in a.explain("c", "l1")
    with pytest.raises(KeyError, match="zz"):
        a.explain("zz", "l1")
