"""Tests of the test kit itself: its strategies draw what they promise, its assertions catch
tampered allocations, its checkers catch rules that break a property, its settings load."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import allocate.testing
from allocate import Allocation, Problem, Rule, SizeBand, Status, TopSliceMethod, solve
from allocate.core import families
from allocate.core.families import FAMILIES, by_switch, policy_settings
from allocate.testing import (
    SIDE_CONSTRAINTS,
    AllocationAssertionError,
    InvariantError,
    allocation_failures,
    assert_audit_consistent,
    assert_budget_balance,
    assert_side_constraints,
    assert_valid_allocation,
    check_anonymity,
    check_claims_monotonicity,
    check_consistency,
    check_determinism,
    check_duality,
    check_equal_treatment,
    check_lp_matches_closed_form,
    check_order_preservation,
    check_population_monotonicity,
    check_resource_monotonicity,
    copy_member,
    exact_shares,
    holds,
    incomes,
    is_eligible,
    lot_claims,
    non_binding_policy,
    problem_dicts,
    problems,
    profile_name,
    remove_member,
    rename_members,
    scores,
)
from tests.conftest import member, simple_problem
from tests.unit.test_verify import plain_and_broken

# -- the public surface ------------------------------------------------------------------------


def test_exported_names_are_exactly_the_curated_api():
    assert sorted(allocate.testing.__all__) == sorted(
        [
            "CONDITIONS",
            "DUAL_RULES",
            "RULE_PROPERTIES",
            "SIDE_CONSTRAINTS",
            "AllocationAssertionError",
            "Failure",
            "InvariantError",
            "Property",
            "allocation_failures",
            "assert_audit_consistent",
            "assert_budget_balance",
            "assert_capacity",
            "assert_eligibility",
            "assert_fair_shares",
            "assert_review_invariants",
            "assert_side_constraints",
            "assert_top_slice",
            "assert_valid_allocation",
            "assert_verified",
            "assert_whole_units",
            "check_anonymity",
            "check_best_bid_wins",
            "check_bid_monotonicity",
            "check_claims_monotonicity",
            "check_consistency",
            "check_determinism",
            "check_duality",
            "check_equal_treatment",
            "check_json_round_trip",
            "check_lp_matches_closed_form",
            "check_nothing_changed_is_as_made",
            "check_on_track_never_worse",
            "check_order_preservation",
            "check_population_monotonicity",
            "check_resource_monotonicity",
            "check_top_slice",
            "copy_member",
            "dual_problem",
            "exact_shares",
            "examples",
            "holds",
            "incomes",
            "is_eligible",
            "load_profile",
            "lot_claims",
            "non_binding_policy",
            "permute_members",
            "problem_dicts",
            "problems",
            "profile_name",
            "register_profiles",
            "remove_member",
            "rename_members",
            "replay_json",
            "review_failures",
            "review_limit_failures",
            "reviews",
            "scores",
            "sub_problem",
            "tender_problem_dicts",
            "tender_problems",
            "top_slice_policies",
            "top_slice_rate",
            "trade_failures",
            "trades",
            "with_bid",
            "with_capacity",
            "with_lot_value",
        ]
    )
    for name in allocate.testing.__all__:
        assert getattr(allocate.testing, name) is not None


def test_importing_without_hypothesis_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m.startswith("allocate.testing")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # what an absent package looks like
    with pytest.raises(ImportError, match=r"allocate\[testing\]"):
        importlib.import_module("allocate.testing")


def test_profiles_follow_the_environment():
    assert profile_name({}) == "allocate-dev"
    assert profile_name({"CI": "true"}) == "allocate-ci"
    assert profile_name({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}) == "dev"
    ci = settings.get_profile("allocate-ci")  # registered by tests/conftest.py's load_profile()
    dev = settings.get_profile("allocate-dev")
    assert ci.derandomize and ci.max_examples > dev.max_examples
    assert ci.deadline is None and dev.deadline is None


def _fresh_python(code: str) -> str:
    """Run ``code`` in a new interpreter (imports are once a process) and return its output."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_kit_leaves_the_users_own_profiles_alone():
    out = _fresh_python(
        """
        from hypothesis import settings
        settings.register_profile("ci", max_examples=1000)
        settings.register_profile("dev", max_examples=3)
        settings.load_profile("ci")
        import allocate.testing  # issue 12: this overwrote 'ci' (60 examples) and 'dev'
        import allocate.testing.settings
        print(settings.get_profile("ci").max_examples, settings.get_profile("dev").max_examples,
              settings.default.max_examples)
        try:
            settings.get_profile("allocate-ci")
        except Exception:
            print("nothing registered")
        """
    )
    assert out.split("\n")[:2] == ["1000 3 1000", "nothing registered"]


