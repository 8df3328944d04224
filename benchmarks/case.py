"""Run one benchmark case in this process and print its measurements as one JSON line.

``benchmarks/run.py`` starts one fresh interpreter per case and mode, so memory peaks never leak
from one case into the next.  Run by hand to look at a single case::

    python -m benchmarks.case --members 2000 --lots 20 --mode allocate --repeat 3

Modes
-----
``allocate``
    :func:`allocate.solve` as users call it (``method="auto"``: the exact closed form when it is
    provably optimal, else the leximin LP), with ``price_constraints=False``: eligibility, fair
    shares, the solve, rounding, audit and verification.
``allocate_lp``
    :func:`allocate.solve` with ``method="lp"``: always build and solve the LP (the path side-
    constraints need), to time model build against solver time.
``prices``
    :func:`allocate.solve` with ``price_constraints=True``: the audit's price of each
    side-constraint family (``audit.prices``, one more solve per family), timed apart from the
    rest of the solve (``Allocation.timings["prices"]``).
``reference``
    The straightforward PuLP model (``benchmarks/reference.py``): without side-constraints its
    own independent data preparation, its optimum compared with :func:`allocate.solve`'s award by
    award; with side-constraints the single max-min model over allocate's own plan and side rows
    (``reference.solve_side``), whose level ``run.py`` puts beside allocate's first stage.
``sweep``
    :func:`allocate.sweep` of ``--scenarios`` scenarios of the consortium on a process pool of
    ``--workers`` (spawned) processes, with the sweep's own solve options (no diagnosis, no
    prices).

Timing: one untimed warm-up run, then ``--repeat`` timed runs; each stage's median and minimum are
reported.  Memory: one more run in which every stage resets the process's peak resident set
(``/proc/self/clear_refs``, Linux) and reads it back at the end (``VmHWM``): the peak RSS during the
stage, which counts the solver's C++ memory too, at no cost to the timed runs.  The stages inside
``solve()`` are metered by wrapping the pipeline's functions for that run only.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import gc
import importlib
import json
import multiprocessing
import random
import re
import resource
import statistics
import sys
import time
import traceback
from collections import Counter
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
MODES = ("allocate", "allocate_lp", "prices", "reference", "sweep")


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
    allocation = allocate.solve(problem, method=method, price_constraints=False)  # type: ignore[arg-type]
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
            allocate.solve(problem, method=method, price_constraints=False)  # type: ignore[arg-type]
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
    allocate.solve(
        Problem.model_validate(consortium_dict(20, 3, seed=99)),
        method=method,  # type: ignore[arg-type]
        price_constraints=False,
    )


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


def run_prices(args: argparse.Namespace) -> dict[str, Any]:
    """One solve with every side-constraint family priced, the pricing timed apart."""
    _warm_up("auto")
    problem = Problem.model_validate(_generate(args))
    gc.collect()
    t0 = time.perf_counter()
    allocation = allocate.solve(problem, price_constraints=True)
    total = time.perf_counter() - t0
    priced = allocation.timings.get("prices")
    return {
        "times": {
            "solve_with_prices": total,
            "prices": priced,
            # the same call without the pricing step: what allocate mode times end to end
            "solve": None if priced is None else total - priced,
        },
        "pairs": _eligible_pairs(problem),
        "solver": _solver_info(allocation),
        "families": [p.setting for p in allocation.audit.prices] if priced is not None else [],
    }


def run_reference(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.reference import prepare, solve_reference, solve_side

    _warm_up("auto")
    meter = Meter()
    with meter.stage("generate"):
        raw = _generate(args)
    with meter.stage("validate"):
        problem = Problem.model_validate(raw)
    if args.side != "none":
        with meter.stage("model"):  # plan, side rows, build + solve (and the MILP if needed)
            side_data, side = solve_side(problem, time_limit=args.time_limit)
        return {
            "times": {
                "prepare": side_data.seconds,
                "decisions": side.decision_seconds,
                "build": side.build_seconds,
                "solve": side.solve_seconds,
                "total": side_data.seconds
                + side.decision_seconds
                + side.build_seconds
                + side.solve_seconds,
            },
            "memory": {"stages": meter.stages, "exact": meter.exact},
            "pairs": len(side_data.pairs),
            "side_rows": len(side_data.rows),
            "source": side_data.source,
            "decisions": side.decisions,
            "status": side.status,
            "level": side.level,
            "variables": side.variables,
            "constraints": side.constraints,
        }
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
        "source": data.source,
        "decisions": result.decisions,
        "status": result.status,
        "level": result.level,
        "variables": result.variables,
        "constraints": result.constraints,
    }
    # the same problem through allocate, to compare optima
    allocation = allocate.solve(problem, price_constraints=False)
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


# -- the sweep -----------------------------------------------------------------------------------


def sweep_scenarios(problem: Problem, n: int, seed: int = 0) -> list[Any]:
    """``n`` what-ifs of ``problem``, seeded: capacity, quality, contract size, top-slice, policy.

    Every change keeps the problem valid; each scenario makes one or two changes.
    """
    from allocate.scenarios import (
        Scenario,
        scale_capacity,
        scale_contract,
        set_policy,
        set_quality,
        set_top_slice,
    )

    rng = random.Random(seed)
    members = [m.id for m in problem.members]
    declaring = sorted({c.member for c in problem.capacities})  # scale_capacity needs one
    contracts = [c.id for c in problem.contracts]
    policy = problem.policy
    max_rate = float(problem.top_slice.max_rate)

    def one() -> Any:
        kind = rng.randrange(6)
        if kind == 0:
            return scale_capacity(rng.choice(declaring), rng.choice(["0.8", "0.9", "1.1", "1.25"]))
        if kind == 1:
            score = round(rng.uniform(0.4, 1.0), 2)
            return set_quality(rng.choice(members), score)
        if kind == 2:
            return scale_contract(rng.choice(contracts), rng.choice(["0.9", "1.1", "1.5"]))
        if kind == 3:
            rate = round(rng.uniform(0.05, max_rate), 3)
            return set_top_slice(method="fixed", rate=str(rate))
        if kind == 4 and policy.max_member_share is not None:
            share = min(1.0, float(policy.max_member_share) * rng.choice([0.95, 1.05, 1.2]))
            return set_policy(max_member_share=str(round(share, 4)))
        if policy.small_org_share is not None:
            share = float(policy.small_org_share) * rng.choice([0.5, 0.8, 1.1])
            return set_policy(small_org_share=str(round(share, 4)))
        return scale_capacity(rng.choice(declaring), "1.05")

    return [Scenario(f"s{k:04d}", [one() for _ in range(rng.choice([1, 2]))]) for k in range(n)]


def run_sweep(args: argparse.Namespace) -> dict[str, Any]:
    """``allocate.sweep`` on a spawned process pool: the wall time of the whole sweep."""
    problem = Problem.model_validate(_generate(args))
    scenarios = sweep_scenarios(problem, args.scenarios, args.seed)
    context = multiprocessing.get_context("spawn")
    gc.collect()
    t0 = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=args.workers, mp_context=context) as pool:
        results = allocate.sweep(problem, scenarios, pool, errors="record", progress=False)
    seconds = time.perf_counter() - t0
    statuses = Counter(r.status for r in results)
    return {
        "times": {"sweep": seconds},
        "pairs": _eligible_pairs(problem),
        "scenarios": len(results),
        "workers": args.workers,
        "statuses": dict(statuses),
        "per_scenario": seconds / max(1, len(results)),
        "solve_seconds": sum(r.seconds for r in results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--lots", type=int, required=True)
    parser.add_argument("--side", choices=sorted(SIDE_VARIANTS), default="none")
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--density", type=float, default=0.2, help="eligibility_density")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--scenarios", type=int, default=1000, help="sweep mode: how many")
    parser.add_argument("--workers", type=int, default=2, help="sweep mode: processes")
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
    if args.mode == "sweep":
        record.update({"scenarios": args.scenarios, "workers": args.workers})
    try:
        if args.mode == "reference":
            record.update(run_reference(args))
        elif args.mode == "prices":
            record.update(run_prices(args))
        elif args.mode == "sweep":
            record.update(run_sweep(args))
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
