"""The ``allocate`` command line.

``allocate demo``
    Solve the built-in example consortium and print a summary (``--json``/``--report`` as for
    ``solve``; ``--problem OUT`` writes the example's input JSON to start from).
``allocate solve FILE.json [--json OUT] [--report OUT.md|OUT.html] [--method auto|closed_form|lp]``
    Solve a problem file, print a summary, optionally write the allocation JSON and a report
    in the format its file name's suffix names (:data:`allocate.report.FORMATS`: a stand-alone
    HTML page for ``.html`` or ``.htm``, Markdown for ``.md``; any other suffix is refused
    before solving, exit 2).
``allocate schema``
    Print the JSON Schema of the problem format.

Exit codes: 0 solved; 1 no allocation exists (infeasible) or the solver failed; 2 bad input or
usage (with a readable message, never a traceback), including an output path that cannot be
written, which is checked before solving; 3 the allocation was made but an output could not be
written after all (the message names the temporary file that holds it instead).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from allocate import __version__
from allocate.core.errors import AllocateError, ProblemError
from allocate.core.examples import demo_dict
from allocate.core.model import Problem
from allocate.core.outcome import Allocation
from allocate.pipeline.solve import solve
from allocate.report import FORMATS, report_for

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="allocate",
        description="Fair, explainable allocation of a consortium's contracts among its members.",
    )
    parser.add_argument("--version", action="version", version=f"allocate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def outputs(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", metavar="OUT", type=Path, help="write the allocation as JSON")
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
        p.add_argument("--time-limit", type=float, default=None, help="solver seconds")
        p.add_argument("--quiet", action="store_true", help="print nothing on success")

    demo = sub.add_parser("demo", help="solve the built-in example consortium")
    outputs(demo)
    demo.add_argument("--problem", metavar="OUT", type=Path, help="write the example input JSON")
    s = sub.add_parser("solve", help="solve a problem file (JSON)")
    s.add_argument("file", type=Path, help="problem JSON ('-' for standard input)")
    outputs(s)
    sub.add_parser("schema", help="print the JSON Schema of the problem format")
    return parser


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
    return [
        path
        for path in (args.json, args.report, getattr(args, "problem", None))
        if path is not None
    ]


def _check_writable(path: Path) -> None:
    """Refuse, before solving, an output path that cannot be written."""
    if path.is_dir():
        raise _UsageError(f"cannot write {path}: it is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise _UsageError(f"cannot write {path}: no such folder {folder}")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise _UsageError(f"cannot write {path}: permission denied")


def _report_format(path: Path) -> Callable[[Allocation], str]:
    """The renderer for ``--report``; an unsupported suffix is a usage error, before solving."""
    try:
        return report_for(path)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None


def _write(path: Path, text: str) -> None:
    """Write one output; on failure keep the text in a temporary file and say where."""
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
        print(allocation.summary())
    _write_outputs(args, allocation)
    return 0 if allocation.status.is_ok else 1


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command != "schema":
            for path in _outputs(args):
                _check_writable(path)
            if args.report is not None:
                _report_format(args.report)
        if args.command == "schema":
            print(json.dumps(Problem.model_json_schema(), indent=2))
            return 0
        if args.command == "demo":
            if args.problem is not None:
                _write(args.problem, json.dumps(demo_dict(), indent=2) + "\n")
            return _run(args, Problem.model_validate(demo_dict()))
        problem = Problem.model_validate_json(_read(args.file))
        return _run(args, problem)
    except ProblemError as exc:
        print(f"allocate: invalid problem: {exc}", file=sys.stderr)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