def test_load_profile_registers_the_kits_profiles_and_respects_the_users():
    out = _fresh_python(
        """
        from hypothesis import settings
        from allocate.testing import load_profile
        print(load_profile("allocate-ci"), settings.default.max_examples,
              settings.default.derandomize)
        print(load_profile("long"), settings.default.max_examples)  # short for allocate-long
        settings.register_profile("long", max_examples=7)  # the user's own 'long' wins
        print(load_profile("long"), settings.default.max_examples)
        print(load_profile(), settings.default.max_examples)
        """
    )
    assert out.split("\n")[:4] == [
        "allocate-ci 60 True",
        "allocate-long 1000",
        "long 7",
        "allocate-dev 25",
    ]


# -- strategies ---------------------------------------------------------------------------------


@given(data=st.data())
def test_problems_are_valid_and_of_the_requested_size(data):
    low = data.draw(st.integers(1, 4), label="min_members")
    high = data.draw(st.integers(low, 7), label="max_members")
    lots = data.draw(st.integers(1, 5), label="max_lots")
    contracts = data.draw(st.integers(1, 3), label="max_contracts")
    raw = data.draw(
        problem_dicts(min_members=low, max_members=high, max_lots=lots, max_contracts=contracts)
    )
    problem = Problem.model_validate(raw)  # valid by construction: this never raises
    assert low <= len(problem.members) <= high
    assert 1 <= len(problem.lots) <= lots
    assert 1 <= len(problem.contracts) <= min(contracts, len(problem.lots))
    assert Problem.model_validate_json(problem.model_dump_json()) == problem


@given(problems(max_members=5, max_lots=4))
def test_feasible_problems_cover_every_lot(problem):
    for lot in problem.lots:
        need = lot.units if lot.units is not None else int(lot.value * 100)
        assert sum(lot_claims(problem, lot.id).values()) >= need


@given(problems(max_members=5, max_lots=4, robust=True))
def test_robust_problems_stay_covered_when_any_member_leaves(problem):
    for lot in problem.lots:
        need = lot.units if lot.units is not None else int(lot.value * 100)
        claims = lot_claims(problem, lot.id)
        assert len(claims) >= 2
        assert sum(claims.values()) - max(claims.values()) >= need


def test_side_constraints_are_the_registry_switches_in_its_order():
    assert tuple(f.switch for f in FAMILIES) == SIDE_CONSTRAINTS
    assert all(by_switch(name).switch == name for name in SIDE_CONSTRAINTS)


@pytest.mark.parametrize("name", SIDE_CONSTRAINTS)
@given(data=st.data())
def test_requested_side_constraints_are_switched_on(name, data):
    problem = data.draw(problems(side_constraints=[name], max_members=4, max_lots=3))
    family = by_switch(name)
    pooled = any(c.lot is None for c in problem.capacities)
    assert pooled == (family is families.POOLED_CAPACITY)
    assert {f for f in FAMILIES if f.is_on(problem.policy)} == (
        {family} if family.setting is not None else set()
    )


