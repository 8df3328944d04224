"""The published output contract: real outputs validate against the published JSON Schema.

The schemas are checked with a third-party validator (jsonschema, draft 2020-12), not with the
pydantic models that generated them, so a schema that does not describe what the library really
writes fails here.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from allocate import Allocation, Problem, solve
from allocate.cli import main
from allocate.examples import demo_dict, money_demo_dict
from allocate.schema import (
    FORMAT_VERSION,
    INPUT_SCHEMA_ID,
    JSON_SCHEMA_DIALECT,
    OUTPUT_SCHEMA_ID,
    Rejection,
    input_schema,
    output_schema,
)
from allocate.synthetic import consortium
from tests.conftest import simple_problem
from tests.golden.cases import HERE as GOLDEN

DOCS = Path(__file__).resolve().parents[2] / "docs"
VALIDATOR = jsonschema.Draft202012Validator


@pytest.fixture(scope="module")
def output_validator() -> jsonschema.Draft202012Validator:
    schema = output_schema()
    VALIDATOR.check_schema(schema)
    return VALIDATOR(schema, format_checker=VALIDATOR.FORMAT_CHECKER)


def _errors(validator: jsonschema.Draft202012Validator, document: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def _as_written(allocation: Allocation) -> Any:
    return json.loads(allocation.model_dump_json())


def _demo_with(**policy: object) -> Problem:
    data = demo_dict()
    data["policy"] = {**data.get("policy", {}), **policy}
    return Problem.model_validate(data)


def _no_choice_meets_min_award() -> Problem:
    """£10 in awards of 0 or at least £4, each at most 45%: two make £9, three £12."""
    data = simple_problem({"m1": "6", "m2": "6", "m3": "6"}, value="10")
    data["top_slice"] = {"max_rate": "0", "target_rate": "0", "method": "fixed", "rate": "0"}
    data["policy"] = {"max_member_share": "0.45", "min_award": "4"}
    return Problem.model_validate(data)


def test_both_schemas_are_draft_2020_12_with_an_id_naming_the_version() -> None:
    for schema, ident in ((input_schema(), INPUT_SCHEMA_ID), (output_schema(), OUTPUT_SCHEMA_ID)):
        VALIDATOR.check_schema(schema)
        assert schema["$schema"] == JSON_SCHEMA_DIALECT
        assert schema["$id"] == ident and ident.endswith(f":{FORMAT_VERSION}")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: solve(Problem.model_validate(demo_dict())), id="demo"),
        pytest.param(lambda: solve(Problem.model_validate(demo_dict()), method="lp"), id="demo-lp"),
        pytest.param(lambda: solve(_demo_with(max_member_share="0.05")), id="infeasible"),
        pytest.param(
            lambda: solve(_demo_with(min_award="40000", min_providers_per_area=2)), id="min-award"
        ),
        pytest.param(
            lambda: solve(
                consortium(
                    members=40,
                    lots=5,
                    seed=4,
                    side_constraints=["max_member_share", "small_org_share", "pooled_capacities"],
                )
            ),
            id="synthetic",
        ),
        pytest.param(
            lambda: solve(Problem.model_validate(simple_problem({"a": "10"}))), id="short-capacity"
        ),
        pytest.param(lambda: solve(_no_choice_meets_min_award()), id="proof-tree"),
        pytest.param(lambda: solve(Problem.model_validate(money_demo_dict())), id="money"),
    ],
)
def test_real_allocations_validate_against_the_output_schema(output_validator, make) -> None:
    allocation = make()
    document = _as_written(allocation)
    assert document["format_version"] == FORMAT_VERSION
    assert next(iter(document)) == "format_version"
    assert _errors(output_validator, document) == []


def test_the_infeasible_case_really_is_infeasible_and_carries_a_diagnosis(output_validator) -> None:
    document = _as_written(solve(_demo_with(max_member_share="0.05")))
    assert document["status"] == "infeasible" and document["diagnosis"]["relaxations"]
    assert _errors(output_validator, document) == []


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_every_golden_output_validates(output_validator, path: Path) -> None:
    assert _errors(output_validator, json.loads(path.read_text(encoding="utf-8"))) == []


def test_an_invalid_input_gives_a_rejection_that_validates(output_validator, tmp_path) -> None:
    data = simple_problem({"a": "600", "b": "700"})
    data["members"][0]["annual_income"] = "-3"
    data["capacities"][1]["lot"] = "nowhere"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    errors = tmp_path / "errors.json"
    assert main(["solve", str(bad), "--errors-json", str(errors)]) == 2
    document = json.loads(errors.read_text())
    assert _errors(output_validator, document) == []
    assert document["status"] == "invalid_input" and document["format_version"] == FORMAT_VERSION
    by_location = {i["location"]: i for i in document["issues"]}
    income = by_location["members[0].annual_income"]
    assert (income["id"], income["value"]) == ("a", "-3")
    assert "negative" in income["message"]
    lot = by_location["capacities[1].lot"]
    assert (lot["id"], lot["value"]) == ("b/nowhere", "nowhere")


@pytest.mark.parametrize(
    "text", ["{oops", "[]", '{"members": [{"id": "a", "id": "b"}]}', '{"name": NaN}']
)
def test_broken_json_text_gives_a_rejection_that_validates(output_validator, text) -> None:
    try:
        Problem.model_validate_json(text)
    except ValueError as exc:
        document = json.loads(Rejection.from_error(exc).model_dump_json())  # type: ignore[arg-type]
    else:  # pragma: no cover - the texts are all invalid
        pytest.fail(f"{text!r} was accepted")
    assert document["issues"] and _errors(output_validator, document) == []


def test_the_schema_refuses_what_the_library_never_writes(output_validator) -> None:
    # the validator can fail: each change breaks a promise the schema makes
    good = _as_written(solve(Problem.model_validate(demo_dict())))
    assert _errors(output_validator, good) == []
    broken = []
    no_version = copy.deepcopy(good)
    del no_version["format_version"]
    broken.append(no_version)
    other_version = copy.deepcopy(good)
    other_version["format_version"] = "2.0"
    broken.append(other_version)
    float_money = copy.deepcopy(good)
    float_money["awards"][0]["amount"] = 123.45
    broken.append(float_money)
    three_places = copy.deepcopy(good)
    three_places["contracts"][0]["top_slice"] = "1.234"
    broken.append(three_places)
    extra = copy.deepcopy(good)
    extra["audit"]["metrics"]["surprise"] = 1
    broken.append(extra)
    bad_status = copy.deepcopy(good)
    bad_status["status"] = "maybe"
    broken.append(bad_status)
    for document in broken:
        assert _errors(output_validator, document), document.get("status")


def test_the_input_schema_validates_the_demo_problem_as_written(tmp_path) -> None:
    path = tmp_path / "demo.json"
    assert main(["demo", "--quiet", "--problem", str(path)]) == 0
    validator = VALIDATOR(input_schema())
    assert _errors(validator, json.loads(path.read_text())) == []
    wrong = json.loads(path.read_text())
    wrong["members"][0]["unknown_field"] = 1
    assert _errors(validator, wrong)


def test_the_input_schema_is_the_problem_model_s_schema() -> None:
    schema = input_schema()
    assert {k: v for k, v in schema.items() if k not in ("$schema", "$id")} == (
        Problem.model_json_schema()
    )


def _output_fields() -> set[tuple[str, str]]:
    """Every (object, field) the output schema names."""
    defs = output_schema()["$defs"]
    return {
        (name, field)
        for name, definition in defs.items()
        for field in definition.get("properties", {})
    }


def test_docs_format_md_documents_every_output_field() -> None:
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    start = text.index("## The output")
    section = text[start:]
    headings = {
        m.group(1): m.start() for m in re.finditer(r"^#### `(\w+)`", section, flags=re.MULTILINE)
    }
    missing = []
    for name, field in sorted(_output_fields()):
        if name not in headings:
            missing.append(f"{name} (no section)")
            continue
        begin = headings[name]
        end = min([p for p in headings.values() if p > begin], default=len(section))
        if f"| `{field}` |" not in section[begin:end]:
            missing.append(f"{name}.{field}")
    assert not missing, f"docs/format.md does not document: {missing}"


def test_every_model_that_writes_format_version_names_the_one_version() -> None:
    from typing import get_args

    from allocate.review import Reallocation, TradeDecision, YearPlan
    from allocate.service import ServiceRefusal, Validated

    models = (
        Allocation,
        Rejection,
        Validated,
        ServiceRefusal,
        Reallocation,
        TradeDecision,
        YearPlan,
    )
    for model in models:
        field = model.model_fields["format_version"]
        assert get_args(field.annotation) == (FORMAT_VERSION,), model.__name__
        assert field.default == FORMAT_VERSION, model.__name__
