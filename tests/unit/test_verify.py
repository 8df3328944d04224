from decimal import Decimal

from allocate import Problem, solve, verify
from tests.conftest import member, simple_problem


def _solved():
    data = simple_problem({"a": "600", "b": "700"}, value="1000")
    data["members"].append(member("x", qa_passed=False))
    data["capacities"].append({"member": "x", "lot": "l1", "amount": "500"})
    p = Problem.model_validate(data)
    return p, solve(p)


def _failed(p, a):
    return {c.name for c in verify(p, a) if not c.passed}


def test_a_correct_allocation_passes_every_check():
    p, a = _solved()
    assert _failed(p, a) == set()


def test_tampering_is_caught_by_the_named_condition():
    p, a = _solved()
    first = a.awards[0]
    more = a.model_copy(
        update={
            "awards": [
                first.model_copy(update={"amount": first.amount + Decimal("0.50")}),
                *a.awards[1:],
            ]
        }
    )
    assert {"budget_balance", "fair_share"} <= _failed(p, more)

    over = a.model_copy(update={"awards": [first.model_copy(update={"amount": Decimal("900")})]})
    assert "capacity" in _failed(p, over)

    sneaky = a.model_copy(update={"awards": [*a.awards, first.model_copy(update={"member": "x"})]})
    assert "eligibility" in _failed(p, sneaky)

    greedy = a.model_copy(
        update={"contracts": [a.contracts[0].model_copy(update={"top_slice": Decimal("100.01")})]}
    )
    assert {"top_slice_cap", "top_slice_method"} <= _failed(p, greedy)
