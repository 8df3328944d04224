"""The side-constraint registry is complete, and everything keyed by family agrees with it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocate import Policy, Problem, solve
from allocate.core import families as fam
from allocate.examples import demo_dict
from allocate.pipeline import prices
from allocate.pipeline.constraints import BUILDERS, side_rows
from allocate.pipeline.planning import plan
from allocate.pipeline.solve import exact_measure


def test_names_and_switches_are_unique() -> None:
    names = [f.name for f in fam.FAMILIES]
    switches = [f.switch for f in fam.FAMILIES]
    assert len(set(names)) == len(names) and len(set(switches)) == len(switches)
    for f in fam.FAMILIES:
        assert fam.by_name(f.name) is f and fam.by_switch(f.switch) is f


def test_unknown_names_are_refused_with_the_known_ones() -> None:
    with pytest.raises(KeyError, match="case_mix"):
        fam.by_name("creaming")
    with pytest.raises(KeyError, match="pooled_capacities"):
        fam.by_switch("pools")


def test_every_setting_is_a_policy_field_and_off_switches_it_off() -> None:
    for f in fam.FAMILIES:
        if f.setting is None:
            continue
        assert f.setting in Policy.model_fields, f.name
        default = Policy.model_fields[f.setting].get_default()
        assert default == f.off, f"{f.name}: the default policy must leave it off"
        assert not f.is_on(Policy())


def test_policy_side_constraints_follow_the_registry() -> None:
    on = {f.setting: f.synthetic for f in fam.policy_settings()}
    policy = Policy.model_validate(on)
    assert policy.side_constraints == tuple(on)
    assert Policy().side_constraints == ()


def test_every_row_family_has_exactly_one_builder() -> None:
    rows = {f for f in fam.FAMILIES if f.kind is fam.Kind.ROWS}
    assert set(BUILDERS) == rows
    for family, builder in BUILDERS.items():
        assert builder.family is family


def test_rows_are_named_after_their_family() -> None:
    data = demo_dict()
    data["policy"] = {
        **data.get("policy", {}),
        "max_member_share": "0.3",
        "small_org_share": "0.05",
        "max_dependency": "2",
    }
    p = plan(Problem.model_validate(data))
    rows, info = side_rows(p)
    assert rows, "this policy binds on the demo"
    known = {f.name for f in fam.FAMILIES}
    for row in rows:
        assert row.family in known
        assert row.name.startswith(row.family + ":")
        assert row.name in info


def test_bisection_ranges_run_from_loose_to_tight() -> None:
    for f in fam.FAMILIES:
        if f.bisection is None:
            continue
        assert f.bisection.step > 0
        assert f.bisection.direction in ("up", "down")
    for f in fam.FAMILIES:
        if f.draw is not None:
            low, high = f.draw.values()
            assert low <= high and Decimal(low) * f.draw.step == f.draw.low


def test_prices_switch_each_active_family_off() -> None:
    data = demo_dict()
    data["policy"] = {**data.get("policy", {}), "max_member_share": "0.7", "min_award": "100"}
    problem = Problem.model_validate(data)
    active = prices.active(problem)
    assert [f.name for f in active] == ["min_award", "max_member_share"]
    off = prices.without(problem, active)
    assert off.policy.side_constraints == ()
    allocation = solve(problem)
    assert allocation.status.is_ok
    with_all = exact_measure(problem)
    assert with_all is not None
    found = prices.prices(problem, with_all, exact_measure)
    assert [x.setting for x in found] == ["min_award", "max_member_share"]
    assert allocation.audit.prices == found
    # the exact optimum with every family is the allocation's before its rounding: each award is
    # within a penny of it (a unit's worth on a lot priced per unit), and so is the movement
    quantum = Decimal(0)
    for award in allocation.awards:
        unit_price = problem.lot_index[award.lot][1].unit_price
        quantum += Decimal("0.01") if unit_price is None else unit_price
    gap = abs(found[0].moved_from_rule - allocation.audit.metrics.moved_from_rule)
    assert gap <= quantum
