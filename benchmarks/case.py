"""Run one benchmark case in this process and print its measurements as one JSON line.

``benchmarks/run.py`` starts one fresh interpreter per case and mode, so memory peaks never leak
from one case into the next.  Run by hand to look at a single case::

    python -m benchmarks.case --members 2000 --lots 20 --mode allocate --repeat 3

Modes
-----
``allocate``
    :func:`allocate.solve` as users call it (``method="auto"``: the exact closed form when it is
    provably optimal, else the leximin LP).
``allocate_lp``
    :func:`allocate.solve` with ``method="lp"``: always build and solve the LP (the path side-
    constraints need), to time model build against solver time.
``reference``
    The straightforward PuLP model (``benchmarks/reference.py``), then its optimum compared with
    :func:`allocate.solve`'s.

Timing: one untimed warm-up run, then ``--repeat`` timed runs; each stage's median and minimum are
reported.  Memory: one more run in which every stage resets the process's peak resident set
(``/proc/self/clear_refs``, Linux) and reads it back at the end (``VmHWM``): the peak RSS during the
stage, which counts the solver's C++ memory too, at no cost to the timed runs.  The stages inside
``solve()`` are metered by wrapping the pipeline's functions for that run only.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import re
import resource
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import allocate
from allocate import Problem
from allocate.pipeline.eligibility import assess
from allocate.synthetic import ALL_SIDE_CONSTRAINTS, consortium_dict

SIDE_VARIANTS: dict[str, tuple[str, ...]] = {"none": (), "all": ALL_SIDE_CONSTRAINTS}


# -- memory --------------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Meter:
    """Per-stage peak RSS (MiB), absolute and above the stage's starting RSS.

    Stages may nest (``solve`` holds ``solve.audit`` ...): an inner stage resets the kernel's
    peak, so its peak is carried up to every enclosing stage by hand.
    """

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}
        self.exact = True
        self._open: list[list[int]] = []  # running peak (KiB) of each enclosing stage

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        gc.collect()
        self._carry(_status_kib("VmHWM"))
        self.exact &= _reset_peak()
        start = _status_kib("VmRSS")
        running = [start]
        self._open.append(running)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - t0
            self._open.pop()
            peak = max(_status_kib("VmHWM"), running[0])
            self._carry(peak)
            before = self.stages.get(name)  # a stage run twice: total time, highest peak
            self.stages[name] = {
                "seconds": seconds + (before["seconds"] if before else 0.0),
                "peak_mib": max(peak / 1024, before["peak_mib"] if before else 0.0),
                "delta_mib": max(
                    max(0, peak - start) / 1024, before["delta_mib"] if before else 0.0
                ),
            }

    def _carry(self, peak: int) -> None:
        for running in self._open:
            running[0] = max(running[0], peak)

    def wrap(self, owner: Any, attr: str, name: str) -> Callable[[], None]:
        """Meter every call of ``owner.attr`` as stage ``name``; returns the undo."""
        original = getattr(owner, attr, None) if owner is not None else None
        if original is None:
            return lambda: None

        def metered(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return original(*args, **kwargs)

        setattr(owner, attr, metered)
        return lambda: setattr(owner, attr, original)


# -- runs ----------------------------------------------------------------------------------------


def _generate(args: argparse.Namespace) -> dict[str, Any]:
    return consortium_dict(
        args.members,
        args.lots,
        seed=args.seed,
        eligibility_density=args.density,
        side_constraints=SIDE_VARIANTS[args.side],
    )


def _eligible_pairs(problem: Problem) -> int:
    return int(assess(problem).eligible.sum())


def _allocate_once(args: argparse.Namespace, method: str) -> tuple[dict[str, float], Any]:
    gc.collect()
    t0 = time.perf_counter()
    data = _generate(args)
    t1 = time.perf_counter()
    problem = Problem.model_validate(data)
    t2 = time.perf_counter()
    allocation = allocate.solve(problem, method=method)  # type: ignore[arg-type]
    t3 = time.perf_counter()
    times = {"generate": t1 - t0, "validate": t2 - t1}
    times.update({f"solve.{k}": v for k, v in allocation.timings.items() if k != "total"})
    times["solve"] = t3 - t2
    times["end_to_end"] = t3 - t1  # validate + solve (round, verify, audit are inside solve)
    return times, allocation


def _allocate_memory(args: argparse.Namespace, method: str) -> dict[str, Any]:
    # the pipeline's modules, where ``solve`` looks each step up when it runs
    solve_module = importlib.import_module("allocate.pipeline.solve")
    engine_module = importlib.import_module("allocate.pipeline.engine")
    audit_module = importlib.import_module("allocate.pipeline.audit")
    meter = Meter()
    undo = [
        meter.wrap(solve_module, "plan", "solve.plan"),
        meter.wrap(engine_module, "solve_leximin", "solve.lp"),
        meter.wrap(solve_module, "solve_by_components", "solve.lp"),
        meter.wrap(solve_module, "choose_subcontracts", "solve.milp"),
        meter.wrap(solve_module, "diagnose_lp", "solve.diagnosis"),
        meter.wrap(solve_module, "round_awards", "solve.rounding"),
        meter.wrap(audit_module, "build", "solve.audit"),
        meter.wrap(solve_module, "verify_allocation", "solve.verify"),
    ]
    try:
        with meter.stage("generate"):
            data = _generate(args)
        with meter.stage("validate"):
            problem = Problem.model_validate(data)
        with meter.stage("solve"):
            allocate.solve(problem, method=method)  # type: ignore[arg-type]
    finally:
        for u in undo:
            u()
    return {"stages": meter.stages, "exact": meter.exact}


def _summary(runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    keys = dict.fromkeys(k for r in runs for k in r)
    return {
        k: {
            "median": statistics.median(r[k] for r in runs if k in r),
            "min": min(r[k] for r in runs if k in r),
        }
        for k in keys
    }


def _solver_info(allocation: Any) -> dict[str, Any]:
    solver = allocation.audit.solver
    metrics = allocation.audit.metrics
    return {
        "status": allocation.status.value,
        "method": solver.method,
        "stages": solver.stages,
        "variables": solver.variables,
        "constraints": solver.constraints,
        "worst_ratio": solver.worst_ratio,
        "min_ratio": None if metrics.min_ratio is None else float(metrics.min_ratio),
        "failed_checks": [c.name for c in allocation.audit.checks if not c.passed],
    }


def _warm_up(method: str) -> None:
    """Load every lazily imported module on a tiny problem, so no stage pays for imports."""
    allocate.solve(Problem.model_validate(consortium_dict(20, 3, seed=99)), method=method)  # type: ignore[arg-type]


def run_allocate(args: argparse.Namespace, method: str) -> dict[str, Any]:
    _warm_up(method)
    # memory first, on a fresh heap (the allocator keeps what later runs free), which also
    # warms the timed runs up
    memory = _allocate_memory(args, method)
    runs = []
    allocation = None
    for _ in range(args.repeat):
        times, allocation = _allocate_once(args, method)
        runs.append(times)
    problem = Problem.model_validate(_generate(args))
    return {
        "times": _summary(runs),
        "pairs": _eligible_pairs(problem),
        "solver": _solver_info(allocation),
        "memory": memory,
    }


def run_reference(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.reference import prepare, solve_reference

    _warm_up("auto")
    meter = Meter()
    with meter.stage("generate"):
        raw = _generate(args)
    with meter.stage("validate"):
        problem = Problem.model_validate(raw)
    with meter.stage("prepare"):
        data = prepare(problem)
    with meter.stage("model"):  # build + solve; split below from the model's own timers
        result = solve_reference(data, time_limit=args.time_limit)
    out: dict[str, Any] = {
        "times": {
            "prepare": data.seconds,
            "build": result.build_seconds,
            "solve": result.solve_seconds,
            "total": data.seconds + result.build_seconds + result.solve_seconds,
        },
        "memory": {"stages": meter.stages, "exact": meter.exact},
        "pairs": len(data.pairs),
        "status": result.status,
        "level": result.level,
        "variables": result.variables,
        "constraints": result.constraints,
    }
    # the same problem through allocate, to compare optima
    allocation = allocate.solve(problem)
    out["allocate_status"] = allocation.status.value
    if result.status == "optimal" and allocation.status.is_ok:
        ours = {(a.member, a.lot): a.amount for a in allocation.awards}
        worst = {"money": 0.0, "units": 0.0}
        off = 0
        for p in data.pairs:
            award = float(ours.get((p.member, p.lot), Decimal(0)))
            diff = abs(award - result.awards[p.member, p.lot])
            kind = "units" if p.lot in data.unit_value else "money"
            worst[kind] = max(worst[kind], diff)
            # rounding moves an award by under a penny, or under a unit's value on unit lots
            if diff > data.unit_value.get(p.lot, 0.0) + 0.01 + 1e-6:
                off += 1
        out["compare"] = {
            "max_abs_diff_pounds_money_lots": worst["money"],
            "max_abs_diff_pounds_unit_lots": worst["units"],
            "pairs_beyond_rounding": off,
            "level_gap": abs((result.level or 0.0) - 1.0),
            "allocate_min_ratio": _solver_info(allocation)["min_ratio"],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--lots", type=int, required=True)
    parser.add_argument("--side", choices=sorted(SIDE_VARIANTS), default="none")
    parser.add_argument("--mode", choices=["allocate", "allocate_lp", "reference"], required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--density", type=float, default=0.2, help="eligibility_density")
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args(argv)
    record: dict[str, Any] = {
        "members": args.members,
        "lots": args.lots,
        "side": args.side,
        "mode": args.mode,
        "seed": args.seed,
        "density": args.density,
        "repeat": args.repeat,
    }
    try:
        if args.mode == "reference":
            record.update(run_reference(args))
        else:
            method = "auto" if args.mode == "allocate" else "lp"
            record.update(run_allocate(args, method))
        record["ok"] = True
    except Exception as exc:
        record["ok"] = False
        record["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        record["traceback"] = traceback.format_exc()[-4000:]
    record["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(record, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
