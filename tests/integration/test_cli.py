import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from allocate import solve
from allocate.cli import main
from allocate.examples import demo_problem
from allocate.report import FORMATS, html_report, markdown_report
from allocate.schema import FORMAT_VERSION, input_schema, output_schema
from tests.conftest import simple_problem


def test_demo_prints_a_summary(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "optimal" in out and "hub" in out and "Luton" in out


def test_solve_writes_json_and_report(tmp_path, capsys):
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(simple_problem({"a": "600", "b": "700"})))
    out_json, out_md = tmp_path / "a.json", tmp_path / "a.md"
    assert main(["solve", str(problem), "--json", str(out_json), "--report", str(out_md)]) == 0
    data = json.loads(out_json.read_text())
    total = sum(Decimal(a["amount"]) for a in data["awards"])
    assert total + Decimal(data["contracts"][0]["top_slice"]) == Decimal("1000")
    assert out_md.read_text().startswith("# Allocation report")


def test_invalid_input_exits_2_with_a_readable_message(tmp_path, capsys):
    data = simple_problem({"a": "600"})
    data["members"][0]["annual_income"] = "-3"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["solve", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "annual_income" in err and "'a'" in err and "-3" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("content", ["{oops", "[]", ""])
def test_broken_json_exits_2(tmp_path, capsys, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["solve", str(bad)]) == 2
    assert "invalid problem" in capsys.readouterr().err


def test_missing_file_exits_2(capsys):
    assert main(["solve", "/nonexistent/p.json"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_infeasible_exits_1(tmp_path, capsys):
    f = tmp_path / "p.json"
    f.write_text(json.dumps(simple_problem({"a": "10"})))
    assert main(["solve", str(f)]) == 1
    assert "short by" in capsys.readouterr().out


def test_schema_is_json(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Problem"


def test_plain_schema_is_the_input_schema_and_output_is_the_other(capsys):
    assert main(["schema"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["schema", "input"]) == 0
    assert json.loads(capsys.readouterr().out) == plain == input_schema()
    assert main(["schema", "output"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output == output_schema() and output["$id"] != plain["$id"]
    assert {ref["$ref"] for ref in output["anyOf"]} == {
        "#/$defs/Allocation",
        "#/$defs/Rejection",
        "#/$defs/Reallocation",
        "#/$defs/TradeDecision",
        "#/$defs/YearPlan",
    }


def test_an_unknown_schema_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "problems"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_json_dash_puts_only_the_allocation_on_stdout(tmp_path, capsys):
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(simple_problem({"a": "600", "b": "700"})))
    assert main(["solve", str(problem), "--json", "-"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)  # nothing else on stdout
    assert data["format_version"] == FORMAT_VERSION and data["status"] == "optimal"
    assert "optimal" in captured.err  # the summary went beside it


def test_json_dash_puts_the_issues_on_stdout_when_the_input_is_invalid(tmp_path, capsys):
    data = simple_problem({"a": "600"})
    data["contracts"][0]["lots"][0]["value"] = "abc"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["solve", str(bad), "--json", "-"]) == 2
    captured = capsys.readouterr()
    rejection = json.loads(captured.out)
    assert rejection["status"] == "invalid_input"
    [issue] = [i for i in rejection["issues"] if i["location"] == "contracts[0].lots[0].value"]
    assert issue["value"] == "abc" and issue["id"] == data["contracts"][0]["lots"][0]["id"]
    assert "invalid problem" in captured.err


def test_errors_json_is_written_only_for_invalid_input(tmp_path, capsys, monkeypatch):
    good = tmp_path / "p.json"
    good.write_text(json.dumps(simple_problem({"a": "600", "b": "700"})))
    errors = tmp_path / "errors.json"
    assert main(["solve", str(good), "--errors-json", str(errors), "--quiet"]) == 0
    assert not errors.exists()
    monkeypatch.setattr(sys, "stdin", io.StringIO("[1]"))
    assert main(["solve", "-", "--errors-json", "-"]) == 2
    rejection = json.loads(capsys.readouterr().out)
    assert rejection["issues"][0]["message"].startswith("the top level must be a JSON object")


def test_errors_json_to_a_missing_folder_is_refused_before_reading(tmp_path, capsys):
    target = tmp_path / "missing" / "errors.json"
    assert main(["solve", "/nonexistent.json", "--errors-json", str(target)]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_demo_problem_file_solves_the_same(tmp_path, capsys):
    f = tmp_path / "demo.json"
    a1, a2 = tmp_path / "a1.json", tmp_path / "a2.json"
    assert main(["demo", "--problem", str(f), "--json", str(a1), "--quiet"]) == 0
    assert main(["solve", str(f), "--json", str(a2), "--quiet"]) == 0
    assert a1.read_bytes() == a2.read_bytes()


def test_console_script_runs_as_a_process():
    proc = subprocess.run(
        [sys.executable, "-m", "allocate.cli", "solve", "/nonexistent.json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def demo_reports():
    """Each renderer's report of the demo, as ``allocate demo`` should write it."""
    allocation = solve(demo_problem())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", _EPOCH)
        return {render: render(allocation) for render in set(FORMATS.values())}


@pytest.mark.parametrize("name", [f"report{suffix}" for suffix in FORMATS] + ["REPORT.HTML"])
def test_report_format_follows_the_file_suffix(tmp_path, demo_reports, name, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", _EPOCH)  # the HTML report's date, the same in both
    out = tmp_path / name
    assert main(["demo", "--quiet", "--report", str(out)]) == 0
    render = FORMATS[Path(name).suffix.lower()]
    assert out.read_text(encoding="utf-8") == demo_reports[render]


@pytest.mark.parametrize("name", ["out.pdf", "out.txt", "out", "out.docx"])
def test_an_unsupported_report_suffix_is_refused_before_solving(tmp_path, capsys, name):
    out = tmp_path / name
    assert main(["demo", "--report", str(out)]) == 2
    err = capsys.readouterr()
    assert not out.exists() and err.out == ""  # refused before solving: no summary printed
    named = repr(Path(name).suffix) if Path(name).suffix else "no suffix"
    assert named in err.err and ".md, .html, .htm" in err.err


def test_report_formats_are_the_documented_ones():
    # docs/cli.md: an HTML page for .html or .htm, Markdown for .md, nothing else
    assert FORMATS[".html"] is FORMATS[".htm"] is html_report
    assert FORMATS[".md"] is markdown_report
    assert set(FORMATS) == {".md", ".html", ".htm"}


def test_a_new_format_is_one_entry(tmp_path, monkeypatch):
    monkeypatch.setitem(FORMATS, ".csv", lambda a: f"status,{a.status.value}\n")
    out = tmp_path / "r.csv"
    assert main(["demo", "--quiet", "--report", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == "status,optimal\n"


def test_demo_tender_solves_the_example_with_a_sub_tendered_lot(tmp_path: Path) -> None:
    out, problem = tmp_path / "a.json", tmp_path / "p.json"
    assert main(["demo", "--tender", "--quiet", "--json", str(out), "--problem", str(problem)]) == 0
    data = json.loads(out.read_text())
    assert [t["lot"] for t in data["audit"]["tenders"]] == ["debt-advice-luton"]
    assert json.loads(problem.read_text())["bids"]
    assert main(["demo", "--quiet", "--json", str(out)]) == 0
    assert "tenders" not in json.loads(out.read_text())["audit"]
