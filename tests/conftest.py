"""Shared fixtures and hypothesis profiles (``dev`` fast, ``ci`` thorough and derandomised)."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


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
