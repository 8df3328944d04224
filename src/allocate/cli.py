"""The ``allocate`` command line.

``allocate demo``
    Solve the built-in example consortium and print a summary (``--json``/``--report`` as for
    ``solve``; ``--problem OUT`` writes the example's input JSON to start from).
``allocate solve FILE.json [--json OUT|-] [--errors-json OUT|-] [--report OUT] [--method M]``
    Solve a problem file, print a summary, optionally write the allocation JSON and a report
    in the format its file name's suffix names (:data:`allocate.report.FORMATS`: a stand-alone
    HTML page for ``.html`` or ``.htm``, Markdown for ``.md``; any other suffix is refused
    before solving, exit 2).  ``-`` writes the JSON on standard output (the summary then goes
    to standard error); an invalid problem's issues are written as JSON
    (:class:`allocate.schema.Rejection`) to ``--errors-json``, or to standard output with
    ``--json -``.
``allocate review PROBLEM.json VERSION.json REVIEW.json [--json OUT|-] [--report OUT] ...``
    Review a version (an allocation as made, a reallocation or an approved trade's decision)
    and re-allocate what remains (:func:`allocate.review.reallocate`).
``allocate trade PROBLEM.json VERSION.json TRADE.json [--json OUT|-] [--report OUT] ...``
    Approve or refuse a trade of outputs on a version (:func:`allocate.review.trade`); exit 1
    when refused.
``allocate years PROBLEM.json [PLAN.json] [--stability S] [--json OUT|-] [--report OUT] ...``
    Allocate a multi-year contract year by year (:func:`allocate.review.plan_years`).
``allocate statements PROBLEM.json --out DIR [--allocation FILE] [--member ID]... [--format F]``
    Write a statement for every member (or each ``--member``), as HTML and/or Markdown, with
    the problem, the allocation explained (solved afresh unless ``--allocation`` gives one)
    and an index (:func:`allocate.member_statement`).
``allocate check-certificate PROBLEM.json ALLOCATION.json [--json] [--skip-conditions]``
    Verify the allocation's certificate of optimality (or of infeasibility) in exact rational
    arithmetic, without a solver (:func:`allocate.check_certificate`); exit 0 when it proves its
    claim, 1 when refused, 2 for bad input.  ``--json`` prints the finding as JSON.
``allocate schema [input|output]``
    Print the JSON Schema of the problem format (``input``, the default) or of the output.
``allocate serve [--host H] [--port P] [--max-body-bytes N] [--solve-time-limit S] ...``
    Run the HTTP service (:mod:`allocate.service`; needs the ``service`` extra).

Exit codes: 0 solved; 1 no allocation exists (infeasible) or the solver failed; 2 bad input or
usage (with a readable message, never a traceback), including an output path that cannot be
written, which is checked before solving; 3 the allocation was made but an output could not be
written after all (the message names the temporary file that holds it instead).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from allocate import __version__, service
from allocate.analysis.statements import DEFAULT_MAX_SOLVES, check_allocation, member_statements
from allocate.checks.certificate import check_certificate
from allocate.core.errors import AllocateError, ProblemError
from allocate.core.examples import demo_dict, tender_demo_dict
from allocate.core.model import Problem
from allocate.core.outcome import Allocation
from allocate.core.review import (
    Reallocation,
    ReviewInput,
    Trade,
    TradeDecision,
    read_document,
    read_version,
)
from allocate.core.schema import Rejection, input_schema, output_schema
from allocate.core.statement import MemberStatement, StatementError
from allocate.core.years import YearPlan, YearPlanInput
from allocate.pipeline.review import reallocate
from allocate.pipeline.solve import solve
from allocate.pipeline.trade import trade
from allocate.pipeline.years import plan_years
from allocate.report import FORMATS, LIFE_FORMATS, life_report_for, report_for
from allocate.report.html import report_date
from allocate.report.statement import (
    file_stems,
    index_html,
    index_markdown,
    statement_html,
    statement_markdown,
)

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="allocate",
        description="Fair, explainable allocation of a consortium's contracts among its members.",
    )
    parser.add_argument("--version", action="version", version=f"allocate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_solve_commands(sub)
    _add_life_commands(sub)
    _add_statements_command(sub)
    _add_check_command(sub)
    schema = sub.add_parser("schema", help="print the JSON Schema of the problem or the output")
    schema.add_argument(
        "document",
        nargs="?",
        choices=["input", "output"],
        default="input",
        help="the problem format (input, the default) or the output format",
    )
    _add_serve_command(sub)
    return parser


#: The sub-command table of the parser (argparse's own, private, type).
type _Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def _run_options(p: argparse.ArgumentParser) -> None:
    """``--time-limit`` and ``--quiet``, which every solving command takes."""
    p.add_argument("--time-limit", type=float, default=None, help="solver seconds")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def _errors_json(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--errors-json",
        metavar="OUT",
        type=Path,
        help=f"write an invalid {what}'s issues as JSON ('-' for standard output)",
    )


def _add_solve_commands(sub: _Commands) -> None:
    """``demo`` and ``solve``: an allocation, its JSON and its report."""

    def outputs(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--json",
            metavar="OUT",
            type=Path,
            help="write the allocation as JSON ('-' for standard output)",
        )
        p.add_argument(
            "--report",
            metavar="OUT",
            type=Path,
            help=(f"write the audit report in the format its suffix names ({', '.join(FORMATS)})"),
        )
        p.add_argument(
            "--method",
            choices=["auto", "closed_form", "lp"],
            default="auto",
            help="closed form when provably optimal (auto), or force one",
        )
        _run_options(p)

    demo = sub.add_parser("demo", help="solve the built-in example consortium")
    outputs(demo)
    demo.add_argument("--problem", metavar="OUT", type=Path, help="write the example input JSON")
    demo.add_argument(
        "--tender",
        action="store_true",
        help="the example with a fourth contract whose lot is awarded by sub-tender",
    )
    s = sub.add_parser("solve", help="solve a problem file (JSON)")
    s.add_argument("file", type=Path, help="problem JSON ('-' for standard input)")
    outputs(s)
    _errors_json(s, "problem")


def _add_life_commands(sub: _Commands) -> None:
    """``review``, ``trade`` and ``years``: the documents over a contract's life."""

    def life(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--json", metavar="OUT", type=Path, help="write the document as JSON ('-': stdout)"
        )
        p.add_argument(
            "--report",
            metavar="OUT",
            type=Path,
            help=f"write a report in the format its suffix names ({', '.join(LIFE_FORMATS)})",
        )
        _errors_json(p, "input")
        _run_options(p)

    review = sub.add_parser("review", help="review a version and re-allocate what remains")
    review.add_argument("file", type=Path, help="problem JSON")
    review.add_argument(
        "version", type=Path, help="the version reviewed: allocation, reallocation or trade JSON"
    )
    review.add_argument("review", type=Path, help="the review JSON (ReviewInput)")
    life(review)
    tr = sub.add_parser("trade", help="approve or refuse a trade of outputs on a version")
    tr.add_argument("file", type=Path, help="problem JSON")
    tr.add_argument(
        "version", type=Path, help="the version traded on: allocation, reallocation or trade JSON"
    )
    tr.add_argument("trade", type=Path, help="the trade JSON (Trade)")
    life(tr)
    years = sub.add_parser("years", help="allocate a multi-year contract year by year")
    years.add_argument("file", type=Path, help="problem JSON (contracts over their whole term)")
    years.add_argument(
        "plan", type=Path, nargs="?", default=None, help="the year plan JSON (YearPlanInput)"
    )
    years.add_argument(
        "--stability",
        metavar="S",
        default=None,
        help="the stability rule's share (0.2: no award moves more than 20%%), over the plan's",
    )
    life(years)


