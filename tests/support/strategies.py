"""The boundary-tight problems of :mod:`tests.support.boundary`, drawn by Hypothesis."""

from __future__ import annotations

import json

from hypothesis import note
from hypothesis import strategies as st

from tests.support.boundary import Case, build

__all__ = ["boundary_cases"]


class _Draws:
    """A :class:`~tests.support.boundary.Source` whose choices Hypothesis makes (and shrinks)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


@st.composite
def boundary_cases(draw: st.DrawFn, kind: str, short: bool = False) -> Case:
    """A problem of ``kind``, tight (or its just-infeasible twin), noted as JSON for replay."""
    case = build(_Draws(draw), kind, short=short)
    note(f"{case.kind} ({'twin' if short else 'tight'}): {case.why}")
    note("problem (save as problem.json for `allocate solve`):\n" + json.dumps(case.data, indent=2))
    return case
