"""Fuzzing the input: hostile values and hostile JSON text give a named error or a verified answer.

Valid problems are drawn with :func:`allocate.testing.problem_dicts`; one place in each (a field
of a member, a lot, a capacity, the policy ...) is then replaced by a hostile value, or the JSON
text is mutated (a key given twice, deep nesting, numbers in other scripts or with huge
exponents, truncation).  Whatever comes in, exactly one of two things may come out:

* a :class:`~allocate.ProblemError` whose every issue names where it is (on the command line:
  exit 2 with the message, never a traceback); or
* a problem that :func:`allocate.solve` answers with a status, verified when it is ``optimal``.

A hang shows as hypothesis's deadline; any other exception fails the test.  The per-commit run
keeps to the ``ci`` profile's example count.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocate import Problem, ProblemError, solve
from allocate.cli import main
from allocate.testing import problem_dicts

pytestmark = pytest.mark.slow

#: Generous: an example that takes this long has hung (the slowest legitimate one takes < 1 s).
_HANG = timedelta(seconds=30)

_HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "6_00",
        "١٢٣",  # Arabic-Indic digits
        "１２",  # full-width digits
        "1e-999999999",
        "1e999999999",
        "-0",
        "NaN",
        "-Infinity",
        "0x10",
        "1,000",
        "12\u00a000",
        "\u202e12",
        "9" * 5000,
        "0." + "1" * 5000,
        "a" * 10_000,
        "\x00",
        "null",
    ]
)
_HOSTILE_NUMBER = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**20, 2**63, -(2**63) - 1, 10**4000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [Decimal("1e-400"), Decimal("-0"), Decimal("1e16"), Decimal("NaN"), Decimal("1e-999999999")]
    ),
)
_HOSTILE = st.one_of(
    _HOSTILE_TEXT,
    _HOSTILE_NUMBER,
    st.booleans(),
    st.none(),
    st.just([]),
    st.just({}),
    st.recursive(st.just(1), lambda inner: st.lists(inner, max_size=2), max_leaves=40),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the document a value could be replaced at."""
    out = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _places(value, (*path, key))
    elif isinstance(data, list):
        for n, value in enumerate(data):
            out += _places(value, (*path, n))
    return out


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(data)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def _check_outcome(data: Any) -> None:
    try:
        problem = Problem.model_validate(data)
    except ProblemError as exc:
        issues = exc.issues
    else:
        allocation = solve(problem)  # verifies independently; a failure raises
        assert allocation.status.value in ("optimal", "infeasible", "time_limit", "solver_error")
        if not allocation.status.is_ok:
            assert allocation.diagnosis is not None
        return
    assert issues and all(issue.message for issue in issues), issues


@settings(deadline=_HANG)
@given(data=st.data())
def test_a_hostile_value_anywhere_is_named_or_solved(data: st.DataObject) -> None:
    problem = data.draw(problem_dicts(max_members=4, max_lots=3))
    places = _places(problem)
    path = data.draw(st.sampled_from(places))
    _check_outcome(_replace(problem, path, data.draw(_HOSTILE)))


@settings(deadline=_HANG)
@given(data=st.data())
def test_a_missing_or_unknown_field_is_named(data: st.DataObject) -> None:
    problem = data.draw(problem_dicts(max_members=4, max_lots=3))
    containers = [p for p in _places(problem) if isinstance(_at(problem, p), dict)] or [()]
    path = data.draw(st.sampled_from(containers))
    target = copy.deepcopy(problem)
    node = _at(target, path)
    if node and data.draw(st.booleans()):
        del node[data.draw(st.sampled_from(sorted(node)))]
    else:
        node[data.draw(st.sampled_from(["unknown", "Id", "value ", "ünïcode"]))] = 1
    _check_outcome(target)


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _mutate_text(text: str, data: st.DataObject) -> str:
    kind = data.draw(
        st.sampled_from(["duplicate", "nest", "number", "truncate", "bom", "unicode", "constant"])
    )
    if kind == "duplicate":
        # give some key of some object twice, with another value
        keys = [m.start() for m in re.finditer(r'"[a-z_]+": ', text)]
        at = data.draw(st.sampled_from(keys))
        end = text.index(": ", at) + 2
        key = text[at:end]
        return text[:at] + key + "0, " + text[at:]
    if kind == "nest":
        depth = data.draw(st.sampled_from([33, 200, 5000, 60_000]))
        return text[:-1] + ', "name": ' + "[" * depth + "]" * depth + "}"
    if kind == "number":
        digits = [m.start() for m in re.finditer(r"(?<=[\s:\[])-?\d", text)]
        if not digits:
            return text + "x"
        at = data.draw(st.sampled_from(digits))
        end = at + 1
        while end < len(text) and text[end] in "0123456789.eE+-":
            end += 1
        hostile = data.draw(
            st.sampled_from(["1e-999999999", "1e400", "9" * 100, "1" + "0" * 40, "-0", "0.0000"])
        )
        return text[:at] + hostile + text[end:]
    if kind == "truncate":
        return text[: data.draw(st.integers(min_value=0, max_value=len(text) - 1))]
    if kind == "bom":
        return "\ufeff" + text
    if kind == "unicode":
        return text.replace('"1', '"١', 1)
    return text.replace("0.", "NaN, 0.", 1) if "0." in text else text + "NaN"


@settings(deadline=_HANG)
@given(data=st.data())
def test_hostile_json_text_exits_0_1_or_2_without_a_traceback(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    problem = data.draw(problem_dicts(max_members=4, max_lots=3))
    text = _mutate_text(json.dumps(problem, indent=1), data)
    path = tmp_path_factory.mktemp("fuzz") / "problem.json"
    path.write_text(text, encoding="utf-8")
    with (
        contextlib.redirect_stderr(io.StringIO()) as stderr,
        contextlib.redirect_stdout(io.StringIO()),
    ):
        code = main(["solve", str(path), "--quiet"])
    err = stderr.getvalue()
    assert code in (0, 1, 2), code
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("allocate: ") and len(err.strip()) > len("allocate: ")
