import json
import math
from collections import Counter, defaultdict
from decimal import Decimal

import numpy as np
import pytest

from allocate import Problem, SizeBand, solve
from allocate.core import families
from allocate.pipeline.eligibility import assess
from allocate.synthetic import (
    ALL_SIDE_CONSTRAINTS,
    NCVO_BANDS,
    SIDE_CONSTRAINT_DEFAULTS,
    VALUE_MEDIAN,
    VALUE_SHARE_OVER_1M,
    consortium,
    consortium_dict,
)

POLICY_NAMES = [f.switch for f in families.policy_settings()]


def _money_capacity(problem: Problem) -> np.ndarray:
    """Eligible capacity per (lot, member) in pounds, from the library's own eligibility."""
    e = assess(problem)
    out = np.zeros(e.capacity.shape)
    for j, lot in enumerate(problem.lots):
        if lot.unit_price is None:
            out[j] = e.capacity[j] / 100
        else:
            out[j] = e.capacity[j] * float(lot.unit_price)
    return np.where(e.eligible, out, 0.0)


# -- determinism and shape ----------------------------------------------------------------------


def test_same_seed_same_problem_different_seed_different_problem():
    a = consortium_dict(80, 6, seed=11, side_constraints=ALL_SIDE_CONSTRAINTS)
    b = consortium_dict(80, 6, seed=11, side_constraints=ALL_SIDE_CONSTRAINTS)
    c = consortium_dict(80, 6, seed=12, side_constraints=ALL_SIDE_CONSTRAINTS)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["members"] != c["members"]
    assert consortium(30, 3, seed=5) == consortium(30, 3, seed=5)


def test_sizes_and_json_round_trip():
    data = consortium_dict(120, 9, contracts=4, seed=2)
    text = json.dumps(data)  # plain JSON-ready data
    problem = Problem.model_validate_json(text)
    assert problem == consortium(120, 9, contracts=4, seed=2)
    assert len(problem.members) == 120
    assert len(problem.contracts) == 4
    assert len(problem.lots) == 9
    assert len({m.id for m in problem.members}) == 120


def test_default_contract_count_and_lot_values_add_up():
    problem = consortium(60, 10, seed=4)
    assert 1 <= len(problem.contracts) <= 10
    for c in problem.contracts:
        assert sum(lot.value for lot in c.lots) == c.value
        assert all(lot.value >= 1000 for lot in c.lots)
        for lot in c.lots:
            if lot.unit_price is not None:
                assert lot.value % lot.unit_price == 0


# -- the sector's distributions -----------------------------------------------------------------


def test_size_bands_match_ncvo_shares_for_a_large_draw():
    problem = consortium(20_000, 1, seed=3, eligibility_density=0.05)
    counts = Counter(m.size_band for m in problem.members)
    for band, share in NCVO_BANDS.items():
        # about four standard errors at n = 20,000
        assert counts[band] / 20_000 == pytest.approx(share, abs=0.015), band


def test_band_weights_skew_the_membership():
    problem = consortium(
        500, 3, seed=1, band_weights={SizeBand.SMALL: 1, "medium": 1, SizeBand.LARGE: 0}
    )
    bands = Counter(m.size_band for m in problem.members)
    assert set(bands) == {SizeBand.SMALL, SizeBand.MEDIUM}
    assert 200 <= bands[SizeBand.SMALL] <= 300


def test_incomes_fall_in_their_bands_and_are_spread_within():
    problem = consortium(3000, 2, seed=8, band_weights={"medium": 1})
    incomes = np.array([float(m.annual_income) for m in problem.members])
    assert incomes.min() >= 100_000
    assert incomes.max() < 1_000_000
    # log-uniform within the band: the log-median is near the middle of the band
    assert math.log10(np.median(incomes)) == pytest.approx(5.5, abs=0.1)


def test_contract_values_have_the_sector_median_and_tail():
    n = 4000
    data = consortium_dict(5, n, contracts=n, seed=9, unit_priced_share=0.0, min_eligible=1)
    values = np.array([float(c["value"]) for c in data["contracts"]])
    # median about 95k (standard error of the log-median is about 4% here)
    assert np.median(values) == pytest.approx(VALUE_MEDIAN, rel=0.12)
    assert (values > 1_000_000).mean() == pytest.approx(VALUE_SHARE_OVER_1M, abs=0.02)
    assert values.min() >= 1000


@pytest.mark.parametrize("density", [0.1, 0.3])
def test_eligibility_density_is_the_share_of_served_pairs(density):
    problem = consortium(4000, 20, seed=6, eligibility_density=density)
    declared = assess(problem).declared
    assert declared.mean() == pytest.approx(density, abs=0.02)


def test_capacity_grows_with_income():
    problem = consortium(3000, 4, seed=2, unit_priced_share=0.0)
    e = assess(problem)
    income = np.array([float(m.annual_income) for m in problem.members])
    j = int(np.argmax(e.declared.sum(axis=1)))
    on = e.declared[j]
    corr = np.corrcoef(np.log(income[on]), np.log(e.capacity[j, on]))[0, 1]
    assert corr > 0.7