def _add_statements_command(sub: _Commands) -> None:
    """``statements``: a statement for every member, written into a folder."""
    st = sub.add_parser("statements", help="write a statement for every member (HTML, Markdown)")
    st.add_argument("file", type=Path, help="problem JSON ('-' for standard input)")
    st.add_argument("--out", metavar="DIR", type=Path, required=True, help="the folder to fill")
    st.add_argument(
        "--allocation",
        metavar="FILE",
        type=Path,
        default=None,
        help="the allocation of this problem to explain (solve --json); solved afresh if none",
    )
    st.add_argument(
        "--member",
        metavar="ID",
        action="append",
        default=None,
        help="write only this member's statement (repeatable; every member by default)",
    )
    st.add_argument(
        "--format",
        choices=["html", "md", "both"],
        default="both",
        help="HTML, Markdown or both (the default)",
    )
    st.add_argument(
        "--max-solves",
        type=int,
        default=DEFAULT_MAX_SOLVES,
        metavar="N",
        help=f"solves a statement may make to show what would bring more ({DEFAULT_MAX_SOLVES})",
    )
    _errors_json(st, "problem")
    _run_options(st)


def _add_check_command(sub: _Commands) -> None:
    check = sub.add_parser(
        "check-certificate",
        help="verify an allocation's certificate exactly, without a solver",
    )
    check.add_argument("problem", type=Path, help="the problem JSON ('-' for standard input)")
    check.add_argument("allocation", type=Path, help="the allocation JSON (allocate solve --json)")
    check.add_argument("--json", action="store_true", help="print the finding as JSON")
    check.add_argument(
        "--skip-conditions",
        action="store_true",
        help="do not re-check that the allocation satisfies every condition (allocate.verify)",
    )


