"""The HTTP service: validate and solve problems, and publish the schemas, over HTTP.

For systems that would rather call than import.  ``allocate serve`` runs it (with uvicorn);
:func:`create_app` gives the ASGI application to run under any server.  It needs the
``service`` extra (``pip install 'allocate[service]'``: FastAPI and uvicorn); without it
importing this module still works, and :func:`create_app` raises
:class:`ServiceUnavailableError` saying what to install.

Endpoints (the OpenAPI document at ``/openapi.json`` is generated from the same pydantic models
that read the problem and write the output):

``POST /validate``
    The body is a problem (JSON).  200 with a :class:`Validated` summary, or 422 with a
    :class:`~allocate.schema.Rejection` listing every issue (location, id, value, message).
``POST /solve?method=auto|closed_form|lp``
    The body is a problem.  200 with the :class:`~allocate.Allocation` (any status: an
    infeasible problem's allocation says so and carries the diagnosis), or 422 as above.
``GET /schema/input``, ``GET /schema/output``
    The JSON Schemas of the problem and of the output (:mod:`allocate.schema`).

Limits (:class:`ServiceLimits`), so that a large problem cannot take the service down: a request
body over ``max_body_bytes`` is refused with 413 before it is read further; a solve runs in a
process of its own and is stopped after ``solve_seconds`` (504); at most ``max_solves`` run at
once and another is refused with 503 (``Retry-After``) rather than queued.  Refusals are a
:class:`ServiceRefusal`.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at run time.

import math
import multiprocessing
import os
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Literal

from allocate import __version__
from allocate.core.errors import Issue, ProblemError
from allocate.core.model import Problem
from allocate.core.outcome import Allocation
from allocate.core.schema import FORMAT_VERSION, Record, Rejection, input_schema, output_schema
from allocate.pipeline.solve import solve

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.responses import Response

__all__ = [
    "ServiceLimits",
    "ServiceRefusal",
    "ServiceUnavailableError",
    "Validated",
    "create_app",
    "serve",
]

Method = Literal["auto", "closed_form", "lp"]

_EXTRA_HINT = "the HTTP service needs the 'service' extra: pip install 'allocate[service]'"


class ServiceUnavailableError(RuntimeError):
    """The ``service`` extra (FastAPI, uvicorn) is not installed."""


#: Worker threads the service waits for solves in (AnyIO's default thread limit).
_THREADS = 40


def _default_solves() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class ServiceLimits:
    """What one request may cost the service.

    Raises ``ValueError`` naming the setting and its value when one is out of range.

    Examples
    --------
    >>> ServiceLimits(max_body_bytes=1_000_000).solve_seconds
    60.0
    >>> ServiceLimits(solve_seconds=0)
    Traceback (most recent call last):
    ...
    ValueError: solve_seconds must be a positive number of seconds, not 0
    """

    max_body_bytes: int = 16 * 2**20
    """Largest request body accepted, in bytes (16 MiB: a county of 12,000 members fits)."""
    solve_seconds: float = 60.0
    """Longest a solve may run, in seconds of wall-clock time, before it is stopped."""
    max_solves: int = field(default_factory=_default_solves)
    """Solves that may run at once (one per core by default); another is refused as busy."""

    def __post_init__(self) -> None:
        if isinstance(self.max_body_bytes, bool) or not isinstance(self.max_body_bytes, int):
            raise ValueError(f"max_body_bytes must be a whole number, not {self.max_body_bytes!r}")
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, not {self.max_body_bytes}")
        seconds = self.solve_seconds
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or seconds <= 0
        ):
            raise ValueError(
                f"solve_seconds must be a positive number of seconds, not {self.solve_seconds!r}"
            )
        if isinstance(self.max_solves, bool) or not isinstance(self.max_solves, int):
            raise ValueError(f"max_solves must be a whole number, not {self.max_solves!r}")
        if not 1 <= self.max_solves <= _THREADS:
            raise ValueError(f"max_solves must be between 1 and {_THREADS}, not {self.max_solves}")


class Validated(Record):
    """The answer of ``POST /validate`` for a valid problem."""

    format_version: Literal["1.2"] = FORMAT_VERSION
    """The version of the formats (:data:`allocate.schema.FORMAT_VERSION`)."""
    status: Literal["valid"] = "valid"
    """Always ``valid``."""
    problem_name: str
    """The problem's ``name``."""
    members: int
    """Number of members."""
    contracts: int
    """Number of contracts."""
    lots: int
    """Number of lots."""
    capacities: int
    """Number of capacities."""


