"""docs/api.md is generated from the docstrings and must be up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "docs" / "gen_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_up_to_date() -> None:
    expected = _generator().build()
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == expected, (
        "docs/api.md is out of date: run `python3 -m uv run python docs/gen_api.py`"
    )


def test_api_reference_covers_the_public_names() -> None:
    import allocate
    import allocate.scenarios

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in [*allocate.__all__, *allocate.scenarios.__all__]:
        if not name.startswith("__"):
            assert f"`{name}" in text, name
    assert " at 0x" not in text  # nothing machine-specific


def test_notebooks_are_committed_without_outputs() -> None:
    import json

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 3
    for path in notebooks:
        book = json.loads(path.read_text(encoding="utf-8"))
        for cell in book["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs") == [], f"{path.name}: outputs not stripped"
                assert cell.get("execution_count") is None, f"{path.name}: execution count"