@pytest.mark.parametrize(
    "family", [f for f in FAMILIES if f.draw is not None], ids=lambda f: f.name
)
@given(data=st.data())
def test_side_constraint_values_are_drawn_in_the_registry_range(family, data):
    problem = data.draw(problems(side_constraints=[family.switch], max_members=4, max_lots=3))
    assert family.draw is not None and family.setting is not None
    value = Decimal(getattr(problem.policy, family.setting))
    assert family.draw.low <= value <= family.draw.high
    assert value % family.draw.step == 0


@given(problems(ineligible=False, max_members=5, max_lots=3))
def test_without_ineligibility_every_declared_capacity_is_eligible(problem):
    for cap in problem.capacities:
        assert cap.lot is not None
        lot = problem.lot_index[cap.lot][1]
        positive = cap.units if cap.units is not None else cap.amount
        if lot.unit_price is not None and cap.amount is not None:
            positive = int(cap.amount // lot.unit_price)
        assert is_eligible(problem, cap.member, cap.lot) == bool(positive)


@given(data=st.data())
def test_rules_and_top_slice_methods_are_those_asked_for(data):
    rule = data.draw(st.sampled_from(list(Rule)))
    method = data.draw(st.sampled_from(list(TopSliceMethod)))
    problem = data.draw(problems(rules=[rule], top_slice_methods=[method], max_members=3))
    assert problem.policy.rule is rule
    assert problem.top_slice.method is method


@given(incomes([SizeBand.MICRO, SizeBand.MAJOR]), scores(0.3))
def test_incomes_and_scores_stay_in_their_ranges(income, score):
    assert SizeBand.of(income) in (SizeBand.MICRO, SizeBand.MAJOR)
    assert 0.3 <= score <= 1 and round(score * 20) == score * 20


def test_the_simplest_problem_is_the_shrink_target():
    # the shrinker reaches the smallest problem: one member, one lot (how far it shrinks the
    # value and which rule it settles on depend on the profile's search, so they are not asserted)
    p = find(problems(), lambda p: True)
    assert (len(p.members), len(p.contracts), len(p.lots)) == (1, 1, 1)
    assert isinstance(p.policy.rule, Rule)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_members": 0},
        {"min_members": 3, "max_members": 2},
        {"max_lots": 0},
        {"robust": True, "max_members": 1},
        {"side_constraints": ["no_such_constraint"]},
        {"rules": []},
    ],
)
def test_invalid_arguments_are_rejected(kwargs):
    with pytest.raises((InvalidArgument, ValueError)):
        problems(**kwargs)


def test_a_failing_test_notes_its_problem_as_replayable_json():
    @settings(max_examples=5, database=None, derandomize=True)
    @given(problems(max_members=2))
    def always_fails(problem):
        raise AssertionError("boom")

    with pytest.raises(AssertionError) as info:
        always_fails()
    notes = [n for n in getattr(info.value, "__notes__", []) if "allocate solve" in n]
    assert len(notes) == 1
    text = notes[0].split("\n", 1)[1]
    assert isinstance(Problem.model_validate_json(text), Problem)


# -- assertions catch tampered allocations -----------------------------------------------------


@pytest.fixture
def two() -> tuple[Problem, Allocation]:
    problem = Problem.model_validate(simple_problem({"a": "300", "b": "900"}, value="1000"))
    return problem, solve(problem)


def tampered(allocation: Allocation, **changes: Any) -> Allocation:
    return allocation.model_copy(update=changes)


def award_of(allocation: Allocation, member_id: str) -> int:
    return next(k for k, a in enumerate(allocation.awards) if a.member == member_id)


def move(allocation: Allocation, giver: str, taker: str, amount: str) -> Allocation:
    awards = list(allocation.awards)
    g, t = award_of(allocation, giver), award_of(allocation, taker)
    awards[g] = awards[g].model_copy(update={"amount": awards[g].amount - Decimal(amount)})
    awards[t] = awards[t].model_copy(update={"amount": awards[t].amount + Decimal(amount)})
    return tampered(allocation, awards=awards)


def conditions(problem: Problem, allocation: Allocation) -> set[str]:
    return {f.condition for f in allocation_failures(problem, allocation)}