def _check(args: argparse.Namespace) -> int:
    """``check-certificate``: 0 proved, 1 refused (bad input raises, exit 2)."""
    problem = Problem.model_validate_json(_read(args.problem))
    text = _read(args.allocation)
    try:
        allocation = Allocation.model_validate_json(text)
    except ValueError as exc:
        raise _UsageError(f"invalid allocation {args.allocation}: {exc}") from None
    found = check_certificate(problem, allocation, conditions=not args.skip_conditions)
    if args.json:
        print(json.dumps(found.to_dict(), indent=2))
    elif found.ok:
        print(f"certificate ({found.kind}) proved.\n{found.proved}\n{found.rounding}")
    else:
        print(f"certificate refused ({found.kind or 'none'}):")
        for failure in found.failures[:50]:
            print(f"  - {failure}")
        if len(found.failures) > 50:
            print(f"  ... and {len(found.failures) - 50} more")
    return 0 if found.ok else 1


def _add_serve_command(sub: _Commands) -> None:
    """``serve``: the HTTP service, with its limits."""
    serve = sub.add_parser("serve", help="run the HTTP service (the 'service' extra)")
    defaults = service.ServiceLimits()
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (8000; 0 for any free one)")
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=defaults.max_body_bytes,
        help=f"largest request body accepted ({defaults.max_body_bytes})",
    )
    serve.add_argument(
        "--solve-time-limit",
        type=float,
        default=defaults.solve_seconds,
        metavar="SECONDS",
        help=f"longest a solve may take before it is stopped ({defaults.solve_seconds:g} s)",
    )
    serve.add_argument(
        "--max-solves",
        type=int,
        default=defaults.max_solves,
        help=f"solves running at once; more are refused as busy ({defaults.max_solves})",
    )


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _UsageError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _UsageError(f"cannot read {path}: {exc}") from None


class _UsageError(Exception):
    pass


class _WriteError(Exception):
    pass


def _outputs(args: argparse.Namespace) -> list[Path]:
    """The output files asked for (standard output, ``-``, is not a file)."""
    paths = (args.json, args.report, getattr(args, "problem", None), _errors_path(args))
    return [path for path in paths if path is not None and not _is_stdout(path)]


