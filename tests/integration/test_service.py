"""The HTTP service, in process (httpx over ASGI) and as a real server (``allocate serve``).

Nothing here measures time: the time-limit tests give a solve far less time than it needs
(a fraction of a second for a problem that takes seconds) and check it was stopped.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from allocate import Problem, solve
from allocate.cli import main
from allocate.examples import demo_dict
from allocate.schema import input_schema, output_schema
from allocate.service import ServiceLimits, ServiceUnavailableError, create_app
from allocate.synthetic import consortium_dict
from tests.conftest import simple_problem

OUTPUT = jsonschema.Draft202012Validator(output_schema())
EVERY_SIDE_CONSTRAINT = [
    "min_award",
    "max_member_share",
    "max_dependency",
    "small_org_share",
    "case_mix_tolerance",
    "min_providers_per_area",
    "exclusions",
    "pooled_capacities",
]


def _large_problem() -> bytes:
    """A problem that takes a couple of seconds to solve here (300 members, every constraint)."""
    data = consortium_dict(members=300, lots=8, seed=1, side_constraints=EVERY_SIDE_CONSTRAINT)
    return json.dumps(data).encode()


def _demo() -> bytes:
    return json.dumps(demo_dict()).encode()


def _invalid() -> dict[str, Any]:
    data = simple_problem({"a": "600", "b": "700"})
    data["members"][0]["annual_income"] = "-3"
    data["capacities"][1]["lot"] = "nowhere"
    return data


def call(app: Any, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request to ``app`` in process, through httpx's ASGI transport."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(ServiceLimits(max_body_bytes=50_000, solve_seconds=120, max_solves=2))


# -- in process -------------------------------------------------------------------------------


def test_validate_summarises_a_valid_problem(app) -> None:
    response = call(app, "POST", "/validate", content=_demo())
    assert response.status_code == 200
    problem = Problem.model_validate(demo_dict())
    assert response.json() == {
        "format_version": "1.2",
        "status": "valid",
        "problem_name": problem.name,
        "members": len(problem.members),
        "contracts": len(problem.contracts),
        "lots": len(problem.lots),
        "capacities": len(problem.capacities),
    }


@pytest.mark.parametrize("path", ["/validate", "/solve"])
def test_an_invalid_problem_is_a_422_with_the_same_issues_as_errors_json(
    app, path: str, tmp_path: Path
) -> None:
    data = _invalid()
    bad, errors = tmp_path / "bad.json", tmp_path / "errors.json"
    bad.write_text(json.dumps(data))
    assert main(["solve", str(bad), "--errors-json", str(errors)]) == 2
    response = call(app, "POST", path, content=json.dumps(data))
    assert response.status_code == 422
    assert response.json() == json.loads(errors.read_text())
    locations = {i["location"]: (i["id"], i["value"]) for i in response.json()["issues"]}
    assert locations["members[0].annual_income"] == ("a", "-3")
    assert locations["capacities[1].lot"] == ("b/nowhere", "nowhere")


def test_solve_answers_exactly_what_the_library_writes(app) -> None:
    response = call(app, "POST", "/solve", content=_demo())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = solve(Problem.model_validate(demo_dict())).model_dump_json()
    assert response.text == expected
    assert not list(OUTPUT.iter_errors(response.json()))


def test_an_infeasible_problem_is_answered_with_its_diagnosis(app) -> None:
    response = call(app, "POST", "/solve", content=json.dumps(simple_problem({"a": "10"})))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "infeasible" and body["diagnosis"]["lots"]
    assert not list(OUTPUT.iter_errors(body))


def test_the_method_is_passed_on_and_checked(app) -> None:
    lp = call(app, "POST", "/solve", params={"method": "lp"}, content=_demo())
    assert lp.status_code == 200 and lp.json()["audit"]["solver"]["method"] == "lp"
    wrong = call(app, "POST", "/solve", params={"method": "guess"}, content=_demo())
    assert wrong.status_code == 422
    [issue] = wrong.json()["issues"]
    assert (issue["location"], issue["value"]) == ("query.method", "guess")
    assert not list(OUTPUT.iter_errors(wrong.json()))


def test_a_method_the_problem_does_not_allow_is_a_422(app) -> None:
    data = demo_dict()
    data["policy"] = {**data.get("policy", {}), "max_member_share": "0.4"}
    response = call(
        app, "POST", "/solve", params={"method": "closed_form"}, content=json.dumps(data)
    )
    assert response.status_code == 422
    [issue] = response.json()["issues"]
    assert issue["location"] == "query.method" and issue["value"] == "closed_form"
    assert "closed" in issue["message"]


def test_the_schemas_are_served(app) -> None:
    assert call(app, "GET", "/schema/input").json() == input_schema()
    assert call(app, "GET", "/schema/output").json() == output_schema()


def _without_null_defaults(node: Any) -> Any:
    # FastAPI leaves out pydantic's "default": null; nothing else may differ
    if isinstance(node, dict):
        return {
            k: _without_null_defaults(v)
            for k, v in node.items()
            if not (k == "default" and v is None)
        }
    if isinstance(node, list):
        return [_without_null_defaults(v) for v in node]
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_the_openapi_document_comes_from_the_same_models(app) -> None:
    document = call(app, "GET", "/openapi.json").json()
    assert call(app, "GET", "/docs").status_code == 404  # no page that loads outside scripts
    components = document["components"]["schemas"]
    # every reference resolves
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components
    # the request bodies are the problem format, the answers the output format
    for path in ("/validate", "/solve"):
        body = document["paths"][path]["post"]["requestBody"]
        assert body["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
        assert document["paths"][path]["post"]["responses"]["422"]["content"]["application/json"][
            "schema"
        ] == {"$ref": "#/components/schemas/Rejection"}
    solve_200 = document["paths"]["/solve"]["post"]["responses"]["200"]
    assert solve_200["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Allocation"
    }

    def local(schema: dict[str, Any]) -> Any:
        text = json.dumps(schema).replace("#/components/schemas/", "#/$defs/")
        return _without_null_defaults(json.loads(text))

    inputs, outputs = input_schema(), output_schema()
    assert local(components["Problem"]) == _without_null_defaults(
        {k: v for k, v in inputs.items() if k not in ("$schema", "$id", "$defs")}
    )
    # the documents of a contract's life (allocate.review) are output documents the service
    # does not serve; every other definition must be the service's own
    not_served = {
        "Reallocation",
        "TradeDecision",
        "Version",
        "ReviewRow",
        "Trade",
        "Delivery",
        "YearPlan",
        "YearResult",
        "YearMember",
    }
    for name, definition in {**inputs["$defs"], **outputs["$defs"]}.items():
        if name in not_served:
            continue
        assert local(components[name]) == _without_null_defaults(definition), name


def test_a_body_at_the_limit_is_read_and_one_byte_more_is_refused(app) -> None:
    limit = app.state.limits.max_body_bytes
    at_limit = call(app, "POST", "/validate", content=b" " * limit)
    assert at_limit.status_code == 422  # read and judged: blank text is not a problem
    over = call(app, "POST", "/validate", content=b" " * (limit + 1))
    assert over.status_code == 413
    assert over.json()["status"] == "too_large" and str(limit) in over.json()["summary"]


def test_a_body_without_a_length_is_counted_as_it_arrives(app) -> None:
    limit = app.state.limits.max_body_bytes
    sent = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b" " * 1000

    response = call(app, "POST", "/solve", content=chunks())
    assert response.status_code == 413 and response.json()["status"] == "too_large"
    assert "content-length" not in response.request.headers
    assert len(sent) * 1000 > limit


def test_a_solve_over_the_time_limit_is_stopped_with_504() -> None:
    app = create_app(ServiceLimits(solve_seconds=0.05, max_solves=1))
    response = call(app, "POST", "/solve", content=_large_problem())
    assert response.status_code == 504
    assert response.json()["status"] == "time_limit" and "0.05 s" in response.json()["summary"]
    assert multiprocessing.active_children() == []  # the solving process was killed and reaped
    # and the slot it held is free again: the next solve is not refused as busy
    assert call(app, "POST", "/solve", content=_demo()).status_code in (200, 504)


def test_when_every_slot_is_taken_a_solve_is_refused_as_busy() -> None:
    app = create_app(ServiceLimits(max_solves=1))
    slots = app.state.solve_slots
    assert slots.acquire(blocking=False)  # as if another solve were running
    try:
        response = call(app, "POST", "/solve", content=_demo())
    finally:
        slots.release()
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json()["status"] == "busy"
    assert call(app, "POST", "/solve", content=_demo()).status_code == 200


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"max_body_bytes": 0}, "max_body_bytes"),
        ({"max_body_bytes": 1.5}, "max_body_bytes"),
        ({"solve_seconds": 0}, "solve_seconds"),
        ({"solve_seconds": float("inf")}, "solve_seconds"),
        ({"solve_seconds": "10"}, "solve_seconds"),
        ({"max_solves": 0}, "max_solves"),
        ({"max_solves": 41}, "max_solves"),
    ],
)
def test_limits_out_of_range_are_refused_by_name(settings: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named) as info:
        ServiceLimits(**settings)
    assert str(next(iter(settings.values()))) in str(info.value)


def test_without_the_extra_the_service_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)  # an import of it now fails
    with pytest.raises(ServiceUnavailableError, match=r"allocate\[service\]"):
        create_app()


def test_serve_options_out_of_range_are_usage_errors(capsys) -> None:
    assert main(["serve", "--solve-time-limit", "-1"]) == 2
    assert "solve_seconds" in capsys.readouterr().err
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


# -- a real server, over HTTP -----------------------------------------------------------------


class _Server:
    """``allocate serve`` in a subprocess on a free port, stopped at the end."""

    def __init__(self, *options: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "allocate.cli", "serve", "--port", "0", *options],
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        line = self.process.stderr.readline()  # written once the port is bound and listening
        prefix = "allocate: serving on "
        assert line.startswith(prefix), line
        self.url = line.removeprefix(prefix).strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        assert self.process.stderr is not None
        self.process.stderr.close()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    running = _Server("--max-body-bytes", "20000", "--solve-time-limit", "300")
    try:
        yield running
    finally:
        running.stop()


def test_a_real_server_serves_schemas_validation_and_solves(server: _Server) -> None:
    with httpx.Client(base_url=server.url, timeout=300) as client:
        assert client.get("/schema/input").json() == input_schema()
        assert client.get("/schema/output").json() == output_schema()
        assert client.post("/validate", content=_demo()).json()["status"] == "valid"
        solved = client.post("/solve", content=_demo())
        assert solved.status_code == 200
        assert solved.text == solve(Problem.model_validate(demo_dict())).model_dump_json()
        invalid = client.post("/solve", content=json.dumps(_invalid()))
        assert invalid.status_code == 422 and not list(OUTPUT.iter_errors(invalid.json()))
        assert "/solve" in client.get("/openapi.json").json()["paths"]


def test_a_real_server_refuses_bodies_over_its_limit(server: _Server) -> None:
    with httpx.Client(base_url=server.url, timeout=300) as client:
        declared = client.post("/validate", content=b" " * 20_001)
        assert declared.status_code == 413 and "20000 bytes" in declared.json()["summary"]

        def chunks() -> Iterator[bytes]:
            for _ in range(30):
                yield b" " * 1000

        streamed = client.post("/validate", content=chunks())
        assert streamed.status_code == 413 and streamed.json()["status"] == "too_large"
        # the server is still there for the next caller
        assert client.post("/validate", content=_demo()).status_code == 200


def test_a_real_server_stops_a_solve_at_its_time_limit() -> None:
    running = _Server("--solve-time-limit", "0.05")
    try:
        with httpx.Client(base_url=running.url, timeout=300) as client:
            response = client.post("/solve", content=_large_problem())
            assert response.status_code == 504 and response.json()["status"] == "time_limit"
            assert client.post("/validate", content=_demo()).status_code == 200
    finally:
        running.stop()
