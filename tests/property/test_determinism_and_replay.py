"""Same input, same bytes; JSON round-trips; and every counter-example replays from its JSON."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from allocate import Allocation, Problem, solve
from allocate.cli import main
from allocate.testing import (
    check_determinism,
    check_json_round_trip,
    examples,
    problems,
    replay_json,
)

SIZE = {"max_members": 6, "max_lots": 4, "max_contracts": 3}


@given(problems(**SIZE))
def test_same_input_same_json(problem):
    assert check_determinism(problem)


@given(problems(**SIZE))
def test_problem_and_allocation_survive_json(problem):
    assert check_json_round_trip(problem)


@examples(0.2)
@given(problems(side_constraints="any", feasible=False, **SIZE))
def test_the_replay_json_solves_to_the_same_allocation_from_the_command_line(problem):
    # what a failing property prints (replay_json) is what `allocate solve` replays
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "problem.json", Path(folder) / "allocation.json"
        source.write_text(replay_json(problem), encoding="utf-8")
        code = main(["solve", str(source), "--json", str(out), "--quiet"])
        replayed = Allocation.model_validate_json(out.read_text(encoding="utf-8"))
    expected = solve(Problem.model_validate_json(replay_json(problem)))
    assert code == (0 if expected.status.is_ok else 1)
    assert replayed == expected
