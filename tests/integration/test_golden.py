"""Outputs of fixed inputs stay byte-identical (see tests/golden/cases.py)."""

from __future__ import annotations

import pytest

from tests.golden.cases import CASES, HERE, outputs


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_match_the_golden_files(name: str) -> None:
    fresh = outputs(name)
    assert fresh, name
    for file, text in fresh.items():
        golden = (HERE / file).read_text(encoding="utf-8")
        assert text == golden, f"{file} differs from the golden file"
