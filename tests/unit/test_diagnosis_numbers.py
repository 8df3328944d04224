"""The diagnosis in honest numbers: whole pence, sufficient policy values, the real culprit named.

Each problem is built by hand with a clear gap (pounds, not pennies) between what the policy asks
and what is possible, so that it stays infeasible whatever rounding margin the programme keeps;
every amount and policy value asserted is computed here, exactly, from the construction.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from allocate import Problem, Status, solve
from allocate.core.money import format_money
from allocate.core.outcome import Diagnosis, Relaxation
from allocate.pipeline.constraints import Relaxed
from allocate.pipeline.constraints.base import change_words, least_decimal
from allocate.pipeline.diagnosis import (
    WITHIN_TOLERANCE,
    diagnose_lp,
    infeasible_within_tolerance,
    whole_pence,
)
from allocate.pipeline.formulation import lp_spec
from allocate.pipeline.planning import plan
from tests.conftest import member

NO_TOP_SLICE = {"max_rate": "0", "target_rate": "0"}


def _problem(
    caps: dict[str, str], value: str, policy: dict[str, Any], incomes: dict[str, str] | None = None
) -> dict[str, Any]:
    """One contract of one lot (advice, Luton), no top-slice: the member pot is the lot value."""
    incomes = incomes or {}
    return {
        "members": [member(m, incomes.get(m, "50000")) for m in caps],
        "contracts": [
            {
                "id": "c1",
                "value": value,
                "lots": [{"id": "l1", "value": value, "theme": "advice", "area": "Luton"}],
            }
        ],
        "capacities": [{"member": m, "lot": "l1", "amount": a} for m, a in caps.items()],
        "top_slice": NO_TOP_SLICE,
        "policy": policy,
    }


def _pence(text: str) -> int:
    """Whole pence of a money amount written ``£1,234.56``."""
    return int(Decimal(text.replace("£", "").replace(",", "")) * 100)


def _diagnosed(data: dict[str, Any]) -> Diagnosis:
    a = solve(Problem.model_validate(data))
    assert a.status is Status.INFEASIBLE and a.awards == []
    assert a.diagnosis is not None
    return a.diagnosis


def _by(d: Diagnosis) -> dict[str, Relaxation]:
    return {r.condition: r for r in d.relaxations}


def _texts(d: Diagnosis) -> list[str]:
    return [d.summary, *d.messages, *(line for r in d.relaxations for line in r.details)]


def _places(value: str) -> int:
    return len(value.split(".")[1]) if "." in value else 0


def _least_above(exact: Fraction, places: int) -> Fraction:
    """The smallest number with ``places`` decimals at least ``exact``."""
    return Fraction(math.ceil(exact * 10**places), 10**places)


def _greatest_below(exact: Fraction, places: int) -> Fraction:
    """The greatest number with ``places`` decimals at most ``exact``."""
    return Fraction(math.floor(exact * 10**places), 10**places)


_CHANGE = re.compile(r"(raise|lower) (\w+) from £?([\d,.]+) to at (least|most) £?([\d,.]+)")


def _assert_honest(d: Diagnosis) -> None:
    """No relaxation of nothing, and no recommendation that is the current value (or worse)."""
    for text in _texts(d):
        assert "£0.00" not in text, text
        for verb, _, current, bound, value in _CHANGE.findall(text):
            now, then = Decimal(current.replace(",", "")), Decimal(value.replace(",", ""))
            assert (then > now) if verb == "raise" else (then < now), text
            assert bound == ("least" if verb == "raise" else "most"), text


# -- max_member_share: five members, a cap of a fifth, one member too small ------------------


@pytest.mark.parametrize("share", ["0.2", "0.20"])
def test_share_cap_short_by_a_known_amount(share):
    pot = 1234567  # £12,345.67
    small = 200000  # e can take only £2,000.00
    big = dict.fromkeys("abcd", "5000.00")  # far above the cap
    data = _problem({**big, "e": "2000.00"}, "12345.67", {"max_member_share": share})
    d = _diagnosed(data)

    bound = math.floor(Fraction(share) * pot)  # what a capped member may take, in pence
    short = pot - (4 * bound + small)  # what nobody may take
    assert short > 10_000  # a clear gap: £469.15
    by = _by(d)

    # the money, exact to the penny, against the policy's own bound
    relax = by["max_member_share"]
    assert relax.possible and relax.amount == Decimal(short) / 100
    assert by["budget"].amount == Decimal(short) / 100
    assert f"max_member_share ({format_money(short, pence=True)})" in d.summary

    # each relaxed row in words: its money adds up to the shortfall, and the share it names
    # suffices for it and has the policy's own decimals (no fewer would do)
    rows = [m for m in d.messages if "more room in contract c1" in m]
    amounts = [_pence(re.search(r"needs (£[\d,.]+) more room", m).group(1)) for m in rows]
    assert sum(amounts) == short
    for line, amount in zip(rows, amounts, strict=True):
        named = line.rsplit(" ", 1)[1]
        assert _places(named) == _places(share)
        assert Fraction(named) == _least_above(Fraction(bound + amount, pot), _places(share))

    # the least share cap for everyone: floor(s·pot) for four members and e's £2,000 must cover
    # the pot, so s·pot ≥ ⌈(pot − small)/4⌉; stated with the policy's decimals, rounded up
    exact = Fraction(math.ceil(Fraction(pot - small, 4)), pot)
    assert relax.setting == "max_member_share" and relax.current == share
    assert _places(relax.required) == _places(share)
    assert Fraction(relax.required) == _least_above(exact, _places(share))
    assert Fraction(relax.required) - Fraction(1, 10 ** _places(share)) < exact
    assert f"raise max_member_share from {share} to at least {relax.required}" in d.summary
    _assert_honest(d)


# -- max_dependency: two members whose incomes cannot carry the pot --------------------------


def test_dependency_short_by_a_known_amount():
    incomes = {"a": 100000, "b": 234567}  # £1,000.00 and £2,345.67
    pot = 600000  # £6,000.00
    multiple = Fraction(3, 2)
    data = _problem(
        {"a": "9000.00", "b": "9000.00"},
        "6000.00",
        {"max_dependency": "1.5"},
        incomes={m: str(Decimal(v) / 100) for m, v in incomes.items()},
    )
    d = _diagnosed(data)

    bounds = {m: math.floor(multiple * v) for m, v in incomes.items()}
    short = pot - sum(bounds.values())
    assert short > 10_000  # £981.50
    relax = _by(d)["max_dependency"]
    assert relax.amount == Decimal(short) / 100
    assert f"max_dependency ({format_money(short, pence=True)})" in d.summary

    rows = [m for m in d.messages if "more than max_dependency" in m]
    for line in rows:
        who = line.split()[0]
        amount = _pence(re.search(r"needs (£[\d,.]+) more", line).group(1))
        named = Fraction(line.rsplit(" ", 1)[1])
        need = Fraction(bounds[who] + amount, incomes[who])
        assert named == _least_above(need, 1)
    assert sum(_pence(re.search(r"needs (£[\d,.]+) more", m).group(1)) for m in rows) == short

    # the least multiple with one decimal whose caps cover the pot, searched on its own grid
    tenth = next(
        Fraction(n, 10)
        for n in range(15, 1001)
        if sum(math.floor(Fraction(n, 10) * v) for v in incomes.values()) >= pot
    )
    assert Fraction(relax.required) == tenth and _places(relax.required) == 1
    _assert_honest(d)


# -- small_org_share: the small member cannot take the ring-fence ----------------------------


def test_ring_fence_short_by_a_known_amount():
    pot = 200000  # £2,000.00
    tiny = 33333  # the one small member's capacity, £333.33
    data = _problem(
        {"big": "5000.00", "tiny": "333.33"},
        "2000.00",
        {"small_org_share": "0.45"},
        incomes={"big": "5000000", "tiny": "5000"},
    )
    d = _diagnosed(data)

    asked = math.ceil(Fraction(45, 100) * pot)
    short = asked - tiny
    assert short > 10_000  # £566.67
    relax = _by(d)["small_org_share"]
    assert relax.amount == Decimal(short) / 100
    line = next(m for m in d.messages if "less than the ring-fence asks" in m)
    assert f"small members can take {format_money(short, pence=True)} less" in line

    # a share s asks ⌈s·pot⌉ ≤ tiny exactly when s ≤ tiny/pot: two decimals, rounded down
    exact = Fraction(tiny, pot)
    expected = _greatest_below(exact, 2)
    assert Fraction(line.rsplit(" ", 1)[1]) == expected
    assert Fraction(relax.required) == expected and _places(relax.required) == 2
    assert expected + Fraction(1, 100) > exact  # the next hundredth would not do
    _assert_honest(d)


# -- pooled capacity: a pool smaller than what its lots need ---------------------------------


def test_pooled_capacity_short_by_a_known_amount():
    data = _problem({"b": "500.00"}, "1000.00", {})
    data["members"].append(member("a"))
    data["contracts"][0]["value"] = "2000.00"
    data["contracts"][0]["lots"].append(
        {"id": "l2", "value": "1000.00", "theme": "advice", "area": "Luton"}
    )
    data["capacities"] = [
        {"member": "a", "theme": "advice", "area": "Luton", "amount": "800.00"},
        {"member": "b", "lot": "l1", "amount": "500.00"},
        {"member": "b", "lot": "l2", "amount": "500.00"},
    ]
    d = _diagnosed(data)
    pool, b_total, pot = 80000, 100000, 200000
    short = pot - (pool + b_total)  # £200.00
    relax = _by(d)["pooled_capacity"]
    assert relax.amount == Decimal(short) / 100
    line = next(m for m in relax.details if "pooled capacity" in m)
    assert f"short by {format_money(short, pence=True)}" in line
    assert line.endswith(
        f"raise it from {format_money(pool, pence=True)} to at least "
        f"{format_money(pool + short, pence=True)}"
    )
    _assert_honest(d)


# -- min_award: the rule that blocks is named, not the pot -----------------------------------


def test_min_award_floors_that_cannot_both_be_met_name_min_award():
    # two members of £100 capacity, a lot of £150 and a minimum award of £100: both must be
    # kept (neither alone can take the lot), and two floors of £100 exceed it by £50
    pot, floor, kept = 15000, 10000, 2
    data = _problem(
        {"a": "100.00", "b": "100.00"},
        "150.00",
        {"min_award": "100", "min_providers_per_area": 2},
    )
    d = _diagnosed(data)
    short = kept * floor - pot
    assert f"conflicting conditions min_award ({format_money(short, pence=True)})" in d.summary
    assert "budget" not in d.summary.split(";")[0]  # the pot is not blamed
    by = _by(d)
    relax = by["floor"]
    assert relax.setting == "min_award" and relax.amount == Decimal(short) / 100
    # the largest minimum award two floors fit in the pot: £75.00
    most = Fraction(pot, kept) / 100
    assert Decimal(relax.required) == Decimal(most.numerator) / most.denominator
    change = change_words("min_award", Decimal(100), Decimal(relax.required), "down")
    assert change == f"lower min_award from £100.00 to at most {format_money(most)}"
    assert change in d.summary
    assert not by["min_providers_per_area"].possible  # one provider would still need both
    assert any("short of its floor, the minimum award (min_award £100.00)" in m for m in d.messages)
    _assert_honest(d)


def test_min_award_that_closes_a_needed_sub_contract_is_named():
    # b's capacity (£60) is below the minimum award (£100), so its sub-contract is not made and
    # a alone (£100) cannot take the £150 lot: the pot is short only because of min_award
    cap_a, cap_b, pot = 10000, 6000, 15000
    data = _problem({"a": "100.00", "b": "60.00"}, "150.00", {"min_award": "100"})
    d = _diagnosed(data)
    assert "min_award closes sub-contracts on lot l1" in d.summary
    unplaced = next(m for m in d.messages if "cannot be placed" in m)
    assert unplaced.startswith(f"  {format_money(pot - cap_a, pence=True)} of lot l1")
    assert "min_award (£100.00) closed the sub-contract of b" in unplaced
    relax = _by(d)["floor"]
    assert relax.possible and relax.setting == "min_award"
    # both sub-contracts made with a floor m: m ≤ b's capacity, and two floors within the pot
    most = min(Fraction(cap_b), Fraction(pot, 2)) / 100
    assert Decimal(relax.required) == Decimal(most.numerator) / most.denominator
    assert (
        "the smallest single change of policy is min_award "
        f"(lower min_award from £100.00 to at most {format_money(most)})"
    ) in d.summary
    _assert_honest(d)


# -- infeasible only within the solver's tolerance -------------------------------------------


def _exactly_enough() -> Problem:
    # five members at a cap of a fifth must each take exactly a fifth: feasible, with no room
    caps = dict.fromkeys("abcde", "300.00")
    return Problem.model_validate(_problem(caps, "1000.00", {"max_member_share": "0.2"}))


def test_a_conflict_below_a_penny_is_reported_as_within_solver_tolerance():
    p = plan(_exactly_enough())
    spec, info = lp_spec(p)
    d = diagnose_lp(p, spec, info)
    assert infeasible_within_tolerance(d)
    assert d.summary.startswith(WITHIN_TOLERANCE)
    assert d.relaxations == []
    _assert_honest(d)


def test_solve_never_asks_for_a_policy_change_where_none_is_needed():
    a = solve(_exactly_enough())
    if a.status is Status.INFEASIBLE:  # the programme's rounding margins ask for pennies
        assert a.diagnosis is not None and infeasible_within_tolerance(a.diagnosis)
    else:
        assert a.status is Status.OPTIMAL


def test_a_real_conflict_is_not_within_tolerance():
    d = _diagnosed(_problem({"a": "100.00", "b": "100.00"}, "150.00", {"min_award": "100"}))
    assert not infeasible_within_tolerance(d)


# -- the helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "scale", "expected"),
    [
        (4_400_000.0000004, 1e8, 4_400_000),  # solver noise on £44,000.00 is £44,000.00
        (4_400_000.4, 1e8, 4_400_000),  # within 1e-6 of a £1m scale: still noise
        (4_400_000.4, 1e3, 4_400_001),  # beyond the noise of a £10 scale: rounded up
        (0.7, 100.0, 1),
        (2.0000000001, 1.0, 2),
    ],
)
def test_whole_pence_rounds_noise_to_the_nearest_penny_and_anything_else_up(
    amount, scale, expected
):
    assert whole_pence(amount, scale) == expected


@pytest.mark.parametrize("amount", [math.nan, math.inf, -5.0])
def test_whole_pence_refuses_what_is_no_relaxation(amount):
    with pytest.raises(ValueError, match="relaxation"):
        whole_pence(amount, 100.0)


@pytest.mark.parametrize(
    ("exact", "current", "direction", "loosest", "expected"),
    [
        (Fraction(1, 3), "0.2", "up", None, "0.4"),
        (Fraction(1, 3), "0.20", "up", None, "0.34"),
        (Fraction(21, 100), "0.2", "up", None, "0.3"),
        (Fraction(1, 9), "0.5", "down", None, "0.1"),
        (Fraction(5, 18), "0", "up", "1", "0.3"),  # not 1: that switches it off
        (Fraction(19, 20), "0.9", "up", "1", "0.95"),
        (Fraction(1, 50), "0.5", "down", "0", "0.02"),  # not 0: that switches it off
        (Fraction(0), "0.5", "down", "0", "0.0"),  # only switching it off does
        (Fraction(23, 10), "2", "up", "100", "3"),
    ],
)
def test_least_decimal_is_sufficient_in_the_policy_precision(
    exact, current, direction, loosest, expected
):
    value = least_decimal(
        exact, Decimal(current), direction, None if loosest is None else Decimal(loosest)
    )
    assert str(value) == expected
    assert (Fraction(value) >= exact) if direction == "up" else (Fraction(value) <= exact)


@pytest.mark.parametrize(
    ("exact", "current", "direction"),
    [
        (Fraction(1, 5), "0.2", "up"),  # the current value already suffices
        (Fraction(1, 10), "0.2", "up"),
        (Fraction(1, 5), "0.20", "down"),
    ],
)
def test_least_decimal_recommends_nothing_that_is_no_change(exact, current, direction):
    assert least_decimal(exact, Decimal(current), direction) is None


def test_least_decimal_refuses_bad_input():
    with pytest.raises(ValueError, match="direction"):
        least_decimal(Fraction(1, 3), Decimal("0.2"), "sideways")
    with pytest.raises(TypeError, match="Fraction"):
        least_decimal(0.3, Decimal("0.2"), "up")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        least_decimal(Fraction(1, 3), Decimal("NaN"), "up")


def test_a_relaxation_of_no_whole_penny_is_refused():
    p = plan(_exactly_enough())
    with pytest.raises(ValueError, match="at least a penny"):
        Relaxed(p, "max_member_share:a:c1", None, 0)
    with pytest.raises(TypeError, match="whole pence"):
        Relaxed(p, "max_member_share:a:c1", None, 1.5)  # type: ignore[arg-type]
