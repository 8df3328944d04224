"""Invariants of reallocation at a review, on small random consortia (proportional rule)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

import allocate
from allocate.review import ReviewInput, reallocate
from tests.unit.test_review import _problem


@settings(max_examples=20, deadline=None)
@given(
    caps=st.lists(st.integers(50, 900), min_size=2, max_size=4),
    slow=st.integers(0, 3),
    pace=st.integers(0, 9),
)
def test_delivered_stays_totals_balance_and_on_track_members_never_lose(
    caps: list[int], slow: int, pace: int
) -> None:
    ids = [f"m{k}" for k in range(len(caps))]
    p = _problem({m: str(c) for m, c in zip(ids, caps, strict=True)}, value="1000")
    made = allocate.solve(p)
    if not made.status.is_ok:
        return
    slow_id = ids[slow % len(ids)]
    deliveries = []
    for m in ids:
        award = made.award(m, "l1")
        share = Decimal("0.5") if m != slow_id else Decimal(pace) / 20  # slow: below half
        deliveries.append(
            {"member": m, "lot": "l1", "amount": str((award * share).quantize(Decimal("0.01")))}
        )
    review = ReviewInput.model_validate(
        {
            "elapsed": "0.5",
            "deliveries": deliveries,
            "outcomes": [{"member": slow_id, "outcome": "requires_improvement"}],
        }
    )
    after = reallocate(p, made, review)
    if not after.status.is_ok:
        return
    total = sum((a.amount for a in after.awards), Decimal(0)) + after.contracts[0].top_slice
    assert total == Decimal(1000)
    delivered = {d["member"]: Decimal(d["amount"]) for d in deliveries}
    for row in after.rows:
        assert row.delivered == delivered[row.member]  # delivered money never moves
        assert row.award == row.delivered + row.remaining_after
        if row.member != slow_id:
            # on track: never worse off because another under-delivers (a penny of rounding)
            assert row.remaining_after >= row.remaining_before - Decimal("0.01")
    unchanged = reallocate(p, made, ReviewInput.model_validate({"elapsed": "0.5"}))
    assert unchanged.awards == made.awards and unchanged.moved == 0
