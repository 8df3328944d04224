"""The classical properties of every rule, exactly as the literature assigns them.

Which rule has which property is :data:`allocate.testing.RULE_PROPERTIES` (Thomson 2003): every
rule is tested for each property it has, and only for those.  Problems have no side-constraint
and no pooled capacity (side-constraints can legitimately break monotonicity; see
``test_side_constraint_properties.py``), but they have everything else: several contracts and
lots, unit-priced lots, ineligible members, every top-slice method.

Tolerances (documented in :mod:`allocate.testing.invariants`): one quantum — a penny, or a unit
on unit-priced lots — for every comparison of awards across members or across solves, because
each award is its exact share rounded by largest remainder; ``1 + ⌈|ε|⌉`` quanta for consistency,
ε being the sub-group's rounding error.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from allocate import Problem, Rule
from allocate.testing import (
    DUAL_RULES,
    RULE_PROPERTIES,
    Property,
    check_anonymity,
    check_claims_monotonicity,
    check_consistency,
    check_duality,
    check_equal_treatment,
    check_order_preservation,
    check_population_monotonicity,
    check_resource_monotonicity,
    copy_member,
    examples,
    is_eligible,
    lot_claims,
    problems,
    with_capacity,
)

SIZE = {"max_members": 5, "max_lots": 3}
#: Each rule × property runs 40% of the profile's examples (60 under ci: 360 a property).
PER_RULE = examples(0.4)


def rules_with(prop: Property) -> list[str]:
    return [rule.value for rule in Rule if prop in RULE_PROPERTIES[rule]]


def claimants(problem: Problem) -> list[tuple[str, str]]:
    """Every (member, lot) pair with an eligible claim, in a stable order."""
    return sorted((m, lot.id) for lot in problem.lots for m in lot_claims(problem, lot.id))


def test_the_table_follows_the_literature():
    # the seven common properties for all six rules; self-duality for proportional and Talmud
    for rule in Rule:
        assert RULE_PROPERTIES[rule] >= set(Property) - {Property.SELF_DUALITY}
    assert rules_with(Property.SELF_DUALITY) == ["proportional", "talmud"]
    assert DUAL_RULES[Rule.CONSTRAINED_EQUAL_AWARDS] is Rule.CONSTRAINED_EQUAL_LOSSES


@pytest.mark.parametrize("rule", rules_with(Property.EQUAL_TREATMENT))
@PER_RULE
@given(data=st.data())
def test_equal_treatment_of_equals(rule, data):
    problem = data.draw(problems(rules=rule, **SIZE))
    member, _ = data.draw(st.sampled_from(claimants(problem)))
    assert check_equal_treatment(problem, member)


@pytest.mark.parametrize("rule", rules_with(Property.ANONYMITY))
@PER_RULE
@given(data=st.data())
def test_anonymity_of_awards(rule, data):
    problem = data.draw(problems(rules=rule, **SIZE))
    n = len(problem.members)
    order = data.draw(st.permutations(range(n)))
    renaming = None
    if data.draw(st.booleans(), label="rename"):
        names = data.draw(st.permutations([f"org-{k}" for k in range(n)]))
        renaming = {m.id: new for m, new in zip(problem.members, names, strict=True)}
    assert check_anonymity(problem, order, renaming, audit=False)


@examples(0.5)
@given(data=st.data())
def test_anonymity_of_the_audit(data):
    # permuting members, or renaming them in the same order, changes nothing in the audit either;
    # equal members (a copy) make ties, where an order-dependent tie-break would show
    problem = data.draw(problems(**SIZE))
    n = len(problem.members)
    order = data.draw(st.permutations(range(n)))
    if data.draw(st.booleans(), label="add an equal member"):
        problem = copy_member(problem, data.draw(st.sampled_from(claimants(problem)))[0])
        n += 1
        order = list(reversed(range(n)))  # the copy and its original swap places
    renaming = {m.id: f"org-{k}" for k, m in enumerate(sorted(problem.members, key=lambda m: m.id))}
    assert check_anonymity(problem, order, renaming if data.draw(st.booleans()) else None)


@pytest.mark.parametrize("rule", rules_with(Property.ORDER_PRESERVATION))
@PER_RULE
@given(data=st.data())
def test_order_preservation(rule, data):
    problem = data.draw(problems(rules=rule, ineligible=False, **SIZE))
    member, lot = data.draw(st.sampled_from(claimants(problem)))
    own = [c.lot for c in problem.capacities if c.member == member and c.lot is not None]
    more = data.draw(st.lists(st.sampled_from(own), min_size=1, unique=True))
    extra = {lot_id: data.draw(st.integers(0, 10**6)) for lot_id in [lot, *more]}
    assert check_order_preservation(problem, member, extra)


@pytest.mark.parametrize("rule", rules_with(Property.RESOURCE_MONOTONICITY))
@PER_RULE
@given(data=st.data())
def test_resource_monotonicity(rule, data):
    problem = data.draw(problems(rules=rule, **SIZE))
    member, lot_id = data.draw(st.sampled_from(claimants(problem)))
    lot = problem.lot_index[lot_id][1]
    increase = data.draw(st.integers(0, 10**7 if lot.unit_price is None else 200))
    # room for the bigger lot: the member's capacity grows first (this base is itself a problem)
    claim = lot_claims(problem, lot_id)[member]
    base = with_capacity(problem, member, lot_id, claim + increase + 2)
    assert check_resource_monotonicity(base, lot_id, increase)


@pytest.mark.parametrize("rule", rules_with(Property.CLAIMS_MONOTONICITY))
@PER_RULE
@given(data=st.data())
def test_claims_monotonicity(rule, data):
    problem = data.draw(problems(rules=rule, **SIZE))
    member, lot_id = data.draw(st.sampled_from(claimants(problem)))
    lot = problem.lot_index[lot_id][1]
    increase = data.draw(st.integers(0, 10**7 if lot.unit_price is None else 200))
    assert check_claims_monotonicity(problem, member, lot_id, increase)


@pytest.mark.parametrize("rule", rules_with(Property.POPULATION_MONOTONICITY))
@PER_RULE
@given(data=st.data())
def test_population_monotonicity(rule, data):
    # robust: every lot stays covered whoever leaves, so the property always applies
    problem = data.draw(problems(rules=rule, robust=True, **SIZE))
    member = data.draw(st.sampled_from([m.id for m in problem.members]))
    assert check_population_monotonicity(problem, member)


@pytest.mark.parametrize("rule", rules_with(Property.CONSISTENCY))
@PER_RULE
@given(data=st.data())
def test_consistency(rule, data):
    problem = data.draw(problems(rules=rule, **SIZE))
    _, lot_id = data.draw(st.sampled_from(claimants(problem)))
    eligible = sorted(m.id for m in problem.members if is_eligible(problem, m.id, lot_id))
    group = data.draw(st.sets(st.sampled_from(eligible), min_size=1))
    # False only when the sub-group received nothing: then there is nothing to re-divide
    event(f"sub-group re-divided: {check_consistency(problem, lot_id, group)}")


@pytest.mark.parametrize("rule", rules_with(Property.SELF_DUALITY))
@PER_RULE
@given(data=st.data())
def test_self_duality(rule, data):
    problem = data.draw(problems(rules=rule, **SIZE))
    event(f"losses to divide: {check_duality(problem)}")


@pytest.mark.parametrize(
    ("rule", "dual"),
    [
        ("constrained_equal_awards", "constrained_equal_losses"),
        ("constrained_equal_losses", "constrained_equal_awards"),
    ],
)
@PER_RULE
@given(data=st.data())
def test_cea_and_cel_are_each_others_duals(rule, dual, data):
    problem = data.draw(problems(rules=rule, **SIZE))
    event(f"losses to divide: {check_duality(problem, dual)}")