def _is_stdout(path: Path | None) -> bool:
    return path is not None and str(path) == "-"


def _errors_path(args: argparse.Namespace) -> Path | None:
    """Where an invalid problem's issues go as JSON: ``--errors-json``, or stdout (``--json -``)."""
    errors: Path | None = getattr(args, "errors_json", None)
    if errors is None and _is_stdout(getattr(args, "json", None)):
        return Path("-")
    return errors


def _check_writable(path: Path) -> None:
    """Refuse, before solving, an output path that cannot be written."""
    if path.is_dir():
        raise _UsageError(f"cannot write {path}: it is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise _UsageError(f"cannot write {path}: no such folder {folder}")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise _UsageError(f"cannot write {path}: permission denied")


def _life_format(path: Path) -> Callable[[Reallocation | TradeDecision | YearPlan], str]:
    try:
        return life_report_for(path)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None


def _version(path: Path) -> Allocation | Reallocation | TradeDecision:
    """The version document in ``path``: told apart by its ``kind`` (none: an allocation).

    :func:`allocate.review.read_version` reads it (and refuses a reallocation or trade decision
    of format 1.1, which does not record the last review's remaining capacities).
    """
    text = _read(path)
    try:
        raw = json.loads(text)
        if isinstance(raw, dict):
            if raw.get("kind") == "year_plan":
                raise _UsageError(f"{path} is a year plan, not a version of an allocation")
            if raw.get("status") == "invalid_input":
                raise _UsageError(f"{path} is a rejection of an invalid problem, not a version")
    except json.JSONDecodeError:
        pass  # read_version names the fault
    return read_version(text)


def _run_life(args: argparse.Namespace) -> int:
    """``review``, ``trade`` and ``years``: read, compute, print a line, write the outputs."""
    problem = Problem.model_validate_json(_read(args.file))
    doc: Reallocation | TradeDecision | YearPlan
    try:
        if args.command == "review":
            version = _version(args.version)
            review = read_document(ReviewInput, _read(args.review))
            doc = reallocate(problem, version, review, time_limit=args.time_limit)
            ok = doc.status.is_ok
            line = (
                f"version {doc.version.number} ({doc.status.value}): "
                f"£{doc.moved:,.2f} moved from the awards as made"
            )
            if doc.diagnosis is not None:
                line += f"\n{doc.diagnosis.summary}"
        elif args.command == "trade":
            version = _version(args.version)
            request = read_document(Trade, _read(args.trade))
            doc = trade(problem, version, request)
            ok = doc.approved
            line = (
                f"approved as version {doc.version.number}"
                if doc.version is not None
                else "refused: " + "; ".join(doc.reasons)
            )
        else:
            plan = (
                read_document(YearPlanInput, _read(args.plan))
                if args.plan is not None
                else YearPlanInput()
            )
            if args.stability is not None:
                plan = read_document(
                    YearPlanInput,
                    json.dumps({**plan.model_dump(mode="json"), "stability": args.stability}),
                )
            doc = plan_years(problem, plan, time_limit=args.time_limit)
            ok = doc.status.is_ok
            line = f"{len(doc.years)} year(s) ({doc.status.value})"
            for y in doc.years:
                if y.diagnosis is not None:
                    line += f"\nyear {y.year}: {y.diagnosis.summary}"
    except ValueError as exc:
        if isinstance(exc, ProblemError):
            raise
        raise _UsageError(str(exc)) from None  # a version that cannot be reviewed or traded
    if not args.quiet or not ok:
        print(line, file=sys.stderr if _is_stdout(args.json) else sys.stdout)
    outputs: list[tuple[Path, Callable[[Reallocation | TradeDecision | YearPlan], str]]] = []
    if args.json is not None:
        outputs.append((args.json, lambda d: d.model_dump_json(indent=2) + "\n"))
    if args.report is not None:
        outputs.append((args.report, _life_format(args.report)))
    failures = []
    for path, render in outputs:
        try:
            _write(path, render(doc))
        except _WriteError as exc:
            failures.append(str(exc))
    if failures:
        raise _WriteError("; ".join(failures))
    return 0 if ok else 1


def _report_format(path: Path) -> Callable[[Allocation], str]:
    """The renderer for ``--report``; an unsupported suffix is a usage error, before solving."""
    try:
        return report_for(path)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None


def _write(path: Path, text: str) -> None:
    """Write one output; on failure keep the text in a temporary file and say where."""
    if _is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", prefix="allocate-", suffix=path.suffix, delete=False
        ) as kept:
            kept.write(text)
        raise _WriteError(f"cannot write {path} ({exc}); it is saved in {kept.name}") from None


