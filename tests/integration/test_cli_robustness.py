"""The command line never loses a result and never shows a traceback for bad input or paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from allocate import cli
from allocate.cli import main
from tests.conftest import simple_problem


def _problem(tmp_path: Path, **policy: object) -> Path:
    data = simple_problem({"a": "600", "b": "700"})
    data["policy"] = {**data.get("policy", {}), **policy}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    return path


def test_deeply_nested_json_exits_2_naming_the_field(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"name": ' + "[" * 50_000 + "]" * 50_000 + "}")
    proc = subprocess.run(
        [sys.executable, "-m", "allocate.cli", "solve", str(deep)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "name" in proc.stderr and "nesting" in proc.stderr


def test_duplicate_keys_exit_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _problem(tmp_path)
    text = path.read_text().replace('"id": "a",', '"id": "a", "id": "z",', 1)
    assert text != path.read_text()
    path.write_text(text)
    assert main(["solve", str(path)]) == 2
    assert "duplicate key 'id'" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--json", "--report"])
def test_an_output_in_a_missing_folder_is_refused_before_solving(
    tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    solved = []
    monkeypatch.setattr(cli, "solve", lambda *a, **k: solved.append(1))
    target = tmp_path / "missing" / "out.json"
    assert main(["solve", str(_problem(tmp_path)), option, str(target)]) == 2
    err = capsys.readouterr().err
    assert "no such folder" in err and str(target.parent) in err
    assert not solved


def test_an_output_onto_a_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--json", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_a_failed_write_keeps_the_result_in_a_named_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    real = Path.write_text

    def failing(self: Path, *args: object, **kwargs: object) -> int:
        if self == target:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", failing)
    assert main(["solve", str(_problem(tmp_path)), "--json", str(target), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "No space left" in err and "saved in" in err
    kept = Path(err.rsplit("saved in ", 1)[1].strip())
    try:
        data = json.loads(kept.read_text())
        assert data["status"] == "optimal" and data["awards"]
    finally:
        kept.unlink()


def test_closed_form_with_side_constraints_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _problem(tmp_path, max_member_share="0.9")
    assert main(["solve", str(path), "--method", "closed_form"]) == 2
    err = capsys.readouterr().err
    assert "closed_form" in err and "max_member_share" in err and "Traceback" not in err
