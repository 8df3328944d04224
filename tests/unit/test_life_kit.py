"""The test kit's review and trade checkers catch what they claim to (tampered documents)."""

from __future__ import annotations

from decimal import Decimal

import allocate
from allocate.review import ReviewInput, Trade, reallocate, trade
from allocate.testing import review_failures, trade_failures
from tests.unit.test_review import CAPS, _problem


def test_review_failures_catch_moved_delivery_and_an_unbalanced_version() -> None:
    p = _problem(CAPS)
    made = allocate.solve(p)
    review = ReviewInput.model_validate(
        {"elapsed": "0.5", "deliveries": [{"member": "a", "lot": "l1", "amount": "100"}]}
    )
    after = reallocate(p, made, review)
    assert review_failures(p, made, review, after) == []
    row = after.rows[0]
    assert row.member == "a"
    moved = row.model_copy(update={"delivered": row.delivered - Decimal("0.01")})
    tampered = after.model_copy(update={"rows": [moved, *after.rows[1:]]})
    found = review_failures(p, made, review, tampered)
    assert any("delivered money moved" in f for f in found)
    assert any("not delivered plus remaining" in f for f in found)
    short = after.awards[0].model_copy(update={"amount": after.awards[0].amount - 1})
    unbalanced = after.model_copy(update={"awards": [short, *after.awards[1:]]})
    assert any(f.startswith("budget:") for f in review_failures(p, made, review, unbalanced))


def test_trade_failures_catch_a_trade_that_moves_the_wrong_money() -> None:
    p = _problem(CAPS)
    made = allocate.solve(p)
    decision = trade(p, made, Trade(lot="l1", seller="c", buyer="a", amount="10"))
    assert decision.approved and trade_failures(p, made, decision) == []
    awards = [
        a.model_copy(update={"amount": a.amount + (1 if a.member == "b" else 0)})
        for a in decision.awards
    ]
    wrong = decision.model_copy(update={"awards": awards})
    found = trade_failures(p, made, wrong)
    assert any("another award" in f for f in found) and any("budget" in f for f in found)


def test_reallocation_trade_and_takers_tables_give_money_as_asked() -> None:
    from allocate.review import takers, takers_frame

    p = _problem(CAPS)
    made = allocate.solve(p)
    review = ReviewInput.model_validate(
        {"elapsed": "0.5", "deliveries": [{"member": "a", "lot": "l1", "amount": "100.01"}]}
    )
    after = reallocate(p, made, review)
    pence = after.to_frame(money="pence")
    assert pence["delivered"].dtype == "Int64"
    assert dict(zip(pence["member"], pence["delivered"], strict=True))["a"] == 10001
    exact = after.to_frame(money="decimal")
    assert all(exact["award"] == exact["delivered"] + exact["remaining_after"])
    assert after.to_frame()["moved"].dtype == "float64"
    decision = trade(p, after, Trade(lot="l1", seller="c", buyer="a", amount="10"))
    assert decision.to_frame(money="pence")["amount"].sum() == sum(
        int(a.amount * 100) for a in decision.awards
    )
    table = takers_frame(takers(p, after, "c", "l1"), money="pence")
    assert table["amount"].dtype == "Int64" and set(table["member"]) <= {"a", "b"}