def test_members_have_statuses_scores_and_coverage():
    problem = consortium(2000, 5, seed=1, associate_share=0.2, qa_fail_share=0.1)
    members = problem.members
    associates = sum(m.membership.value == "associate" for m in members) / len(members)
    assert associates == pytest.approx(0.2, abs=0.04)
    assert sum(not m.qa_passed for m in members) / len(members) == pytest.approx(0.1, abs=0.03)
    assert all(m.themes and m.areas for m in members)
    assert 0.6 < np.mean([m.quality_score for m in members]) < 0.9


def test_client_group_contracts_pair_standard_and_hard_to_help_lots():
    problem = consortium(200, 40, contracts=10, seed=3)
    services: dict[str, set[str]] = defaultdict(set)
    for lot in problem.lots:
        if lot.client_group is not None:
            assert lot.service is not None
            services[lot.service].add(lot.client_group.value)
    assert services, "some contract is split by client group"
    assert all(groups == {"standard", "hard_to_help"} for groups in services.values())


# -- feasible by construction -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"members": 50, "lots": 5, "seed": 0},
        {"members": 300, "lots": 12, "seed": 1, "eligibility_density": 0.05},
        {"members": 1, "lots": 1, "seed": 2},
        {"members": 7, "lots": 4, "seed": 3, "associate_share": 0.9, "qa_fail_share": 0.5},
        {"members": 40, "lots": 6, "seed": 4, "capacity_slack": 1.0, "unit_priced_share": 1.0},
        {"members": 60, "lots": 3, "seed": 5, "band_weights": {"micro": 1}},
        {"members": 60, "lots": 8, "seed": 6, "band_weights": {"major": 1}, "themes": 1},
    ],
)
def test_generated_problems_are_feasible_and_solve(kwargs):
    problem = consortium(**kwargs)
    allocation = solve(problem)
    assert allocation.status.value == "optimal"
    assert all(check.passed for check in allocation.audit.checks)


@pytest.mark.parametrize("slack", [1.0, 1.5, 3.0])
def test_eligible_capacity_covers_slack_times_each_lot(slack):
    problem = consortium(400, 10, seed=7, capacity_slack=slack)
    capacity = _money_capacity(problem).sum(axis=1)
    values = np.array([float(lot.value) for lot in problem.lots])
    assert (capacity >= slack * values - 1e-6).all()


def test_every_lot_has_min_eligible_members():
    problem = consortium(300, 15, seed=8, eligibility_density=0.01, min_eligible=6)
    assert (assess(problem).eligible.sum(axis=1) >= 6).all()


# -- side-constraints ---------------------------------------------------------------------------


def test_the_defaults_cover_exactly_the_registry_families_in_its_order():
    assert list(SIDE_CONSTRAINT_DEFAULTS) == [f.switch for f in families.FAMILIES]
    assert tuple(SIDE_CONSTRAINT_DEFAULTS) == ALL_SIDE_CONSTRAINTS
    for family in families.FAMILIES:
        assert SIDE_CONSTRAINT_DEFAULTS[family.switch] == family.synthetic


@pytest.mark.parametrize("family", families.FAMILIES, ids=lambda f: f.name)
def test_every_registry_family_can_be_switched_on_by_name(family):
    problem = consortium(150, 6, seed=2, side_constraints=[family.switch])
    if family.setting is not None:
        assert family.is_on(problem.policy)
        assert not family.is_on(consortium(150, 6, seed=2).policy)
    else:  # pooled capacities come with the data
        assert any(c.theme is not None for c in problem.capacities)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_side_constraint_switch_sets_only_its_policy_field(name):
    base = consortium(150, 6, seed=2)
    problem = consortium(150, 6, seed=2, side_constraints=[name])
    assert problem.policy.side_constraints == (name,)
    assert base.policy.side_constraints == ()
    # the consortium itself is unchanged (the reserves condition adds the reserves it needs)
    if name == families.CASH_FLOW.switch:
        assert all(m.reserves is not None for m in problem.members)
        assert [m.model_copy(update={"reserves": None}) for m in problem.members] == list(
            base.members
        )
    else:
        assert problem.members == base.members
    assert problem.contracts == base.contracts
    assert problem.capacities == base.capacities


def test_named_defaults_are_nominal_or_loosened_to_fit():
    problem = consortium(400, 8, seed=1, side_constraints=POLICY_NAMES)
    pol = problem.policy
    assert pol.min_award is not None
    assert pol.min_award <= Decimal(SIDE_CONSTRAINT_DEFAULTS["min_award"])
    smallest_pot = min(lot.value for lot in problem.lots) * Decimal("0.9")
    assert pol.min_award <= smallest_pot / 4
    assert pol.max_member_share is not None
    assert pol.max_member_share >= Decimal(SIDE_CONSTRAINT_DEFAULTS["max_member_share"])
    assert pol.max_dependency is not None
    assert pol.max_dependency >= Decimal(SIDE_CONSTRAINT_DEFAULTS["max_dependency"])
    assert pol.small_org_share is not None
    assert 0 < pol.small_org_share <= Decimal(SIDE_CONSTRAINT_DEFAULTS["small_org_share"])
    assert pol.case_mix_tolerance == Decimal(SIDE_CONSTRAINT_DEFAULTS["case_mix_tolerance"])
    assert pol.min_providers_per_area == SIDE_CONSTRAINT_DEFAULTS["min_providers_per_area"]


