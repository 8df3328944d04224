"""``allocate check-certificate``: exit 0 proved, 1 refused, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

from allocate.cli import main
from allocate.core.examples import demo_dict


def _solved(tmp_path: Path, **policy: object) -> tuple[Path, Path]:
    data = demo_dict()
    data["policy"] = {**data.get("policy", {}), **policy}
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(data), encoding="utf-8")
    allocation = tmp_path / "allocation.json"
    main(["solve", str(problem), "--json", str(allocation), "--quiet"])
    return problem, allocation


def test_a_solved_allocation_s_certificate_is_proved(tmp_path, capsys):
    problem, allocation = _solved(tmp_path, max_member_share="0.6")
    capsys.readouterr()
    assert main(["check-certificate", str(problem), str(allocation)]) == 0
    out = capsys.readouterr().out
    assert "certificate (leximin) proved" in out
    assert "without lowering a member who is already worse off" in out


def test_an_infeasible_problem_s_certificate_is_proved_as_json(tmp_path, capsys):
    problem, allocation = _solved(tmp_path, max_member_share="0.05")
    capsys.readouterr()
    assert main(["check-certificate", str(problem), str(allocation), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["ok"] is True and found["kind"] == "infeasible"
    assert "no allocation exists" in found["proved"]


def test_a_tampered_allocation_is_refused_with_exit_1(tmp_path, capsys):
    problem, allocation = _solved(tmp_path, max_member_share="0.6")
    data = json.loads(allocation.read_text(encoding="utf-8"))
    lot = data["awards"][0]["lot"]
    on_lot = [a for a in data["awards"] if a["lot"] == lot]
    assert len(on_lot) > 1
    on_lot[0]["amount"] = f"{float(on_lot[0]['amount']) - 1:.2f}"
    on_lot[1]["amount"] = f"{float(on_lot[1]['amount']) + 1:.2f}"
    allocation.write_text(json.dumps(data), encoding="utf-8")
    capsys.readouterr()
    assert main(["check-certificate", str(problem), str(allocation)]) == 1
    assert "certificate refused" in capsys.readouterr().out


def test_bad_input_exits_2(tmp_path, capsys):
    problem, allocation = _solved(tmp_path)
    assert main(["check-certificate", str(problem), str(tmp_path / "none.json")]) == 2
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    assert main(["check-certificate", str(problem), str(tmp_path / "bad.json")]) == 2
    assert main(["check-certificate", str(tmp_path / "bad.json"), str(allocation)]) == 2
    assert "allocate:" in capsys.readouterr().err


def test_a_sub_tendered_allocation_s_certificate_is_proved_and_says_what_for_the_tender(
    tmp_path, capsys
):
    from allocate.core.examples import tender_demo_dict

    data = tender_demo_dict()
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(data), encoding="utf-8")
    allocation = tmp_path / "allocation.json"
    main(["solve", str(problem), "--json", str(allocation), "--quiet"])
    written = json.loads(allocation.read_text(encoding="utf-8"))
    assert written["certificate"]["tender"], "the tender outcome is written"
    capsys.readouterr()
    assert main(["check-certificate", str(problem), str(allocation)]) == 0
    out = capsys.readouterr().out
    assert "sub-tendered lot(s) the fair shares are the competition's split" in out
    # a winner's award moved down the ranking is refused
    lot = written["certificate"]["tender"][0]
    winners = lot["winners"]
    on_lot = {a["member"]: a for a in written["awards"] if a["lot"] == lot["lot"]}
    if len(winners) > 1:
        better, worse = on_lot[winners[0]], on_lot[winners[-1]]
        better["amount"] = f"{float(better['amount']) - 1:.2f}"
        worse["amount"] = f"{float(worse['amount']) + 1:.2f}"
        allocation.write_text(json.dumps(written), encoding="utf-8")
        capsys.readouterr()
        assert main(["check-certificate", str(problem), str(allocation)]) == 1
