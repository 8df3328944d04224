"""Shared fixtures, and the test kit's hypothesis profiles loaded (``allocate-dev`` fast,
``allocate-ci`` thorough and derandomised): importing the kit loads nothing by itself."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from allocate.testing.settings import load_profile

# allocate-dev (fast) locally, allocate-ci (more examples, derandomised) when $CI is set;
# $HYPOTHESIS_PROFILE wins
load_profile()


def member(id: str, income: str = "50000", **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": id,
        "membership": "full",
        "annual_income": income,
        "quality_score": 0.8,
        "qa_passed": True,
        "reporting_compliance": 0.9,
        "themes": ["advice"],
        "areas": ["Luton"],
    }
    base.update(kw)
    return base


def simple_problem(caps: dict[str, str], value: str = "1000", **extra: Any) -> dict[str, Any]:
    """One contract, one lot (advice, Luton), one member per capacity."""
    data: dict[str, Any] = {
        "members": [member(m) for m in caps],
        "contracts": [
            {
                "id": "c1",
                "commissioner": "Luton BC",
                "value": value,
                "lots": [{"id": "l1", "value": value, "theme": "advice", "area": "Luton"}],
            }
        ],
        "capacities": [{"member": m, "lot": "l1", "amount": a} for m, a in caps.items()],
    }
    data.update(extra)
    return data


@pytest.fixture
def demo_data() -> dict[str, Any]:
    from allocate.examples import demo_dict

    return copy.deepcopy(demo_dict())
