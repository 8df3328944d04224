"""Minimal counter-examples the kit's properties found, kept as fixed inputs.

Derandomised CI draws the same examples on every run, and which of them reach an edge case
changes as the library changes; these inputs stay.  Each is checked by the kit, never against a
stored answer: the allocation must keep every condition, and ``require_ok`` only where an
allocation provably exists (the reason is given beside it).
"""

from __future__ import annotations

from typing import Any

import pytest

from allocate import Problem, solve
from allocate.testing import assert_valid_allocation, check_anonymity


def org(id: str, income: str = "0.00", areas: tuple[str, ...] = ("Luton",), **kw: Any) -> dict:
    return {
        "id": id,
        "annual_income": income,
        "quality_score": 0.05,
        "qa_passed": True,
        "reporting_compliance": 0.05,
        "themes": ["advice"],
        "areas": list(areas),
        **kw,
    }


def lot(id: str, value: str, area: str = "Luton", **kw: Any) -> dict:
    return {"id": id, "value": value, "theme": "advice", "area": area, **kw}


NO_TOP_SLICE = {"max_rate": "0", "target_rate": "0"}

CASES: dict[str, tuple[dict[str, Any], bool]] = {
    # no member in the ring-fenced band can receive anything: infeasible, not a wrong answer
    "ring_fence_without_small_members": (
        {
            "members": [org("m0"), org("m1", areas=()), org("m2", areas=())],
            "contracts": [{"id": "c0", "value": "1.00", "lots": [lot("c0-l0", "1.00")]}],
            "capacities": [{"member": "m0", "lot": "c0-l0", "amount": "1.00"}],
            "top_slice": NO_TOP_SLICE,
            "policy": {"small_org_share": "0.01", "small_org_bands": ["major"]},
        },
        False,
    ),
    # a whole-unit standard lot against a hard-to-help lot with a tolerance of 0
    "case_mix_on_a_one_unit_lot": (
        {
            "members": [org("m0"), org("m1")],
            "contracts": [
                {
                    "id": "c0",
                    "value": "2.00",
                    "lots": [
                        lot(
                            "c0-l0",
                            "1.00",
                            unit="client",
                            unit_price="1.00",
                            client_group="standard",
                            service="casework",
                        ),
                        lot("c0-l1", "1.00", client_group="hard_to_help", service="casework"),
                    ],
                }
            ],
            "capacities": [
                {"member": "m0", "lot": "c0-l0", "units": 1},
                {"member": "m1", "lot": "c0-l0", "units": 1},
                {"member": "m0", "lot": "c0-l1", "amount": "0.95"},
                {"member": "m1", "lot": "c0-l1", "amount": "0.05"},
            ],
            "top_slice": NO_TOP_SLICE,
            "policy": {"case_mix_tolerance": "0"},
        },
        False,
    ),
    # the only member takes the whole pot: a share cap of 1 is met exactly
    "share_cap_of_one": (
        {
            "members": [org("a", "50000.00")],
            "contracts": [{"id": "c1", "value": "1000.00", "lots": [lot("l1", "1000.00")]}],
            "capacities": [{"member": "a", "lot": "l1", "amount": "2000.00"}],
            "policy": {"max_member_share": "1"},
        },
        True,
    ),
    # the only member is small and takes the whole pot: a ring-fence of 1 is met exactly
    "ring_fence_of_one_all_small": (
        {
            "members": [org("a", "50000.00")],
            "contracts": [{"id": "c1", "value": "1000.00", "lots": [lot("l1", "1000.00")]}],
            "capacities": [{"member": "a", "lot": "l1", "amount": "2000.00"}],
            "policy": {"small_org_share": "1"},
        },
        True,
    ),
    # two providers exist (m1 the unit, m0 the money lot), though the rule splits the unit 1/2-1/2
    "two_providers_with_a_one_unit_lot": (
        {
            "members": [org("m0"), org("m1"), org("m2", areas=())],
            "contracts": [
                {
                    "id": "c0",
                    "value": "2.00",
                    "lots": [
                        lot("c0-l0", "1.00", unit="client", unit_price="1.00"),
                        lot("c0-l1", "1.00"),
                    ],
                }
            ],
            "capacities": [
                {"member": "m0", "lot": "c0-l0", "units": 1},
                {"member": "m1", "lot": "c0-l0", "units": 1},
                {"member": "m0", "lot": "c0-l1", "amount": "1.00"},
            ],
            "top_slice": NO_TOP_SLICE,
            "policy": {"min_providers_per_area": 2},
        },
        True,
    ),
    # providers per area against case-mix parity, a share cap and a minimum award
    "two_providers_with_case_mix": (
        {
            "members": [
                org("m0", areas=("Bedford",)),
                org("m1"),
                org("m2", areas=("Bedford", "Luton")),
            ],
            "contracts": [
                {
                    "id": "c0",
                    "value": "5.89",
                    "lots": [
                        lot("c0-l0", "1.00", client_group="standard", service="casework"),
                        lot(
                            "c0-l1",
                            "4.89",
                            area="Bedford",
                            client_group="hard_to_help",
                            service="casework",
                        ),
                    ],
                }
            ],
            "capacities": [
                {"member": "m1", "lot": "c0-l0", "amount": "1.00"},
                {"member": "m2", "lot": "c0-l0", "amount": "1.00"},
                {"member": "m0", "lot": "c0-l1", "amount": "4.89"},
                {"member": "m2", "lot": "c0-l1", "amount": "4.89"},
            ],
            "top_slice": NO_TOP_SLICE,
            "policy": {
                "min_award": "0.01",
                "max_member_share": "0.51",
                "case_mix_tolerance": "0.17",
                "min_providers_per_area": 2,
                "exclusions": [
                    {"member": "m0", "lot": "c0-l0", "reason": "conflict of interest"},
                    {"member": "m1", "lot": "c0-l1", "reason": "conflict of interest"},
                ],
            },
        },
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_known_counter_example_keeps_every_condition(name):
    data, exists = CASES[name]
    problem = Problem.model_validate(data)
    assert_valid_allocation(problem, solve(problem), require_ok=exists)


def test_two_equal_members_tie_for_largest_whatever_their_order():
    problem = Problem.model_validate(
        {
            "members": [org("a", "50000.00"), org("b", "50000.00")],
            "contracts": [{"id": "c1", "value": "1000.00", "lots": [lot("l1", "1000.00")]}],
            "capacities": [
                {"member": "a", "lot": "l1", "amount": "2000.00"},
                {"member": "b", "lot": "l1", "amount": "2000.00"},
            ],
        }
    )
    assert check_anonymity(problem, [1, 0])