def test_a_solved_allocation_keeps_every_condition(two, demo_data):
    assert_valid_allocation(*two, require_ok=True)
    demo = Problem.model_validate(demo_data)
    assert_valid_allocation(demo, solve(demo), require_ok=True)


def test_a_penny_too_many_breaks_budget_balance(two):
    problem, allocation = two
    k = award_of(allocation, "a")
    awards = list(allocation.awards)
    awards[k] = awards[k].model_copy(update={"amount": awards[k].amount + Decimal("0.01")})
    with pytest.raises(AllocationAssertionError) as info:
        assert_budget_balance(problem, tampered(allocation, awards=awards))
    assert info.value.conditions == ("budget_balance",)


def test_a_bigger_top_slice_breaks_cap_and_method(two):
    problem, allocation = two
    contract = allocation.contracts[0].model_copy(update={"top_slice": Decimal("150.00")})
    found = conditions(problem, tampered(allocation, contracts=[contract]))
    assert {"top_slice_cap", "top_slice_method", "budget_balance"} <= found


def test_money_moved_between_members_breaks_fair_shares_and_caps(two):
    problem, allocation = two
    # a's fair share is 225.00 of a capacity of 300: 100 more is over its capacity
    moved = move(allocation, "b", "a", "100.00")
    assert {"capacity", "fair_share", "audit"} <= conditions(problem, moved)
    assert "budget_balance" not in conditions(problem, moved)
    # a penny moved breaks only the fair share (and the audit, which no longer agrees)
    assert conditions(problem, move(allocation, "b", "a", "0.01")) == {"fair_share", "audit"}


def test_an_award_to_an_ineligible_member_is_caught():
    data = simple_problem({"a": "1000", "b": "600"}, value="1000")
    data["members"][1]["qa_passed"] = False
    problem = Problem.model_validate(data)
    allocation = solve(problem)
    awards = [*allocation.awards]
    awards.append(awards[0].model_copy(update={"member": "b", "amount": Decimal("0.01")}))
    awards[0] = awards[0].model_copy(update={"amount": awards[0].amount - Decimal("0.01")})
    assert "eligibility" in conditions(problem, tampered(allocation, awards=awards))


def test_negative_zero_and_duplicated_awards_are_caught(two):
    problem, allocation = two
    a, b = allocation.awards
    for awards in (
        [a.model_copy(update={"amount": -a.amount}), b],
        [a, b, b.model_copy(update={"amount": Decimal(0)})],
        [a, b, b],
    ):
        assert "non_negative" in conditions(problem, tampered(allocation, awards=awards))


def test_units_must_be_whole_and_follow_the_money():
    data = simple_problem({"a": "0", "b": "0"}, value="1000")
    data["contracts"][0]["lots"][0].update(unit="client", unit_price="100")
    data["capacities"] = [
        {"member": "a", "lot": "l1", "units": 6},
        {"member": "b", "lot": "l1", "units": 6},
    ]
    problem = Problem.model_validate(data)
    allocation = solve(problem)
    assert_valid_allocation(problem, allocation, require_ok=True)
    first = allocation.awards[0]
    no_units = [first.model_copy(update={"units": None}), *allocation.awards[1:]]
    assert "whole_units" in conditions(problem, tampered(allocation, awards=no_units))
    more = [first.model_copy(update={"units": (first.units or 0) + 1}), *allocation.awards[1:]]
    assert "whole_units" in conditions(problem, tampered(allocation, awards=more))


