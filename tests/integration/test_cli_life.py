"""``allocate review``, ``trade`` and ``years``: outputs, exit codes and the error conventions."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from allocate.cli import main
from allocate.core.schema import output_schema
from tests.unit.test_years import _problem


def _files(tmp_path: Path) -> dict[str, Path]:
    out = {
        "problem": tmp_path / "p.json",
        "review": tmp_path / "review.json",
        "bad": tmp_path / "bad.json",
        "trade": tmp_path / "trade.json",
        "plan": tmp_path / "plan.json",
    }
    out["problem"].write_text(_problem().model_dump_json())
    out["review"].write_text(
        json.dumps(
            {"elapsed": "0.5", "deliveries": [{"member": "a", "lot": "l1", "amount": "700"}]}
        )
    )
    out["bad"].write_text(
        json.dumps({"elapsed": "0.5", "deliveries": [{"member": "a", "lot": "l1", "amount": "-3"}]})
    )
    out["trade"].write_text(json.dumps({"lot": "l1", "seller": "a", "buyer": "c", "amount": "10"}))
    out["plan"].write_text(json.dumps({"stability": "0.02"}))
    return out


def test_review_then_trade_write_documents_that_validate(tmp_path, capsys) -> None:
    f = _files(tmp_path)
    made = tmp_path / "made.json"
    assert main(["solve", str(f["problem"]), "--json", str(made), "--quiet"]) == 0
    after, report = tmp_path / "after.json", tmp_path / "after.md"
    code = main(
        [
            "review",
            str(f["problem"]),
            str(made),
            str(f["review"]),
            "--json",
            str(after),
            "--report",
            str(report),
        ]
    )
    assert code == 0 and "version 2" in capsys.readouterr().out
    doc = json.loads(after.read_text())
    jsonschema.validate(doc, output_schema())
    assert (
        doc["kind"] == "reallocation" and "As made, delivered and reallocated" in report.read_text()
    )
    traded = tmp_path / "traded.json"
    assert (
        main(["trade", str(f["problem"]), str(after), str(f["trade"]), "--json", str(traded)]) == 0
    )
    decision = json.loads(traded.read_text())
    jsonschema.validate(decision, output_schema())
    assert decision["approved"] and decision["version"]["number"] == 3


def test_a_bad_review_exits_2_with_the_issue_named_as_json(tmp_path, capsys) -> None:
    f = _files(tmp_path)
    made = tmp_path / "made.json"
    main(["solve", str(f["problem"]), "--json", str(made), "--quiet"])
    capsys.readouterr()
    code = main(["review", str(f["problem"]), str(made), str(f["bad"]), "--errors-json", "-"])
    captured = capsys.readouterr()
    assert code == 2
    rejection = json.loads(captured.out)
    jsonschema.validate(rejection, output_schema())
    issue = rejection["issues"][0]
    assert issue["location"] == "deliveries[0].amount" and issue["value"] == "-3"
    assert "invalid input" in captured.err


def test_years_exit_1_with_the_conflict_and_a_year_plan_is_not_a_version(tmp_path, capsys) -> None:
    f = _files(tmp_path)
    out, report = tmp_path / "plan-out.json", tmp_path / "plan.html"
    code = main(
        ["years", str(f["problem"]), str(f["plan"]), "--json", str(out), "--report", str(report)]
    )
    assert code == 1 and "stability rule conflicts" in capsys.readouterr().out
    jsonschema.validate(json.loads(out.read_text()), output_schema())
    assert "Years × members" in report.read_text() and "<script" not in report.read_text()
    assert main(["years", str(f["problem"]), "--stability", "0.5", "--quiet"]) == 0
    code = main(["review", str(f["problem"]), str(out), str(f["review"])])
    assert code == 2 and "is a year plan, not a version" in capsys.readouterr().err
    assert main(["years", str(f["problem"]), "--report", str(tmp_path / "x.pdf")]) == 2
