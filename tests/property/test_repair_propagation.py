"""Bound propagation in the rounding repair skips only integer programmes that have no point.

Before the repair hands a window to the integer solver, :class:`_Propagation` narrows every
award's whole-number range by its rows and its lot's total, in exact integers; a range left
empty proves the window has no whole-number point, and the window is skipped.  Two checks, on
synthetic consortia with every side-constraint (unit-priced lots and case-mix bands make the
narrowest windows fail): every window it calls empty, the integer programme itself finds no
point in; and the allocations are the same with the propagation and without it.
"""

from __future__ import annotations

from typing import Any

import pytest

from allocate import solve, synthetic
from allocate.pipeline import repair

#: Seeds of the 80 × 5 synthetic consortium; 3, 5 and 9 need windows the propagation empties.
SEEDS = range(12)


def _solved() -> list[Any]:
    out = []
    for seed in SEEDS:
        p = synthetic.consortium(80, 5, seed=seed, side_constraints=synthetic.ALL_SIDE_CONSTRAINTS)
        a = solve(p, price_constraints=False, certificate=False)
        awards = [(w.member, w.lot, w.amount, w.units) for w in a.awards]
        out.append((seed, a.status, awards))
    return out


def test_windows_it_empties_have_no_point(monkeypatch: pytest.MonkeyPatch) -> None:
    found: list[Any] = []
    plain = repair.Repair._solve

    def confirming(self: repair.Repair, rounded: Any, free: Any, window: Any, mix: bool) -> Any:
        if repair._Propagation(self, rounded, free, window, mix).empty():
            # the integer programme of the same window, solved as the repair would
            found.append(self._attempt(rounded, set(free), window, mix, 0.0))
        return plain(self, rounded, free, window, mix)

    monkeypatch.setattr(repair.Repair, "_solve", confirming)
    _solved()
    assert found, "no window was proved empty: the check would prove nothing"
    assert all(f is None for f in found)


def test_allocations_are_the_same_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    empty = repair._Propagation.empty

    def counted(self: Any) -> bool:
        calls.append(empty(self))
        return calls[-1]

    monkeypatch.setattr(repair._Propagation, "empty", counted)
    with_it = _solved()
    assert any(calls)
    monkeypatch.setattr(repair._Propagation, "empty", lambda self: False)
    assert _solved() == with_it
