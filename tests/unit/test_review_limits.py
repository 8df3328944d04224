"""A trade after a review honours the review's cuts: the remaining capacities and no-new-work
members the reallocation records (format 1.2), worked by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

import allocate
from allocate.cli import main
from allocate.review import (
    ReviewInput,
    Trade,
    read_version,
    reallocate,
    takers,
    trade,
)
from allocate.testing import review_limit_failures
from tests.unit.test_review import CAPS, _problem, _review

#: a delivered half of its £360 award by mid-term, b a quarter (requires improvement), c half
DELIVERIES = [
    {"member": "a", "lot": "l1", "amount": "180"},
    {"member": "b", "lot": "l1", "amount": "90"},
    {"member": "c", "lot": "l1", "amount": "90"},
]


def _cut() -> tuple[allocate.Problem, ReviewInput, allocate.review.Reallocation]:
    p = _problem(CAPS)
    review = _review(
        deliveries=DELIVERIES, outcomes=[{"member": "b", "outcome": "requires_improvement"}]
    )
    return p, review, reallocate(p, allocate.solve(p), review)


def test_the_reallocation_records_each_remaining_capacity_and_the_cut() -> None:
    _, _, after = _cut()
    assert after.format_version == "1.2"
    assert after.limits is not None and after.limits.review == "mid-term"
    caps = {c.member: c for c in after.limits.capacities}
    # by hand: capacity less delivery; b cut to its rate: ⌊£90 × (1 − 0.5) / 0.5⌋ = £90
    assert (caps["a"].delivered, caps["a"].remaining, caps["a"].cut) == (
        Decimal("180.00"),
        Decimal("420.00"),
        False,
    )
    assert (caps["b"].delivered, caps["b"].remaining, caps["b"].cut) == (
        Decimal("90.00"),
        Decimal("90.00"),
        True,
    )
    assert caps["b"].limit == Decimal("180.00") and "requires_improvement" in caps["b"].reason
    assert caps["c"].remaining == Decimal("210.00")
    assert after.limits.no_new_work == []


def test_a_trade_above_the_cut_is_refused_with_the_numbers_and_at_the_cut_approved() -> None:
    p, review, after = _cut()
    b = next(a for a in after.awards if a.member == "b")
    # b holds £157.50 (£90 delivered + £67.50 reallocated) and may hold £90 + £90 = £180:
    # room for £22.50, though its declared capacity (£600) would allow £442.50
    assert b.amount == Decimal("157.50")
    at = trade(p, after, Trade(lot="l1", seller="a", buyer="b", amount="22.50"))
    assert at.approved and at.refused_by == []
    assert next(a for a in at.awards if a.member == "b").amount == Decimal("180.00")
    assert review_limit_failures(p, review, after, at) == []
    above = trade(p, after, Trade(lot="l1", seller="a", buyer="b", amount="22.51"))
    assert not above.approved and above.refused_by == ["review_capacity"]
    words = above.reasons[0]
    for figure in ("£90.00 on lot l1", "£180.01", "£0.01 above the £180.00", "mid-term"):
        assert figure in words, (figure, words)
    # the same trade on the allocation as made (no review yet) is within b's declared capacity
    made = allocate.solve(p)
    assert trade(p, made, Trade(lot="l1", seller="a", buyer="b", amount="22.51")).approved


def test_the_limits_carry_through_a_trade_to_the_next_one() -> None:
    p, _, after = _cut()
    first = trade(p, after, Trade(lot="l1", seller="a", buyer="b", amount="10"))
    assert first.approved and first.limits == after.limits
    # b now holds £167.50: £12.50 left under its cut, whoever sells
    assert trade(p, first, Trade(lot="l1", seller="c", buyer="b", amount="12.50")).approved
    refused = trade(p, first, Trade(lot="l1", seller="c", buyer="b", amount="12.51"))
    assert refused.refused_by == ["review_capacity"] and refused.limits == after.limits


def test_takers_largest_amount_respects_the_cut_to_the_penny() -> None:
    p, _, after = _cut()
    offer = {t.member: t for t in takers(p, after, "a", "l1")}
    # b: £180 limit − £157.50 held; c: £90 + £210 = £300 (also its declared capacity) − £247.50
    assert offer["b"].amount == Decimal("22.50") and offer["b"].limited_by == "review_capacity"
    assert offer["c"].amount == Decimal("52.50")
    for member, t in offer.items():
        ok = trade(p, after, Trade(lot="l1", seller="a", buyer=member, amount=t.amount))
        more = trade(
            p, after, Trade(lot="l1", seller="a", buyer=member, amount=t.amount + Decimal("0.01"))
        )
        assert ok.approved and not more.approved and "review_capacity" in more.refused_by


def test_a_member_given_no_new_work_cannot_buy_and_takes_nothing() -> None:
    p = _problem(CAPS)
    review = _review(deliveries=DELIVERIES, outcomes=[{"member": "b", "outcome": "inadequate"}])
    after = reallocate(p, allocate.solve(p), review)
    assert after.limits is not None and after.limits.no_new_work == ["b"]
    refused = trade(p, after, Trade(lot="l1", seller="a", buyer="b", amount="0.01"))
    assert refused.refused_by == ["no_new_work"]
    assert "no new work until a review is passed" in refused.reasons[0]
    assert "b" not in {t.member for t in takers(p, after, "a", "l1")}
    # b may still sell what it has not delivered
    assert trade(p, after, Trade(lot="l1", seller="b", buyer="a", amount="0.01")).approved


def test_a_units_capacity_cut_is_honoured_in_whole_units() -> None:
    data = json.loads(_problem({"a": "0", "b": "0"}).model_dump_json())
    data["contracts"][0]["lots"][0].update(unit="session", unit_price="10")
    data["capacities"] = [
        {"member": "a", "lot": "l1", "units": 90},
        {"member": "b", "lot": "l1", "units": 90},
    ]
    p = allocate.Problem.model_validate(data)
    made = allocate.solve(p)  # 100 sessions at £9 to members (the pot after the 10% top-slice)
    assert {a.member: a.units for a in made.awards} == {"a": 50, "b": 50}
    review = _review(
        elapsed="0.25",
        deliveries=[
            {"member": "a", "lot": "l1", "units": 12},
            {"member": "b", "lot": "l1", "units": 4},
        ],
        outcomes=[{"member": "b", "outcome": "requires_improvement"}],
    )
    after = reallocate(p, made, review)
    assert after.limits is not None
    cap_b = next(c for c in after.limits.capacities if c.member == "b")
    # by hand: b's rate ⌊4 × 0.75 / 0.25⌋ = 12 sessions after its 4: at most 16 in all;
    # 84 remain, shared 78 : 12 → 72.8 and 11.2, largest remainder 73 and 11: b holds 15
    assert (cap_b.units_delivered, cap_b.units_remaining, cap_b.limit) == (4, 12, 16)
    assert {a.member: a.units for a in after.awards} == {"a": 85, "b": 15}
    assert trade(p, after, Trade(lot="l1", seller="a", buyer="b", units=1)).approved
    over = trade(p, after, Trade(lot="l1", seller="a", buyer="b", units=2))
    assert over.refused_by == ["review_capacity"]
    assert "would take it to 17 units, 1 above the 16 it may hold" in over.reasons[0]
    offer = {t.member: t for t in takers(p, after, "a", "l1")}
    assert offer["b"].units == 1 and offer["b"].amount == Decimal("9.00")


def test_older_documents_allocations_are_read_and_reallocations_refused() -> None:
    p, _, after = _cut()
    made = allocate.solve(p)
    old_made = json.loads(made.model_dump_json())
    old_made["format_version"] = "1.1"
    assert read_version(json.dumps(old_made)) == made
    assert read_version(after.model_dump_json()) == after
    old = json.loads(after.model_dump_json())
    old["format_version"] = "1.1"
    del old["limits"]
    with pytest.raises(allocate.ProblemError) as caught:
        read_version(json.dumps(old))
    issue = caught.value.issues[0]
    assert issue.location == "format_version" and issue.value == "1.1"
    assert "remaining capacities" in issue.message


def test_the_command_line_trade_on_a_reallocation_sees_the_cut(tmp_path: Path, capsys) -> None:
    p, _, after = _cut()
    files = {name: tmp_path / f"{name}.json" for name in ("p", "after", "t", "out")}
    files["p"].write_text(p.model_dump_json())
    files["after"].write_text(after.model_dump_json())
    files["t"].write_text(json.dumps({"lot": "l1", "seller": "a", "buyer": "b", "amount": "22.51"}))
    args = ["trade", str(files["p"]), str(files["after"]), str(files["t"])]
    assert main([*args, "--json", str(files["out"])]) == 1
    assert json.loads(files["out"].read_text())["refused_by"] == ["review_capacity"]
    old = json.loads(after.model_dump_json())
    old["format_version"] = "1.1"
    files["after"].write_text(json.dumps(old))
    capsys.readouterr()
    assert main([*args, "--errors-json", "-"]) == 2
    assert json.loads(capsys.readouterr().out)["issues"][0]["location"] == "format_version"
