"""``allocate statements``: the files it writes, and the inputs it refuses (exit 2, named)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from allocate import Allocation, Problem, solve
from allocate.cli import main
from allocate.examples import demo_dict
from tests.conftest import simple_problem


@pytest.fixture
def problem_file(tmp_path: Path) -> Path:
    path = tmp_path / "consortium.json"
    path.write_text(json.dumps(demo_dict(), indent=2))
    return path


def test_writes_every_statement_the_problem_the_allocation_and_an_index(
    tmp_path, problem_file, capsys, monkeypatch
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1772323200")  # 1 March 2026
    out = tmp_path / "statements"
    assert main(["statements", str(problem_file), "--out", str(out)]) == 0
    assert "11 statement(s) written" in capsys.readouterr().out
    problem = Problem.model_validate(demo_dict())
    names = {p.name for p in out.iterdir()}
    for m in problem.members:
        assert {f"statement-{m.id}.html", f"statement-{m.id}.md"} <= names
    assert {"index.html", "index.md", "problem.json", "allocation.json"} <= names
    assert (out / "problem.json").read_bytes() == problem_file.read_bytes()
    explained = Allocation.model_validate_json((out / "allocation.json").read_text())
    assert explained == solve(problem)
    page = (out / "statement-marston-green.html").read_text()
    assert "allocate check-certificate problem.json allocation.json" in page
    assert "1 March 2026" in page and "Marston Vale Green Spaces" in page
    index = (out / "index.md").read_text()
    assert all(f"statement-{m.id}.md" in index for m in problem.members)
    # the same input, the same date: the same bytes
    again = tmp_path / "again"
    assert main(["statements", str(problem_file), "--out", str(again), "--quiet"]) == 0
    for name in names:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_explains_a_given_allocation_for_chosen_members_in_one_format(
    tmp_path, problem_file, capsys
):
    alloc = tmp_path / "made.json"
    assert main(["solve", str(problem_file), "--json", str(alloc), "--quiet"]) == 0
    out = tmp_path / "out"
    args = ["statements", str(problem_file), "--out", str(out), "--allocation", str(alloc)]
    args += ["--member", "leagrave-men", "--member", "chiltern-mind", "--format", "md"]
    assert main(args) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "allocation.json",
        "index.md",
        "problem.json",
        "statement-chiltern-mind.md",
        "statement-leagrave-men.md",
    ]
    assert (out / "allocation.json").read_bytes() == alloc.read_bytes()
    text = (out / "statement-chiltern-mind.md").read_text()
    award = Allocation.model_validate_json(alloc.read_text()).award("chiltern-mind")
    assert f"£{award:,.2f}" in text


def test_odd_member_ids_get_safe_file_names_inside_the_folder(tmp_path, capsys):
    data = simple_problem({"../up": "600", "a/b": "700", "A": "500", "a": "400"})
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    out = tmp_path / "out"
    assert main(["statements", str(path), "--out", str(out), "--quiet"]) == 0
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.parent in (tmp_path, out) for p in files)
    statements = {p.name for p in out.glob("statement-*")}
    assert len(statements) == 8 and len({n.casefold() for n in statements}) == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--member", "nobody"], "--member: no member with id 'nobody'"),
        (["--max-solves", "-1"], "--max-solves must be 0 or more, not -1"),
        (["--allocation", "{missing}"], "no such file"),
    ],
)
def test_bad_options_exit_2_naming_the_value(tmp_path, problem_file, capsys, args, message):
    args = [a.replace("{missing}", str(tmp_path / "missing.json")) for a in args]
    assert main(["statements", str(problem_file), "--out", str(tmp_path / "o"), *args]) == 2
    assert message in capsys.readouterr().err


def test_an_allocation_of_another_problem_or_not_an_allocation_exits_2(
    tmp_path, problem_file, capsys
):
    other = tmp_path / "other.json"
    other.write_text(json.dumps(simple_problem({"a": "2000"})))
    made = tmp_path / "made.json"
    assert main(["solve", str(other), "--json", str(made), "--quiet"]) == 0
    out = str(tmp_path / "o")
    assert main(["statements", str(problem_file), "--out", out, "--allocation", str(made)]) == 2
    assert "audit.fingerprint: the allocation was made for another problem" in (
        capsys.readouterr().err
    )
    args = ["statements", str(problem_file), "--out", out, "--allocation", str(problem_file)]
    assert main(args) == 2
    assert "not an allocation" in capsys.readouterr().err


def test_invalid_problem_exits_2_naming_field_id_and_value(tmp_path, capsys):
    data = simple_problem({"a": "600"})
    data["members"][0]["annual_income"] = "-3"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["statements", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "invalid problem" in err and "annual_income" in err and "'a'" in err and "-3" in err


def test_out_folder_that_cannot_be_used_exits_2(tmp_path, problem_file, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert main(["statements", str(problem_file), "--out", str(a_file)]) == 2
    assert "it is a file, not a folder" in capsys.readouterr().err
    deep = tmp_path / "no" / "such"
    assert main(["statements", str(problem_file), "--out", str(deep)]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_a_bad_source_date_epoch_exits_2(tmp_path, problem_file, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    assert main(["statements", str(problem_file), "--out", str(tmp_path / "o")]) == 2
    assert "SOURCE_DATE_EPOCH must be whole seconds" in capsys.readouterr().err


def test_no_allocation_exits_1_and_writes_no_statement(tmp_path, capsys):
    short = tmp_path / "short.json"
    short.write_text(json.dumps(simple_problem({"a": "10"})))
    out = tmp_path / "o"
    assert main(["statements", str(short), "--out", str(out)]) == 1
    assert "no statements written" in capsys.readouterr().err
    assert not list(out.iterdir())


def test_top_slice_parts_in_the_written_statements_add_up(tmp_path, problem_file, capsys):
    out = tmp_path / "o"
    assert main(["statements", str(problem_file), "--out", str(out), "--format", "md"]) == 0
    allocation = Allocation.model_validate_json((out / "allocation.json").read_text())
    total = Decimal(0)
    for p in out.glob("statement-*.md"):
        line = next(x for x in p.read_text().splitlines() if "hub's top-slice is" in x)
        total += Decimal(line.rsplit("£", 1)[1].rstrip(".").replace(",", ""))
    assert total == allocation.top_slice