def _write_outputs(args: argparse.Namespace, allocation: Allocation) -> None:
    """Write each output asked for; one that fails does not stop the others."""
    outputs: list[tuple[Path, Callable[[Allocation], str]]] = []
    if args.json is not None:
        outputs.append((args.json, lambda a: a.model_dump_json(indent=2) + "\n"))
    if args.report is not None:
        outputs.append((args.report, _report_format(args.report)))
    failures = []
    for path, render in outputs:
        try:
            _write(path, render(allocation))
        except _WriteError as exc:
            failures.append(str(exc))
    if failures:
        raise _WriteError("; ".join(failures))


def _run(args: argparse.Namespace, problem: Problem) -> int:
    try:
        allocation = solve(problem, method=args.method, time_limit=args.time_limit)
    except ValueError as exc:  # an option the problem does not allow (closed_form with rows)
        raise _UsageError(str(exc)) from None
    if not args.quiet or not allocation.status.is_ok:
        # with the JSON on standard output, the summary goes beside it, to standard error
        print(allocation.summary(), file=sys.stderr if _is_stdout(args.json) else sys.stdout)
    _write_outputs(args, allocation)
    return 0 if allocation.status.is_ok else 1


def _statements_folder(folder: Path) -> None:
    """Make the statements' folder (its parent must exist); refuse one that cannot be written."""
    if folder.exists() and not folder.is_dir():
        raise _UsageError(f"--out {folder}: it is a file, not a folder")
    if not folder.exists():
        if not folder.parent.is_dir():
            raise _UsageError(f"--out {folder}: no such folder {folder.parent}")
        try:
            folder.mkdir()
        except OSError as exc:
            raise _UsageError(f"--out {folder}: cannot make the folder ({exc})") from None
    if not os.access(folder, os.W_OK):
        raise _UsageError(f"--out {folder}: permission denied")


def _explained(args: argparse.Namespace, problem: Problem) -> tuple[Allocation, str | None]:
    """The allocation to explain, and its text when read from a file (None: solved here)."""
    if args.allocation is None:
        return solve(problem, time_limit=args.time_limit), None
    text = _read(args.allocation)
    try:
        allocation = read_document(Allocation, text)
    except ProblemError as exc:
        raise _UsageError(f"--allocation {args.allocation}: not an allocation: {exc}") from None
    try:
        check_allocation(problem, allocation)
    except StatementError as exc:
        raise _UsageError(f"--allocation {args.allocation}: {exc}") from None
    return allocation, text


