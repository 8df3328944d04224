"""Problems of the test kit drawn by Hypothesis: boundary-tight ones and small county ones."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import note
from hypothesis import strategies as st

from tests.support import county, oracle
from tests.support.boundary import Case, build

__all__ = ["boundary_cases", "county_problems"]


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


@st.composite
def county_problems(draw: st.DrawFn, max_members: int = 12, max_lots: int = 3) -> dict[str, Any]:
    """A small county consortium (:mod:`tests.support.county`), noted as JSON for replay."""
    members = draw(st.integers(2, max_members))
    lots = draw(st.integers(1, max_lots))
    options = {
        "min_award": draw(st.booleans()),
        "pools": draw(st.booleans()),
        "exclusions": draw(st.booleans()),
        "rule": draw(st.sampled_from(oracle.RULES)),
    }
    data = county.county(_Draws(draw), members, lots, **options)
    note(f"county problem, {members} members × {lots} lots, {options}")
    note("problem (save as problem.json for `allocate solve`):\n" + json.dumps(data, indent=2))
    return data