def test_each_side_constraint_is_checked_against_its_definition(two):
    problem, allocation = two  # a 225.00 and b 675.00 of a pot of 900.00

    def broken(**policy: Any) -> set[str]:
        changed = problem.evolve(policy=problem.policy.model_copy(update=policy))
        return {f.condition for f in allocation_failures(changed, allocation)}

    assert "min_award" in broken(min_award=Decimal("300"))
    assert "min_award" not in broken(min_award=Decimal("225"))
    assert "max_member_share" in broken(max_member_share=Decimal("0.7"))
    assert "max_member_share" not in broken(max_member_share=Decimal("0.75"))
    assert "max_dependency" in broken(max_dependency=Decimal("0.01"))  # income 50,000
    assert "max_dependency" not in broken(max_dependency=Decimal("0.0135"))
    assert "small_org_share" in broken(
        small_org_share=Decimal("0.5"), small_org_bands=(SizeBand.MAJOR,)
    )
    assert "small_org_share" not in broken(small_org_share=Decimal("1"))  # both are small
    assert "min_providers_per_area" not in broken(min_providers_per_area=3)  # 2 eligible


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_a_broken_family_fails_the_condition_that_checks_it(family):
    plain, broken, allocation = plain_and_broken(family)
    assert family.check not in conditions(plain, allocation)
    assert family.check in conditions(broken, allocation)


def test_case_mix_is_checked_with_a_penny_per_lot():
    data = simple_problem({"a": "1000", "b": "1000"}, value="1000")
    lot = data["contracts"][0]["lots"][0]
    hard = {**lot, "id": "l2", "client_group": "hard_to_help"}
    lot["client_group"] = "standard"
    data["contracts"][0].update(value="2000", lots=[lot, hard])
    data["capacities"] += [
        {"member": "a", "lot": "l2", "amount": "1000"},
        {"member": "b", "lot": "l2", "amount": "1000"},
    ]
    data["top_slice"] = {"rate": "0"}
    problem = Problem.model_validate(data)
    allocation = solve(problem)  # everyone half of each lot: R = 1/2 and h = w/2
    strict = problem.evolve(policy={"case_mix_tolerance": "0"})
    assert_side_constraints(strict, allocation)
    # 3p of hard-to-help work moved from a to b (and 3p of standard back): |h − R·w| = 3p, more
    # than the penny per lot (2p here) that rounding may account for
    awards = []
    for x in allocation.awards:
        delta = Decimal("0.03") if x.member == "b" else Decimal("-0.03")
        awards.append(
            x.model_copy(update={"amount": x.amount + (delta if x.lot == "l2" else -delta)})
        )
    assert "case_mix" in conditions(strict, tampered(allocation, awards=awards))


def test_an_inconsistent_audit_is_caught(two):
    problem, allocation = two
    pairs = allocation.audit.pairs.model_copy(
        update={"award": [Decimal(0) for _ in allocation.audit.pairs.award]}
    )
    audit = allocation.audit.model_copy(update={"pairs": pairs, "fingerprint": "0" * 64})
    with pytest.raises(AllocationAssertionError) as info:
        assert_audit_consistent(problem, tampered(allocation, audit=audit))
    message = str(info.value)
    assert "fingerprint" in message and "table award" in message


def test_an_infeasible_answer_must_carry_no_awards_and_a_diagnosis(two):
    problem, allocation = two
    bad = tampered(allocation, status=Status.INFEASIBLE, diagnosis=None)
    assert "status" in conditions(problem, bad)


def test_the_failure_message_ends_with_the_problem_to_replay(two):
    problem, allocation = two
    with pytest.raises(AllocationAssertionError) as info:
        assert_valid_allocation(problem, move(allocation, "b", "a", "0.01"))
    replay = str(info.value).split("`allocate solve problem.json`:\n", 1)[1]
    assert Problem.model_validate_json(replay) == problem


def test_exact_shares_reproduce_the_talmud_table():
    # Aumann and Maschler: claims 100, 200, 300 and estates 100, 200, 300
    table = {100: ["100/3"] * 3, 200: ["50", "75", "75"], 300: ["50", "100", "150"]}
    for estate, expected in table.items():
        data = simple_problem({"a": "100", "b": "200", "c": "300"}, value=str(estate))
        data.update(top_slice={"rate": "0"}, policy={"rule": "talmud"})
        problem = Problem.model_validate(data)
        shares = exact_shares(problem, solve(problem))
        got = [shares[m, "l1"] / 100 for m in "abc"]
        assert got == [Fraction(x) for x in expected]