def _run_statements(args: argparse.Namespace) -> int:
    """``statements``: solve (or read) the allocation, then write every statement and the index."""
    if args.max_solves < 0:
        raise _UsageError(f"--max-solves must be 0 or more, not {args.max_solves}")
    try:
        date = report_date()
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    _statements_folder(args.out)
    errors = _errors_path(args)
    if errors is not None and not _is_stdout(errors):
        _check_writable(errors)
    problem_text = _read(args.file)
    problem = Problem.model_validate_json(problem_text)
    chosen = args.member or [m.id for m in problem.members]
    for member in chosen:
        if member not in problem.member_index:
            raise _UsageError(f"--member: no member with id {member!r} in the problem")
    allocation, allocation_text = _explained(args, problem)
    if not allocation.status.is_ok:
        print(allocation.summary(), file=sys.stderr)
        print("allocate: no statements written: no allocation was made", file=sys.stderr)
        return 1
    statements = member_statements(
        problem,
        allocation,
        list(dict.fromkeys(chosen)),
        max_solves=args.max_solves,
        time_limit=args.time_limit,
    )
    stems = file_stems([m.id for m in problem.members])
    formats = ["html", "md"] if args.format == "both" else [args.format]
    files = _statement_files(statements, stems, formats, date)
    files.insert(0, ("problem.json", problem_text))
    files.insert(
        1, ("allocation.json", allocation_text or allocation.model_dump_json(indent=2) + "\n")
    )
    failures = []
    for name, text in files:
        try:
            _write(args.out / name, text)
        except _WriteError as exc:
            failures.append(str(exc))
    if failures:
        raise _WriteError("; ".join(failures))
    if not args.quiet:
        print(f"{len(statements)} statement(s) written to {args.out} ({', '.join(formats)})")
    return 0


def _statement_files(
    statements: list[MemberStatement], stems: dict[str, str], formats: list[str], date: dt.date
) -> list[tuple[str, str]]:
    """Each statement's files and the index, as (file name, text)."""
    files: list[tuple[str, str]] = []
    for st in statements:
        if "html" in formats:
            files.append((f"{stems[st.member]}.html", statement_html(st, date=date)))
        if "md" in formats:
            files.append((f"{stems[st.member]}.md", statement_markdown(st)))
    if "html" in formats:
        files.append(("index.html", index_html(statements, stems, formats, date=date)))
    if "md" in formats:
        files.append(("index.md", index_markdown(statements, stems)))
    return files


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "schema":
            schema = input_schema() if args.document == "input" else output_schema()
            print(json.dumps(schema, indent=2))
            return 0
        if args.command == "serve":
            return _serve(args)
        if args.command == "statements":
            return _run_statements(args)
        if args.command == "check-certificate":
            return _check(args)
        for path in _outputs(args):
            _check_writable(path)
        if args.command in ("review", "trade", "years"):
            if args.report is not None:
                _life_format(args.report)
            return _run_life(args)
        if args.report is not None:
            _report_format(args.report)
        if args.command == "demo":
            data = tender_demo_dict() if args.tender else demo_dict()
            if args.problem is not None:
                _write(args.problem, json.dumps(data, indent=2) + "\n")
            return _run(args, Problem.model_validate(data))
        problem = Problem.model_validate_json(_read(args.file))
        return _run(args, problem)
    except ProblemError as exc:
        what = "problem" if args.command in ("demo", "solve", "statements") else "input"
        print(f"allocate: invalid {what}: {exc}", file=sys.stderr)
        errors = _errors_path(args)
        if errors is not None:
            try:
                _write(errors, Rejection.from_error(exc).model_dump_json(indent=2) + "\n")
            except _WriteError as write_error:
                print(f"allocate: {write_error}", file=sys.stderr)
        return 2
    except _UsageError as exc:
        print(f"allocate: {exc}", file=sys.stderr)
        return 2
    except _WriteError as exc:
        print(f"allocate: {exc}", file=sys.stderr)
        return 3
    except AllocateError as exc:
        print(f"allocate: {exc}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace) -> int:
    """Run the HTTP service until interrupted."""
    try:
        limits = service.ServiceLimits(
            max_body_bytes=args.max_body_bytes,
            solve_seconds=args.solve_time_limit,
            max_solves=args.max_solves,
        )
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    if not 0 <= args.port <= 65535:
        raise _UsageError(f"--port must be between 0 and 65535, not {args.port}")
    try:
        service.serve(host=args.host, port=args.port, limits=limits)
    except service.ServiceUnavailableError as exc:
        raise _UsageError(str(exc)) from None
    except OSError as exc:  # the address is taken or cannot be bound
        raise _UsageError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
