from decimal import Decimal

import pytest

from allocate import Problem, solve, verify
from allocate.checks.verify import CONDITIONS
from allocate.core import families
from allocate.core.families import FAMILIES
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


# -- the side-constraint families come from the registry ---------------------------------------


def test_every_family_is_verified_under_a_documented_condition():
    for family in FAMILIES:
        assert family.check in CONDITIONS, family.name
        if family.check == family.name:  # its own condition, in the registry's words
            assert CONDITIONS[family.name] == family.condition


def test_conditions_list_the_base_ones_then_each_family_in_registry_order():
    own = [f.name for f in FAMILIES if f.check == f.name]
    names = list(CONDITIONS)
    assert names[len(names) - len(own) :] == own
    base = names[: len(names) - len(own)]
    assert base and not set(base) & {f.name for f in FAMILIES}
    assert {f.check for f in FAMILIES if f.check != f.name} <= set(base)


def _case_mix_problem() -> dict:
    """Two members on a service with both client groups; small `a` only on the standard lot."""
    data = simple_problem({"a": "600", "b": "700"}, value="2000")
    data["members"][1]["annual_income"] = "5000000"  # large: outside the small-org bands
    data["contracts"][0]["lots"] = [
        {"id": "l1", "value": "1000", "theme": "advice", "area": "Luton"},
        {"id": "l2", "value": "1000", "theme": "advice", "area": "Luton"},
    ]
    for lot, group in zip(data["contracts"][0]["lots"], ["standard", "hard_to_help"], strict=True):
        lot.update(client_group=group, service="casework")
    data["capacities"].append({"member": "b", "lot": "l2", "amount": "1000"})
    return data


def _policy(**values):
    return lambda data: data.setdefault("policy", {}).update(values)


def _reserves(amount, **values):
    """Every member's reserves set to ``amount`` and the policy values: £1 covers no award."""

    def change(data):
        for m in data["members"]:
            m["reserves"] = amount
        _policy(**values)(data)

    return change


def _add(key, **item):
    return lambda data: data.setdefault(key, []).append(item)


#: How to break each family on _case_mix_problem's plain allocation (keyed by family name: a new
#: family fails the tests below until it has a case here).
_BREAK = {
    families.MIN_AWARD.name: _policy(min_award="10000"),
    families.MAX_MEMBER_SHARE.name: _policy(max_member_share="0.1"),
    families.MAX_DEPENDENCY.name: _policy(max_dependency="0.001"),
    families.SMALL_ORG_SHARE.name: _policy(small_org_share="0.9"),
    families.CASE_MIX.name: _policy(case_mix_tolerance="0"),
    families.MIN_PROVIDERS_PER_AREA.name: _policy(min_providers_per_area=2),
    families.EXCLUSIONS.name: _policy(exclusions=[{"member": "a", "lot": "l1", "reason": "x"}]),
    families.POOLED_CAPACITY.name: _add("capacities", member="a", theme="advice", amount="1"),
    families.CASH_FLOW.name: _reserves("1", max_reserves_share="0.5"),
}


def plain_and_broken(family):
    data = _case_mix_problem()
    plain = Problem.model_validate(data)
    allocation = solve(plain)
    _BREAK[family.name](data)
    broken = Problem.model_validate(data)
    if family is families.MIN_PROVIDERS_PER_AREA:  # every award to b: a, eligible, has none
        awards = [w.model_copy(update={"member": "b"}) for w in allocation.awards]
        allocation = allocation.model_copy(update={"awards": awards})
    return plain, broken, allocation


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_a_broken_family_fails_the_condition_that_checks_it(family):
    plain, broken, allocation = plain_and_broken(family)
    assert _failed(plain, allocation) <= {"budget_balance", "capacity", "fair_share"}
    assert family.check in _failed(broken, allocation)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_a_family_condition_is_reported_only_when_the_family_is_on(family):
    plain, broken, allocation = plain_and_broken(family)
    own = {f.name for f in FAMILIES if f.check == f.name}
    assert not own & {c.name for c in verify(plain, allocation)}
    reported = own & {c.name for c in verify(broken, allocation)}
    assert reported == ({family.check} & own if family.is_on(broken.policy) else set())