# -- checkers catch rules that break their property --------------------------------------------


def with_rule(problem: Problem, rule: str) -> Problem:
    return problem.evolve(policy=problem.policy.model_copy(update={"rule": Rule(rule)}))


def switching(choose: Any) -> Any:
    """A solver that picks its rule from the problem: each rule is fine, the switch is not."""

    def solver(problem: Problem, **kw: Any) -> Allocation:
        return solve(with_rule(problem, choose(problem)), **kw)

    return solver


@pytest.fixture
def unequal() -> Problem:
    data = simple_problem({"a": "100", "b": "300"}, value="200")
    data["top_slice"] = {"rate": "0"}
    return Problem.model_validate(data)


def test_copies_and_removals_keep_the_problem_valid(unequal):
    twin = copy_member(unequal, "a", extra={"l1": 5})
    assert [m.id for m in twin.members] == ["a", "b", "a~1"]
    assert remove_member(twin, "a~1") == unequal
    assert rename_members(unequal, {"a": "z"}).capacities[0].member == "z"


def test_equal_treatment_checker_catches_a_solver_that_favours_ids(unequal):
    def favour_copies(problem: Problem, **kw: Any) -> Allocation:
        allocation = solve(problem, **kw)
        a, copy = award_of(allocation, "a"), award_of(allocation, "a~1")
        return move(allocation, allocation.awards[a].member, allocation.awards[copy].member, "1")

    assert check_equal_treatment(unequal, "a")
    with pytest.raises(InvariantError, match="equal_treatment") as info:
        check_equal_treatment(unequal, "a", solve=favour_copies)
    assert "with_copy" in info.value.problems


def test_order_preservation_checker_catches_a_rule_that_reverses_claims(unequal):
    def reverse(problem: Problem, **kw: Any) -> Allocation:
        allocation = solve(problem, **kw)
        return move(allocation, "a~1", "a", "5")

    assert check_order_preservation(unequal, "a", {"l1": 1000})
    with pytest.raises(InvariantError, match="order_preservation"):
        check_order_preservation(unequal, "a", {"l1": 1000}, solve=reverse)


def test_resource_monotonicity_checker_catches_a_rule_switch(unequal):
    # CEL under £205, CEA from there: b (the large claim) falls from 200 to 110 at £210
    def rule(p: Problem) -> str:
        small = p.lots[0].value < 205
        return "constrained_equal_losses" if small else "constrained_equal_awards"

    assert check_resource_monotonicity(unequal, "l1", 1000)
    with pytest.raises(InvariantError, match="resource_monotonicity"):
        check_resource_monotonicity(unequal, "l1", 1000, solve=switching(rule))


def test_claims_monotonicity_checker_catches_a_rule_switch(unequal):
    def rule(p: Problem) -> str:
        total = sum(c.amount or 0 for c in p.capacities)
        return "constrained_equal_losses" if total < 450 else "constrained_equal_awards"

    assert check_claims_monotonicity(unequal, "b", "l1", 10000)
    with pytest.raises(InvariantError, match="claims_monotonicity"):
        check_claims_monotonicity(unequal, "b", "l1", 10000, solve=switching(rule))


def test_population_monotonicity_checker_catches_a_rule_switch():
    data = simple_problem({"a": "100", "b": "300", "c": "300"}, value="200")
    data["top_slice"] = {"rate": "0"}
    problem = Problem.model_validate(data)

    # CEA with three members (a 66.67), CEL with two (a 0): a loses when c leaves
    def rule(p: Problem) -> str:
        return "constrained_equal_awards" if len(p.members) > 2 else "constrained_equal_losses"

    assert check_population_monotonicity(problem, "c")
    with pytest.raises(InvariantError, match="population_monotonicity"):
        check_population_monotonicity(problem, "c", solve=switching(rule))