class ServiceRefusal(Record):
    """Why the service did not answer a request: too large, busy, or out of time."""

    format_version: Literal["1.2"] = FORMAT_VERSION
    """The version of the formats."""
    status: Literal["too_large", "busy", "time_limit", "error"]
    """``too_large`` (413), ``busy`` (503), ``time_limit`` (504) or ``error`` (500)."""
    summary: str
    """What happened, with the limit that applied."""


# -- the body size limit (plain ASGI, so it sees the body before anything reads it) -----------

_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_App = Callable[[_Scope, _Receive, _Send], Awaitable[None]]


class _BodyTooLargeError(Exception):
    pass


class _BodyLimit:
    """Refuse with 413 a request whose body is longer than ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before the body is read; a body
    sent without one (chunked) is counted as it arrives and refused once it passes the limit.
    """

    def __init__(self, app: _App, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(send, f"a declared body of {int(value)} bytes")
                return
        received = 0
        started = False

        async def counted() -> _Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLargeError
            return message

        async def watched(message: _Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLargeError:
            if started:  # pragma: no cover - every endpoint reads its body before answering
                raise
            await self._refuse(send, f"a body of more than {self.max_bytes} bytes")

    async def _refuse(self, send: _Send, what: str) -> None:
        body = ServiceRefusal(
            status="too_large",
            summary=f"{what} is over the service's limit of {self.max_bytes} bytes",
        ).model_dump_json()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


# -- solving in a process of its own, stopped at the time limit ------------------------------


def _context() -> Any:
    """Processes forked from a clean server process where there is one, else spawned."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _solve_worker(conn: Connection, text: bytes, method: Method) -> None:
    """Solve one problem in a worker process and send back ``(kind, text)``."""
    try:
        allocation = solve(Problem.model_validate_json(text), method=method)
        conn.send(("ok", allocation.model_dump_json()))
    except ProblemError as exc:
        conn.send(("invalid", Rejection.from_error(exc).model_dump_json()))
    except ValueError as exc:  # a method the problem does not allow (closed_form with rows)
        issue = Issue("query.method", str(exc), None, method)
        conn.send(("invalid", Rejection.from_error(ProblemError([issue])).model_dump_json()))
    except Exception as exc:  # reported to the caller as a 500, never lost
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class _TimeLimitError(Exception):
    pass


def _solve_in_process(text: bytes, method: Method, seconds: float) -> tuple[str, str]:
    """Solve in a process of its own; stop it after ``seconds`` (:class:`_TimeLimitError`)."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_solve_worker, args=(sender, text, method), daemon=True)
    worker.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise _TimeLimitError
        try:
            kind, answer = receiver.recv()
        except EOFError:
            return "error", f"the solving process ended without an answer ({worker.exitcode})"
        return kind, answer
    finally:
        receiver.close()
        if worker.is_alive():
            worker.kill()
        worker.join()
        worker.close()


# -- the application ----------------------------------------------------------------------


def _problem_body(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    }


def create_app(limits: ServiceLimits | None = None) -> "FastAPI":
    """The ASGI application of the service, with ``limits`` (:class:`ServiceLimits`).

    Raises
    ------
    ServiceUnavailableError
        When the ``service`` extra is not installed.
    """
    try:
        from fastapi import FastAPI, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import JSONResponse, Response
        from starlette.concurrency import run_in_threadpool
    except ImportError as exc:
        raise ServiceUnavailableError(_EXTRA_HINT) from exc

    limits = limits or ServiceLimits()
    slots = threading.BoundedSemaphore(limits.max_solves)
    app = FastAPI(
        # no /docs or /redoc pages: they load their scripts from outside the service
        docs_url=None,
        redoc_url=None,
        title="allocate",
        version=__version__,
        summary="Fair, explainable splitting of a consortium's contracts among its members.",
        description=(
            f"Format version {FORMAT_VERSION}.  Request bodies over {limits.max_body_bytes} "
            f"bytes are refused (413); a solve is stopped after {limits.solve_seconds:g} s "
            f"(504); at most {limits.max_solves} solve(s) run at once (503 when busy)."
        ),
    )
    app.state.limits = limits
    app.state.solve_slots = slots
    app.add_middleware(_BodyLimit, max_bytes=limits.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError) -> Response:
        issues = [
            Issue(
                ".".join(str(part) for part in err.get("loc", ())),
                str(err.get("msg", "invalid")),
                None,
                err.get("input"),
            )
            for err in exc.errors()
        ]
        return _rejected(ProblemError(issues))

    refusals: dict[int | str, dict[str, Any]] = {
        413: {"model": ServiceRefusal, "description": "The body is over the size limit."},
        422: {"model": Rejection, "description": "The problem is invalid: every issue."},
    }

    @app.post(
        "/validate",
        response_model=Validated,
        responses=refusals,
        openapi_extra=_problem_body("The problem to check."),
        summary="Check a problem without solving it",
    )
    async def validate(request: Request) -> Response:
        text = await request.body()
        try:
            problem = await run_in_threadpool(Problem.model_validate_json, text)
        except ProblemError as exc:
            return _rejected(exc)
        answer = Validated(
            problem_name=problem.name,
            members=len(problem.members),
            contracts=len(problem.contracts),
            lots=len(problem.lots),
            capacities=len(problem.capacities),
        )
        return Response(answer.model_dump_json(), media_type="application/json")

    _add_solve(app, limits, slots, refusals)

    @app.get("/schema/input", summary="JSON Schema of the problem format")
    async def schema_input() -> JSONResponse:
        return JSONResponse(input_schema())

    @app.get("/schema/output", summary="JSON Schema of the output format")
    async def schema_output() -> JSONResponse:
        return JSONResponse(output_schema())

    _install_openapi(app)
    return app


def _rejected(error: ProblemError) -> "Response":
    """The 422 answer to an invalid problem: its :class:`Rejection`, every issue."""
    from fastapi.responses import Response

    return Response(
        Rejection.from_error(error).model_dump_json(),
        status_code=422,
        media_type="application/json",
    )


def _refused(code: int, status: str, summary: str, **headers: str) -> "Response":
    """A :class:`ServiceRefusal` with its status code (413, 500, 503, 504)."""
    from fastapi.responses import Response

    body = ServiceRefusal.model_validate({"status": status, "summary": summary})
    return Response(
        body.model_dump_json(), status_code=code, media_type="application/json", headers=headers
    )


def _add_solve(
    app: "FastAPI",
    limits: ServiceLimits,
    slots: threading.BoundedSemaphore,
    refusals: dict[int | str, dict[str, Any]],
) -> None:
    """``POST /solve``: each solve in a worker process, within the limits."""
    from fastapi import Request
    from fastapi.responses import Response
    from starlette.concurrency import run_in_threadpool

    @app.post(
        "/solve",
        responses={
            200: {"model": Allocation, "description": "The allocation (any status)."},
            **refusals,
            500: {"model": ServiceRefusal, "description": "The solve failed unexpectedly."},
            503: {"model": ServiceRefusal, "description": "Every solving slot is taken."},
            504: {"model": ServiceRefusal, "description": "The solve passed the time limit."},
        },
        response_class=Response,
        openapi_extra=_problem_body("The problem to solve."),
        summary="Solve a problem",
    )
    async def solve_problem(request: Request, method: Method = "auto") -> Response:
        text = await request.body()
        try:
            await run_in_threadpool(Problem.model_validate_json, text)
        except ProblemError as exc:
            return _rejected(exc)
        if not slots.acquire(blocking=False):
            return _refused(
                503,
                "busy",
                f"all {limits.max_solves} solving slot(s) are taken; try again shortly",
                **{"Retry-After": "1"},
            )
        try:
            kind, answer = await run_in_threadpool(
                _solve_in_process, text, method, limits.solve_seconds
            )
        except _TimeLimitError:
            return _refused(
                504,
                "time_limit",
                f"the solve took longer than the service's limit of {limits.solve_seconds:g} s "
                "and was stopped",
            )
        finally:
            slots.release()
        if kind == "ok":
            return Response(answer, media_type="application/json")
        if kind == "invalid":
            return Response(answer, status_code=422, media_type="application/json")
        return _refused(500, "error", answer)


def _install_openapi(app: "FastAPI") -> None:
    """The OpenAPI document, with the problem's schema as the request bodies' (see below)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            # the request bodies are read by Problem.model_validate_json (strict JSON, every
            # issue at once), not by FastAPI, so their schema is added here, from the same model
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components = document.setdefault("components", {}).setdefault("schemas", {})
            components.update(problem.pop("$defs", {}))
            components["Problem"] = problem
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ServiceLimits | None = None,
) -> None:
    """Run the service with uvicorn until interrupted.

    The address is bound first, and its port (the one chosen, for ``port=0``) written to
    standard error as ``allocate: serving on http://HOST:PORT``.

    Raises
    ------
    ServiceUnavailableError
        When the ``service`` extra is not installed.
    OSError
        When the address cannot be bound.
    """
    app = create_app(limits)
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - fastapi without uvicorn
        raise ServiceUnavailableError(_EXTRA_HINT) from exc
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections wait from now on, not from when uvicorn has started
    except OSError:
        sock.close()
        raise
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    print(f"allocate: serving on http://{shown}:{bound}", file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
