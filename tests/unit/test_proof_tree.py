"""Infeasibility proof trees: problems with no allocation in whole pence or for any choice.

Each problem here has a fractional allocation (so no single Farkas combination can prove it
impossible) but none in whole pence or units, or none for any choice of sub-contracts under a
minimum award.  The oracle is brute force written here: every allocation in whole pence (units)
of a problem small enough to enumerate, against conditions this test writes from the policy.
The tree must verify with :func:`allocate.check_certificate`, and every tampering is refused.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import jsonschema
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from allocate import Allocation, Problem, Status, check_certificate, solve
from allocate.core.certificate import Branch, Certificate, ProofNode
from allocate.core.schema import output_schema
from allocate.pipeline.infeasibility import proof_tree
from allocate.pipeline.planning import plan
from tests.conftest import simple_problem

NO_TOP_SLICE = {"max_rate": "0", "target_rate": "0", "method": "fixed", "rate": "0"}


def _units_problem(units: int = 3, share: str = "0.5") -> Problem:
    """A lot of ``units`` sessions at £100, two members able to take all, each capped by share."""
    data = simple_problem({"m1": "0", "m2": "0"}, value=str(100 * units))
    data["contracts"][0]["lots"][0].update(unit_price="100", unit="session")
    data["capacities"] = [{"member": m, "lot": "l1", "units": units} for m in ("m1", "m2")]
    data["top_slice"] = NO_TOP_SLICE
    data["policy"] = {"max_member_share": share}
    return Problem.model_validate(data)


def _min_award_problem(value: str = "10", least: str = "4", share: str = "0.45") -> Problem:
    """Three members, a lot of £10, awards of 0 or at least £4, each at most 45% of the pot."""
    data = simple_problem({"m1": "6", "m2": "6", "m3": "6"}, value=value)
    data["top_slice"] = NO_TOP_SLICE
    data["policy"] = {"max_member_share": share, "min_award": least}
    return Problem.model_validate(data)


def _whole_units_exist(units: int, share: Fraction) -> bool:
    """Oracle: some u1 + u2 = units with each u·£100 at most the share of the pot (pence)."""
    pot = 100 * 100 * units
    cap = math.floor(share * pot)
    return any(u * 10_000 <= cap and (units - u) * 10_000 <= cap for u in range(units + 1))


def _whole_pence_exist(pot: int, caps: list[int], least: int, share: Fraction) -> bool:
    """Oracle: three awards in whole pence adding up to ``pot``, each 0 or in [least, bound]."""
    bound = [min(c, math.floor(share * pot)) for c in caps]

    def allowed(x: int, b: int) -> bool:
        return x == 0 or least <= x <= b

    for x1 in range(bound[0] + 1):
        if not allowed(x1, bound[0]):
            continue
        for x2 in range(bound[1] + 1):
            x3 = pot - x1 - x2
            if allowed(x2, bound[1]) and 0 <= x3 <= bound[2] and allowed(x3, bound[2]):
                return True
    return False


def _tree(allocation: Allocation) -> list[ProofNode]:
    cert = allocation.certificate
    assert isinstance(cert, Certificate) and cert.kind == "infeasible"
    assert cert.proof is not None and cert.farkas is None
    assert not cert.choice.made and not cert.choice.closed
    return list(cert.proof)


def _with(allocation: Allocation, **changes: Any) -> Allocation:
    cert = allocation.certificate
    assert cert is not None
    return allocation.model_copy(update={"certificate": cert.model_copy(update=changes)})


# -- infeasible only in whole units or pence ----------------------------------------------------


@pytest.mark.parametrize(("units", "share"), [(3, "0.5"), (5, "0.5"), (7, "0.55")])
def test_a_lot_of_odd_units_split_by_half_shares_is_proved_impossible(units, share):
    problem = _units_problem(units, share)
    # half of an odd number of units each is a fractional allocation; whole units: none
    assert not _whole_units_exist(units, Fraction(share))
    allocation = solve(problem)
    assert allocation.status is Status.INFEASIBLE
    nodes = _tree(allocation)
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    assert "whatever sub-contracts are made" in found.proved
    branches = [n.branch for n in nodes if n.branch is not None]
    assert branches and all(b.kind == "integer" for b in branches)
    assert any("checked over" in m for m in allocation.diagnosis.messages)


def test_an_even_lot_is_feasible_and_carries_no_tree():
    problem = _units_problem(4, "0.5")
    assert _whole_units_exist(4, Fraction("0.5"))
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL
    assert allocation.certificate is not None and allocation.certificate.proof is None
    assert proof_tree(plan(problem), time_limit=None) is None


# -- a minimum award that no choice of sub-contracts meets -------------------------------------


@pytest.mark.parametrize(
    ("value", "least", "share"), [("10", "4", "0.45"), ("10", "3.5", "0.4"), ("9", "5", "0.6")]
)
def test_no_choice_of_sub_contracts_meets_the_minimum_award(value, least, share):
    problem = _min_award_problem(value, least, share)
    pot = int(Fraction(value) * 100)
    assert not _whole_pence_exist(pot, [600] * 3, int(Fraction(least) * 100), Fraction(share))
    allocation = solve(problem)
    assert allocation.status is Status.INFEASIBLE
    nodes = _tree(allocation)
    assert any(n.branch is not None and n.branch.kind == "subcontract" for n in nodes)
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures


def test_a_minimum_award_some_choice_meets_is_solved():
    # £10 with awards of 0 or at least £4, each at most 60%: £4 + £6, or £5 + £5
    problem = _min_award_problem("10", "4", "0.6")
    assert _whole_pence_exist(1000, [600] * 3, 400, Fraction("0.6"))
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL
    assert allocation.certificate is not None and allocation.certificate.proof is None


def test_the_tree_survives_a_json_round_trip():
    problem = _min_award_problem()
    allocation = solve(problem)
    again = Allocation.model_validate_json(allocation.model_dump_json())
    assert again.certificate == allocation.certificate
    assert check_certificate(problem, again).ok


# -- tampering ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proved() -> tuple[Problem, Allocation]:
    problem = _min_award_problem()
    return problem, solve(problem)


def _refused(problem: Problem, allocation: Allocation, words: str) -> None:
    found = check_certificate(problem, allocation)
    assert not found.ok
    assert any(words in f for f in found.failures), found.failures


def _split(nodes: list[ProofNode]) -> int:
    return next(n for n, node in enumerate(nodes) if node.branch is not None)


def _leaf(nodes: list[ProofNode]) -> int:
    return next(n for n, node in enumerate(nodes) if node.farkas is not None)


def test_a_removed_case_is_refused(proved):
    problem, allocation = proved
    nodes = _tree(allocation)
    n = _split(nodes)
    nodes[n] = nodes[n].model_copy(update={"children": nodes[n].children[:1]})
    _refused(problem, _with(allocation, proof=nodes), "two cases")


def test_a_split_that_skips_awards_is_refused(proved):
    problem, allocation = proved
    nodes = _tree(allocation)
    n = _split(nodes)
    branch = nodes[n].branch
    assert branch is not None and branch.kind == "subcontract"
    # "0, or at least £4.01" misses an award of exactly the minimum
    wider = Branch.model_validate({**branch.model_dump(), "at": str(int(branch.at) + 1)})
    nodes[n] = nodes[n].model_copy(update={"branch": wider})
    _refused(problem, _with(allocation, proof=nodes), "misses the awards")


def test_a_changed_multiplier_that_no_longer_proves_a_case_is_refused(proved):
    problem, allocation = proved
    nodes = _tree(allocation)
    n = _leaf(nodes)
    farkas = nodes[n].farkas
    assert farkas is not None
    # every side row dropped: the budget alone is met by capacities of £6 each
    weaker = farkas.model_copy(
        update={"multipliers": {k: v for k, v in farkas.multipliers.items() if "budget" in k}}
    )
    nodes[n] = nodes[n].model_copy(update={"farkas": weaker})
    _refused(problem, _with(allocation, proof=nodes), "no contradiction")


def test_a_leaf_without_a_combination_or_an_empty_box_is_refused(proved):
    problem, allocation = proved
    nodes = _tree(allocation)
    n = _leaf(nodes)
    nodes[n] = nodes[n].model_copy(update={"farkas": None})
    _refused(problem, _with(allocation, proof=nodes), "no combination and no empty box")


def test_a_case_reached_twice_or_never_is_refused(proved):
    problem, allocation = proved
    nodes = _tree(allocation)
    n = _split(nodes)
    first = nodes[n].children[0]
    twice = [*nodes]
    twice[n] = nodes[n].model_copy(update={"children": [first, first]})
    _refused(problem, _with(allocation, proof=twice), "reached twice")
    extra = [*nodes, nodes[_leaf(nodes)]]
    _refused(problem, _with(allocation, proof=extra), "not in the tree")


def test_a_tree_stating_a_choice_or_with_a_combination_is_refused(proved):
    problem, allocation = proved
    nodes = _tree(allocation)
    leaf = nodes[_leaf(nodes)].farkas
    _refused(problem, _with(allocation, farkas=leaf), "besides it")
    cert = allocation.certificate
    assert cert is not None
    choice = cert.choice.model_validate({"made": [], "closed": [{"member": "m1", "lot": "l1"}]})
    _refused(problem, _with(allocation, choice=choice), "states one")


def test_a_split_on_no_pair_or_at_no_integer_is_refused(proved):
    problem, allocation = proved
    nodes = _tree(allocation)
    n = _split(nodes)
    branch = nodes[n].branch
    assert branch is not None
    for change, words in (
        ({"member": "nobody"}, "not an eligible pair"),
        ({"at": "1/2"}, "not an integer"),
    ):
        other = Branch.model_validate({**branch.model_dump(), **change})
        bad = [*nodes]
        bad[n] = nodes[n].model_copy(update={"branch": other})
        _refused(problem, _with(allocation, proof=bad), words)


# -- the limits ---------------------------------------------------------------------------------


def test_past_the_node_limit_no_tree_is_issued(monkeypatch):
    import allocate.pipeline.infeasibility as infeasibility

    monkeypatch.setattr(infeasibility, "NODE_LIMIT", 2)  # the root alone: no split fits
    units = _units_problem()
    allocation = solve(units)
    assert allocation.status is Status.INFEASIBLE and allocation.certificate is None
    # under a minimum award, the combination given the rule's choice stands, and says so
    problem = _min_award_problem()
    allocation = solve(problem)
    cert = allocation.certificate
    assert cert is not None and cert.proof is None and (cert.choice.made or cert.choice.closed)
    found = check_certificate(problem, allocation)
    assert found.ok and found.proved.startswith("Given the sub-contract choice")


# -- providers per area ------------------------------------------------------------------------


def _providers_problem(units: int, least: str, need: int, caps: tuple[int, ...]) -> Problem:
    """A lot of ``units`` sessions at £1, a minimum award and providers per area (Luton)."""
    names = [f"m{i}" for i in range(len(caps))]
    data = simple_problem(dict.fromkeys(names, "0"), value=f"{units}.00")
    data["contracts"][0]["lots"][0].update(unit_price="1", unit="session")
    data["capacities"] = [
        {"member": m, "lot": "l1", "units": c} for m, c in zip(names, caps, strict=True)
    ]
    data["top_slice"] = NO_TOP_SLICE
    data["policy"] = {"min_award": least, "min_providers_per_area": need}
    return Problem.model_validate(data)


def _providers_exist(units: int, least: int, need: int, caps: tuple[int, ...]) -> bool:
    """Oracle: whole sessions adding up to ``units``, each 0 or at least ``least`` and within
    capacity, with at least ``min(need, members able to take least)`` members awarded."""
    able = sum(c >= least for c in caps)

    def splits(i: int, left: int) -> Any:
        if i == len(caps) - 1:
            yield (left,)
            return
        for x in range(min(caps[i], left) + 1):
            for rest in splits(i + 1, left - x):
                yield (x, *rest)

    return any(
        all(x == 0 or least <= x <= c for x, c in zip(split, caps, strict=True))
        and sum(x > 0 for x in split) >= min(need, able)
        for split in splits(0, units)
    )


@pytest.mark.parametrize(
    ("units", "least", "need", "caps"),
    [(10, 4, 3, (10, 10, 10)), (9, 4, 3, (9, 9, 9, 2)), (11, 3, 4, (11, 11, 11, 11))],
)
def test_too_few_providers_for_any_choice_is_proved_by_counting(units, least, need, caps):
    assert not _providers_exist(units, least, need, caps)
    problem = _providers_problem(units, str(least), need, caps)
    allocation = solve(problem)
    assert allocation.status is Status.INFEASIBLE
    nodes = _tree(allocation)
    assert any(node.providers == "Luton" for node in nodes)
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    assert "fewer members able to provide" in found.proved


def test_providers_some_choice_meets_are_found():
    caps = (10, 10, 10)
    assert _providers_exist(12, 4, 3, caps)
    allocation = solve(_providers_problem(12, "4", 3, caps))
    assert allocation.status is Status.OPTIMAL
    assert sum(a.units or 0 for a in allocation.awards) == 12
    assert all((a.units or 0) >= 4 for a in allocation.awards) and len(allocation.awards) == 3


def test_a_count_that_does_not_fall_short_is_refused():
    problem = _providers_problem(10, "4", 3, (10, 10, 10))
    allocation = solve(problem)
    nodes = _tree(allocation)
    n = next(n for n, node in enumerate(nodes) if node.providers is not None)
    # the same count claimed at the root, whose boxes leave every member able to provide
    root = nodes[n].model_copy()
    _refused(problem, _with(allocation, proof=[root]), "no contradiction")
    # or in an area of no lot
    elsewhere = nodes[n].model_copy(update={"providers": "Bedford"})
    nodes[n] = elsewhere
    _refused(problem, _with(allocation, proof=nodes), "area of no lot")


@settings(max_examples=60, deadline=None)
@given(
    units=st.integers(2, 12),
    least=st.integers(1, 5),
    need=st.integers(1, 4),
    caps=st.lists(st.integers(1, 12), min_size=2, max_size=4).map(tuple),
)
def test_providers_per_area_agree_with_the_oracle(units, least, need, caps):
    """Solved exactly when whole sessions with enough providers exist; else a checked proof."""
    assume(sum(caps) >= units)
    problem = _providers_problem(units, str(least), need, caps)
    allocation = solve(problem)
    exists = _providers_exist(units, least, need, caps)
    assert allocation.status is (Status.OPTIMAL if exists else Status.INFEASIBLE)
    if not exists:
        found = check_certificate(problem, allocation)
        assert found.ok, found.failures


def test_a_counting_leaf_is_written_and_read_back_under_the_output_schema():
    problem = _providers_problem(10, "4", 3, (10, 10, 10))
    allocation = solve(problem)
    document = json.loads(allocation.model_dump_json())
    leaves = [n for n in document["certificate"]["proof"] if "providers" in n]
    assert leaves and all(n["providers"] == "Luton" for n in leaves)
    # every other node is written as before the field existed
    assert all(
        n.get("providers", "absent") == "absent"
        for n in document["certificate"]["proof"]
        if n not in leaves
    )
    schema = output_schema()
    assert not list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    again = Allocation.model_validate_json(allocation.model_dump_json())
    assert check_certificate(problem, again).ok