def test_consistency_checker_catches_a_rule_switch():
    data = simple_problem({"a": "100", "b": "300", "c": "300"}, value="400")
    data["top_slice"] = {"rate": "0"}
    problem = Problem.model_validate(data)

    # CEL among all three (a 0, b 200); CEA when a and b re-divide their 200 (100 each)
    def rule(p: Problem) -> str:
        return "constrained_equal_losses" if len(p.members) > 2 else "constrained_equal_awards"

    assert check_consistency(problem, "l1", ["a", "b"])
    with pytest.raises(InvariantError, match="consistency"):
        check_consistency(problem, "l1", ["a", "b"], solve=switching(rule))


def test_duality_checker_knows_cea_is_not_self_dual(unequal):
    cea = with_rule(unequal, "constrained_equal_awards")
    assert check_duality(cea)  # its dual, CEL
    with pytest.raises(InvariantError, match="self_duality"):
        check_duality(cea, "constrained_equal_awards")
    assert check_duality(with_rule(unequal, "talmud"))
    assert not holds("constrained_equal_awards", "self_duality")


def test_anonymity_checker_catches_an_order_dependent_solver():
    data = simple_problem({"a": "100", "b": "300"}, value="200")
    data["top_slice"] = {"rate": "0"}
    problem = Problem.model_validate(data)

    def rule(p: Problem) -> str:
        return "proportional" if p.members[0].id == "a" else "constrained_equal_awards"

    assert check_anonymity(problem, [1, 0], {"a": "x", "b": "y"})
    with pytest.raises(InvariantError, match="anonymity"):
        check_anonymity(problem, [1, 0], solve=switching(rule))


def test_determinism_checker_catches_a_solver_with_memory(two):
    problem, _ = two
    calls = []

    def forgetful(p: Problem, **kw: Any) -> Allocation:
        calls.append(1)
        return tampered(solve(p, **kw), problem_name=f"run {len(calls)}")

    assert check_determinism(problem)
    with pytest.raises(InvariantError, match="determinism"):
        check_determinism(problem, solve=forgetful)


def test_non_binding_policy_switches_on_every_policy_family(two):
    problem, _ = two
    # the reserves condition needs every member's reserves: declare them (they change nothing)
    data = problem.model_dump(mode="json")
    for m in data["members"]:
        m["reserves"] = "5000"
    problem = Problem.model_validate(data)
    loose = non_binding_policy(problem, solve(problem, method="closed_form"))
    assert {f for f in policy_settings() if f.is_on(loose.policy)} == set(policy_settings())
    assert check_lp_matches_closed_form(problem, non_binding=True)


def test_lp_checker_catches_an_lp_that_is_not_the_closed_form(two):
    problem, _ = two

    def skewed(p: Problem, *, method: str = "auto", **kw: Any) -> Allocation:
        rule = "proportional" if method == "closed_form" else "constrained_equal_awards"
        return solve(with_rule(p, rule), method=method, **kw)

    assert check_lp_matches_closed_form(problem)
    with pytest.raises(InvariantError, match="lp_matches_closed_form"):
        check_lp_matches_closed_form(problem, solve=skewed)


def test_violations_carry_every_problem_as_replayable_json(unequal):
    def rule(p: Problem) -> str:
        return "constrained_equal_losses" if p.lots[0].value < 205 else "constrained_equal_awards"

    with pytest.raises(InvariantError) as info:
        check_resource_monotonicity(unequal, "l1", 1000, solve=switching(rule))
    message = str(info.value)
    chunks = message.split("--- ")[1:]
    assert [c.split(" ", 1)[0] for c in chunks] == ["original", "bigger"]
    original = chunks[0].split("`):\n", 1)[1]
    assert Problem.model_validate_json(original) == unequal
    assert json.loads(chunks[1].split("`):\n", 1)[1])["contracts"][0]["value"] == "210.00"


def test_members_helper_builds_valid_input():
    # the shared conftest helper and the kit's checks agree on eligibility
    problem = Problem.model_validate(
        simple_problem({"a": "100"}, members=[member("a"), member("b", themes=["health"])])
    )
    assert is_eligible(problem, "a", "l1") and not is_eligible(problem, "b", "l1")
