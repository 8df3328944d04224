"""Exact at the bounds: rows kept at the policy's true bounds, rounding that keeps them exactly.

Each expected figure is derived from the construction in exact arithmetic (``Fraction``), never
read from the code under test; where an allocation is claimed not to exist, the test enumerates
every whole-number allocation to show it.
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

import allocate.pipeline.repair as repair
from allocate import Problem, Status, solve
from allocate.testing import assert_valid_allocation

NO_TOP_SLICE = {"max_rate": "0", "target_rate": "0"}


def org(id: str) -> dict[str, Any]:
    return {
        "id": id,
        "annual_income": "1000000.00",
        "quality_score": 0.9,
        "qa_passed": True,
        "reporting_compliance": 0.9,
        "themes": ["advice"],
        "areas": ["Luton"],
    }


def lot(id: str, value: str, **kw: Any) -> dict[str, Any]:
    return {"id": id, "value": value, "theme": "advice", "area": "Luton", **kw}


def problem(
    members: list[str], lots: list[dict[str, Any]], caps: dict[tuple[str, str], Any], **policy: Any
) -> Problem:
    value = sum(Decimal(x["value"]) for x in lots)
    return Problem.model_validate(
        {
            "members": [org(m) for m in members],
            "contracts": [{"id": "c", "value": str(value), "lots": lots}],
            "capacities": [
                {"member": m, "lot": lid, **({"units": c} if isinstance(c, int) else {"amount": c})}
                for (m, lid), c in caps.items()
            ],
            "top_slice": NO_TOP_SLICE,
            "policy": policy,
        }
    )


def pence(amount: Decimal) -> int:
    return int(amount * 100)


def totals(allocation: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in allocation.awards:
        out[a.member] = out.get(a.member, 0) + pence(a.amount)
    return out


@pytest.mark.parametrize("n", [2, 5, 8])
def test_share_caps_that_sum_exactly_to_the_pot_are_met_with_equality(n: int) -> None:
    # n members, each capped at 1/n of a pot divisible by n: the only allocation is pot/n each
    pot = 37_000_000 * n // math.gcd(37_000_000, n)  # pence, a multiple of n
    share = Fraction(1, n)
    members = [f"m{i}" for i in range(n)]
    pb = problem(
        members,
        [lot("l", str(Decimal(pot) / 100))],
        {(m, "l"): str(Decimal(2 * pot // n) / 100) for m in members},
        max_member_share=str(Decimal(share.numerator) / Decimal(share.denominator)),
    )
    a = solve(pb)
    assert a.status is Status.OPTIMAL, a.diagnosis
    assert_valid_allocation(pb, a)
    assert totals(a) == dict.fromkeys(members, pot // n)


def _a_third_each(members: list[str]) -> Problem:
    """Three members on lots of 100p and 101p under a 0.334 share cap (67p each, exactly)."""
    return problem(
        members,
        [lot("l1", "1.00"), lot("l2", "1.01")],
        {(m, lid): "5.00" for m in members for lid in ("l1", "l2")},
        max_member_share="0.334",
    )


def test_rounding_lot_by_lot_would_cross_a_cap_the_repair_keeps_it() -> None:
    # three members share two lots of 100p and 101p; the 0.334 share cap is floor(0.334 × 201)
    # = 67p each, and 3 × 67 = 201: every member gets exactly 67p, split over two lots whose
    # exact shares are not whole pennies, so rounding each lot alone can give one member 68p
    share = Fraction("0.334")
    pot = 201
    bound = math.floor(share * pot)
    assert 3 * bound == pot
    members = ["a", "b", "c"]
    pb = _a_third_each(members)
    runs: list[int | None] = []
    original = repair.Repair.run

    def spy(self: repair.Repair, *args: Any, **kw: Any) -> Any:
        out = original(self, *args, **kw)
        runs.append(self.window)
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(repair.Repair, "run", spy)
        a = solve(pb)
    assert runs, "the lot-by-lot rounding kept the cap by itself: this test no longer tests repair"
    assert a.status is Status.OPTIMAL, a.diagnosis
    assert_valid_allocation(pb, a)
    assert totals(a) == dict.fromkeys(members, bound)
    assert runs == [0]  # within a penny of the exact solution: the narrowest window sufficed


def test_a_repair_out_of_time_is_a_time_limit_not_a_verdict() -> None:
    # the same cap as above, with the repair's time already spent: "infeasible" would be a lie
    # (67p each keeps it) and rounding lot by lot crosses it, so no allocation is given at all
    members = ["a", "b", "c"]
    pb = _a_third_each(members)
    original = repair.Repair.__init__

    def no_time(self: repair.Repair, *args: Any, **kw: Any) -> None:
        original(self, *args, **kw)
        self.time_limit = 0.0

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(repair.Repair, "__init__", no_time)
        a = solve(pb)
    assert a.status is Status.TIME_LIMIT
    assert not a.awards
    assert a.diagnosis is not None and "rounding repair" in a.diagnosis.summary
    assert solve(pb, time_limit=60).status is Status.OPTIMAL  # given time, it decides


def test_no_whole_unit_allocation_is_infeasible_with_a_reason() -> None:
    # one unit worth £1 between two members each capped at 50p: half a unit each is the exact
    # solution, but a whole unit is £1 > 50p whoever takes it
    pb = problem(
        ["a", "b"],
        [lot("l", "1.00", unit_price="1.00", unit="client")],
        {("a", "l"): 1, ("b", "l"): 1},
        max_member_share="0.5",
    )
    cap = math.floor(Fraction("0.5") * 100)
    whole = [x for x in itertools.product(range(2), repeat=2) if sum(x) == 1]
    assert all(max(u * 100 for u in x) > cap for x in whole)  # every whole allocation crosses
    a = solve(pb)
    assert a.status is Status.INFEASIBLE
    assert a.diagnosis is not None and "whole" in a.diagnosis.summary


def test_the_rules_shares_are_not_snapped_past_a_cap() -> None:
    # a £10M lot: a's proportional share is 20p over its 50% cap, within the snapping tolerance
    # (1e-7 of the lot), so reading the LP's answer as the rule's shares would cross the cap
    pot = 1_000_000_000
    caps = {"a": 600_000_024, "b": 599_999_976}
    fair_a = Fraction(pot * caps["a"], sum(caps.values()))
    bound = math.floor(Fraction(1, 2) * pot)
    assert 0 < fair_a - bound <= Fraction(pot, 10**7)
    pb = problem(
        ["a", "b"],
        [lot("l", str(Decimal(pot) / 100))],
        {(m, "l"): str(Decimal(c) / 100) for m, c in caps.items()},
        max_member_share="0.5",
    )
    a = solve(pb)
    assert a.status is Status.OPTIMAL, a.diagnosis
    assert_valid_allocation(pb, a)
    assert totals(a) == {"a": bound, "b": pot - bound}


def _providers_problem(first: str, second: str) -> dict[str, Any]:
    """Bedford has one £1 lot that ``first`` and ``second`` could both take, and one provider is
    needed there; ``second`` alone can take Luton's £1 hard-to-help unit, and a case-mix
    tolerance of 0 then makes it take Bedford's £1 standard lot too (half its casework hard to
    help, as the service is)."""
    casework = {"client_group": "standard", "service": "casework"}
    return {
        "members": [
            {**org(first), "areas": ["Bedford", "Luton"]},
            {**org(second), "areas": ["Bedford", "Luton"]},
        ],
        "contracts": [
            {
                "id": "c",
                "value": "86.48",
                "lots": [
                    {**lot("bedford", "1.00"), "area": "Bedford", **casework},
                    {
                        **lot("luton-unit", "1.00", unit="client", unit_price="1.00"),
                        "client_group": "hard_to_help",
                        "service": "casework",
                    },
                    lot("luton", "84.48"),
                ],
            }
        ],
        "capacities": [
            {"member": first, "lot": "bedford", "amount": "1.00"},
            {"member": second, "lot": "bedford", "amount": "1.00"},
            {"member": second, "lot": "luton-unit", "units": 1},
            {"member": first, "lot": "luton", "amount": "84.48"},
            {"member": second, "lot": "luton", "amount": "84.48"},
        ],
        "top_slice": NO_TOP_SLICE,
        "policy": {"case_mix_tolerance": "0", "min_providers_per_area": 1},
    }


@pytest.mark.parametrize(("first", "second"), [("a", "b"), ("b", "a")])
def test_the_provider_kept_in_an_area_is_chosen_with_the_other_conditions(
    first: str, second: str
) -> None:
    # whichever id sorts first, the only allocation keeps `second` as Bedford's provider: the
    # tie-break by id alone (equal fair shares and capacities) would keep the wrong one
    pb = Problem.model_validate(_providers_problem(first, second))
    a = solve(pb)
    assert a.status is Status.OPTIMAL, a.diagnosis
    assert_valid_allocation(pb, a)
    bedford = {x.member: pence(x.amount) for x in a.awards if x.lot == "bedford"}
    assert bedford == {second: 100}


def test_an_area_that_cannot_keep_its_providers_is_infeasible_not_a_crash() -> None:
    # one £1 unit and two members who could each take it: two providers would need two units,
    # whoever is chosen (checked by enumerating every whole-unit split)
    pb = problem(
        ["a", "b"],
        [lot("l", "1.00", unit_price="1.00", unit="client")],
        {("a", "l"): 1, ("b", "l"): 1},
        min_providers_per_area=2,
    )
    splits = [x for x in itertools.product(range(2), repeat=2) if sum(x) == 1]
    assert all(sum(u > 0 for u in x) < 2 for x in splits)
    a = solve(pb)
    assert a.status is Status.INFEASIBLE
    assert a.diagnosis is not None and "min_providers_per_area" in a.diagnosis.summary
