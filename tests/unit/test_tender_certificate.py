"""Certificates of allocations with sub-tendered lots: they verify, and tampering is refused.

The problems are the sub-tender tests' own (``tests/unit/test_tender.py``); the oracle of
``tests/support/tender_oracle.py`` (its own programmes in highspy, sharing nothing with
``allocate``) says independently what the certificate states about the tendered lots.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from allocate import Allocation, Problem, check_certificate, solve
from allocate.core.certificate import Certificate
from tests.support import tender_oracle as oracle
from tests.unit.test_tender import (
    QUALITY_ONLY,
    _chain,
    _chain_min_award,
    _min_award_case,
    _problem,
)

BIDS = [
    {"member": "a", "lot": "t1", "quality": 0.9},
    {"member": "b", "lot": "t1", "quality": 0.8},
    {"member": "c", "lot": "t1", "quality": 0.3},
]


def _cases() -> dict[str, Problem]:
    capped = [{**BIDS[0], "capacity": "30000"}, BIDS[1], BIDS[2]]
    return {
        "single winner": _problem(BIDS, tender=QUALITY_ONLY),
        "capacity passes down": _problem(capped, tender=QUALITY_ONLY),
        "split by score": _problem(
            BIDS, tender={**QUALITY_ONLY, "max_winners": 2, "split": "score_proportional"}
        ),
        "share cap holds the winner": _problem(BIDS, max_member_share="0.6", tender=QUALITY_ONLY),
        "share cap and minimum award": _problem(
            BIDS, max_member_share="0.95", min_award="5000", tender=QUALITY_ONLY
        ),
        "chain of dependency limits": _chain(planned=False),
        "chain with a planned lot": _chain(planned=True),
        "held winner makes room": Problem.model_validate(_min_award_case()),
        "chain with a minimum award": Problem.model_validate(_chain_min_award("3000", "40000")),
    }


CASES = _cases()


def _with(a: Allocation, cert: Certificate | None = None, **awards: int) -> Allocation:
    """The allocation with its certificate fixed (``cert``) and some awards changed (pence)."""
    cert = cert if cert is not None else a.certificate
    changed = {tuple(k.split("__")): v for k, v in awards.items()}
    moved = [
        x.model_copy(update={"amount": Decimal(changed[x.member, x.lot]) / 100})
        if (x.member, x.lot) in changed
        else x
        for x in a.awards
    ]
    return a.model_copy(update={"certificate": cert, "awards": moved})


def _pence(a: Allocation, lot: str) -> dict[str, int]:
    return {x.member: int(x.amount * 100) for x in a.awards if x.lot == lot}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_tendered_allocation_carries_a_certificate_that_verifies(name: str) -> None:
    problem = CASES[name]
    a = solve(problem)
    assert a.status.value == "optimal"
    cert = a.certificate
    assert cert is not None
    assert [t.lot for t in cert.tender] == ["t1"]
    # the winners stated are those the allocation pays on the lot, best-ranked first
    ranked = [b.member for b in a.audit.tenders[0].bids if b.qualified]
    paid = _pence(a, "t1")
    assert cert.tender[0].winners == [m for m in ranked if paid.get(m, 0) > 0]
    found = check_certificate(problem, a)
    assert found.ok, found.failures
    assert "sub-tendered lot" in found.proved
    assert "recomputed here from the bids" in found.proved
    # the JSON round trip keeps a certificate that still verifies
    again = Allocation.model_validate_json(a.model_dump_json())
    assert again.certificate == cert
    assert check_certificate(problem, again, conditions=False).ok


def test_a_held_winner_is_stated_with_its_level_and_the_condition_that_holds_it() -> None:
    a = solve(CASES["share cap holds the winner"])
    cert = a.certificate
    assert cert is not None
    (held,) = cert.tender[0].held
    # 0.6 of the 90,000 pot, in pence: the share cap of a on its contract
    assert (held.member, held.level, held.floor) == ("a", 5_400_000, 5_400_000)
    assert held.condition == "max_member_share:a:c1"
    chain = solve(CASES["chain of dependency limits"]).certificate
    assert chain is not None
    # half of each income (40,000, 50,000, 30,000), in pence, by the dependency limit
    assert {(h.member, h.level, h.condition) for h in chain.tender[0].held} == {
        ("a", 2_000_000, "max_dependency:a"),
        ("b", 2_500_000, "max_dependency:b"),
        ("c", 1_500_000, "max_dependency:c"),
    }
    check = check_certificate(CASES["chain of dependency limits"], solve(_chain(planned=False)))
    assert check.ok and "3 bid(s) held back" in check.proved


@pytest.mark.parametrize(
    "data",
    [
        _min_award_case(),
        _chain_min_award("3000", "40000"),
        _chain_min_award("3000", "41000"),
        _chain_min_award("20000", "38000"),
        _chain_min_award("9000", "36500"),
    ],
)
def test_the_oracle_agrees_with_what_the_certificate_states_about_the_tendered_lot(
    data: dict[str, Any],
) -> None:
    problem = Problem.model_validate(data)
    a = solve(problem)
    cert = a.certificate
    assert cert is not None and check_certificate(problem, a).ok
    case = oracle.case(data)
    best = oracle.best_ranked_first(case, "t1", {})
    assert best is not None
    # the winners, in the oracle's own ranking
    assert cert.tender[0].winners == [m for m in oracle.ranking(case, "t1") if m in best]
    for h in cert.tender[0].held:
        # the oracle's best-ranked-first award of a held bid: at most its level (and a penny),
        # and at least the floor the certificate is conditional on
        assert h.floor - 1 <= best.get(h.member, 0) <= h.level + 1, (h, best)


def _refused(problem: Problem, a: Allocation, words: str) -> None:
    found = check_certificate(problem, a, conditions=False)
    assert not found.ok
    assert any(words in f for f in found.failures), found.failures


def test_an_award_moved_from_a_better_ranked_winner_to_a_worse_ranked_one_is_refused() -> None:
    problem = CASES["capacity passes down"]
    a = solve(problem)
    assert check_certificate(problem, a, conditions=False).ok
    got = _pence(a, "t1")
    assert got == {"a": 3_000_000, "b": 6_000_000}
    tampered = _with(a, a__t1=got["a"] - 100, b__t1=got["b"] + 100)
    _refused(problem, tampered, "of the competition's split")
    # and on a lot where a held winner passed work down
    problem = CASES["chain of dependency limits"]
    a = solve(problem)
    got = _pence(a, "t1")
    _refused(problem, _with(a, b__t1=got["b"] - 100, d__t1=got["d"] + 100), "t1")


def test_a_changed_held_level_is_refused() -> None:
    problem = CASES["share cap holds the winner"]
    a = solve(problem)
    cert = a.certificate
    assert cert is not None
    lot = cert.tender[0]
    (held,) = lot.held
    for level in (held.level - 100, held.level + 100):
        bad = held.model_copy(update={"level": level, "floor": min(held.floor, level)})
        tampered = cert.model_copy(update={"tender": [lot.model_copy(update={"held": [bad]})]})
        assert not check_certificate(problem, _with(a, tampered), conditions=False).ok
    # a level the condition does not keep: the cap allows 54,000, the stated level is less
    low = held.model_copy(update={"level": held.level - 100_000, "floor": 0})
    lower = cert.model_copy(update={"tender": [lot.model_copy(update={"held": [low]})]})
    _refused(problem, _with(a, lower), "allows it up to")
    # a condition that does not bound the bid
    elsewhere = held.model_copy(update={"condition": "max_member_share:b:c1"})
    named = cert.model_copy(update={"tender": [lot.model_copy(update={"held": [elsewhere]})]})
    _refused(problem, _with(a, named), "is no condition bounding it")
    # a floor above the held level
    high = held.model_copy(update={"floor": held.level + 1})
    floor = cert.model_copy(update={"tender": [lot.model_copy(update={"held": [high]})]})
    _refused(problem, _with(a, floor), "floor")


def test_stated_winners_and_missing_outcomes_are_refused() -> None:
    problem = CASES["share cap holds the winner"]
    a = solve(problem)
    cert = a.certificate
    assert cert is not None
    lot = cert.tender[0]
    swapped = cert.model_copy(update={"tender": [lot.model_copy(update={"winners": ["b", "a"]})]})
    _refused(problem, _with(a, swapped), "win ['a', 'b'] in rank order")
    _refused(problem, _with(a, cert.model_copy(update={"tender": []})), "no outcome stated")
    unheld = cert.model_copy(update={"tender": [lot.model_copy(update={"held": []})]})
    assert not check_certificate(problem, _with(a, unheld), conditions=False).ok


def test_a_pound_moved_between_two_planned_lot_members_is_refused() -> None:
    problem = CASES["chain with a planned lot"]
    a = solve(problem)
    assert check_certificate(problem, a, conditions=False).ok
    got = _pence(a, "p1")
    first, second = sorted(m for m, v in got.items() if v >= 100)[:2]
    tampered = _with(a, **{f"{first}__p1": got[first] - 100, f"{second}__p1": got[second] + 100})
    found = check_certificate(problem, tampered, conditions=False)
    assert not found.ok
    assert any("stage" in f or "p1" in f for f in found.failures), found.failures