def test_given_side_constraint_values_are_used_as_given():
    problem = consortium(
        100, 4, seed=1, side_constraints={"max_member_share": "0.35", "min_award": 5000}
    )
    assert problem.policy.max_member_share == Decimal("0.35")
    assert problem.policy.min_award == Decimal("5000")
    assert problem.policy.side_constraints == ("min_award", "max_member_share")


def test_exclusions_bar_whole_contracts_and_keep_lots_fillable():
    base = consortium(800, 10, seed=3)
    problem = consortium(800, 10, seed=3, side_constraints={"exclusions": 0.05}, capacity_slack=1.5)
    assert problem.members == base.members
    exclusions = problem.policy.exclusions
    assert exclusions
    assert all(x.contract is not None and x.lot is None and x.reason for x in exclusions)
    barred = {
        (x.member, lot.id)
        for x in exclusions
        for c in problem.contracts
        if c.id == x.contract
        for lot in c.lots
    }
    members = [m.id for m in problem.members]
    capacity = _money_capacity(problem)
    for j, lot in enumerate(problem.lots):
        left = sum(capacity[j, i] for i, mid in enumerate(members) if (mid, lot.id) not in barred)
        assert left >= float(lot.value)
    assert solve(problem).status.value == "optimal"


def test_pooled_capacities_add_theme_pools():
    base = consortium(300, 12, seed=4)
    problem = consortium(300, 12, seed=4, side_constraints=["pooled_capacities"])
    pools = [c for c in problem.capacities if c.lot is None]
    assert pools
    assert all(c.theme is not None and c.amount is not None and c.amount > 0 for c in pools)
    assert [c for c in problem.capacities if c.lot is not None] == list(base.capacities)


# -- parameter validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"members": 0}, ValueError, r"members must be at least 1, not 0"),
        ({"members": 2.5}, TypeError, r"members must be an integer, not 2\.5"),
        ({"lots": True}, TypeError, r"lots must be an integer, not True"),
        ({"lots": 3, "contracts": 4}, ValueError, r"contracts must be at most lots \(3\), not 4"),
        ({"seed": -1}, ValueError, r"seed must be a non-negative integer, not -1"),
        ({"eligibility_density": 0}, ValueError, r"eligibility_density must be above 0"),
        ({"eligibility_density": 1.5}, ValueError, r"eligibility_density .* not 1\.5"),
        ({"eligibility_density": float("nan")}, ValueError, r"eligibility_density must be fin"),
        ({"eligibility_density": "0.2"}, TypeError, r"eligibility_density must be a number"),
        ({"band_weights": {"tiny": 1}}, ValueError, r"band_weights has unknown size band 'tiny'"),
        ({"band_weights": {"micro": -1}}, ValueError, r"band_weights\['micro'\] must not be neg"),
        ({"band_weights": {"micro": 0}}, ValueError, r"band_weights must give some band"),
        ({"band_weights": [0.5, 0.5]}, TypeError, r"band_weights must be a mapping"),
        ({"capacity_slack": 0.9}, ValueError, r"capacity_slack must be at least 1, not 0\.9"),
        ({"side_constraints": ["max_share"]}, ValueError, r"unknown name\(s\) \['max_share'\]"),
        ({"side_constraints": [3]}, TypeError, r"side_constraints has a non-string name 3"),
        ({"side_constraints": {"exclusions": 2}}, ValueError, r"side_constraints\['exclusions'\]"),
        ({"themes": []}, ValueError, r"themes must not be empty"),
        ({"areas": ["Dover", "Dover"]}, ValueError, r"areas has duplicate labels"),
        ({"themes": "advice"}, TypeError, r"themes must be a count or a sequence"),
        ({"associate_share": 1.2}, ValueError, r"associate_share must be between 0 and 1"),
        ({"min_eligible": 0}, ValueError, r"min_eligible must be at least 1, not 0"),
        ({"top_slice_rate": 0.2}, ValueError, r"top_slice_rate must be at most 0\.10"),
    ],
)
def test_bad_parameters_are_named_with_their_value(kwargs, error, match):
    with pytest.raises(error, match=match):
        consortium_dict(**kwargs)


def test_a_single_side_constraint_name_may_be_a_string():
    problem = consortium(50, 3, seed=1, side_constraints="case_mix_tolerance")
    assert problem.policy.side_constraints == ("case_mix_tolerance",)


def test_custom_labels_are_used():
    problem = consortium(40, 4, seed=1, themes=["meals"], areas=["Hythe", "Deal"])
    assert {lot.theme for lot in problem.lots} == {"meals"}
    assert {lot.area for lot in problem.lots} <= {"Hythe", "Deal"}
