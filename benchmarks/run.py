"""Run the benchmark suite and rewrite the results in ``benchmarks/README.md``.

Every case runs in its own interpreter (``benchmarks/case.py``) so that peak memory is the case's
own, and a case that fails, is unsupported or runs out of time is recorded, never fatal::

    python benchmarks/run.py                        # everything (slow: see --timeout)
    python benchmarks/run.py --sizes 50x5,500x10 --skip-reference --repeat 5 --no-readme
    python benchmarks/run.py --sizes 50x5 --scenarios 20 --timeout 120 --no-readme

For every size and side-constraint variant: ``allocate`` (end to end), the straightforward
max-min ``reference`` on the same instance, ``allocate_lp`` (no side-constraints), the pricing of
every side-constraint family (``prices``, side-constraints on, up to 2,000 members by default),
and once per run a ``sweep`` of ``--scenarios`` scenarios on a process pool.

Results go to ``benchmarks/results.json`` (every number measured) and to the table between the
``<!-- results -->`` markers of ``benchmarks/README.md``, with the machine they were measured on.
A partial run (fewer sizes, sides or modes than the whole suite) leaves the README alone unless
``--force-readme`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SIZES = "50x5,500x10,2000x20,12000x20"
START, END = "<!-- results:start -->", "<!-- results:end -->"

#: End-to-end targets of the county-scale issue, in seconds, by (members, lots, side).
TARGETS: dict[tuple[int, int, str], float] = {
    (50, 5, "none"): 0.02,
    (50, 5, "all"): 0.02,
    (500, 10, "all"): 0.3,
    (2000, 20, "all"): 3.0,
    (12000, 20, "all"): 20.0,
    (12000, 20, "none"): 1.0,
}
#: Pricing every side-constraint family (``audit.prices``) within this multiple of the solve.
PRICE_TARGETS: dict[tuple[int, int], float] = {(2000, 20): 3.0}
#: 1,000 scenarios of a 500-member consortium, every side-constraint, 2 processes: seconds.
SWEEP_TARGET = (1000, 300.0)
#: Sizes priced by default: up to this many members.
PRICES_UP_TO = 2000


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", part)
        if not match:
            raise argparse.ArgumentTypeError(f"a size is MEMBERSxLOTS, e.g. 500x10, not {part!r}")
        sizes.append((int(match.group(1)), int(match.group(2))))
    return sizes


def calibrate(repeat: int = 5) -> dict[str, float]:
    """The machine's speed at the time of the run, on two fixed workloads (best of ``repeat``).

    A shared or throttled machine can run the same code twice as slowly from one hour to the
    next; these two figures, measured beside the table, say how fast this one was: a pure-Python
    loop (the pipeline's Python) and one fixed LP solved by HiGHS (the solver).
    """
    import highspy
    import numpy as np

    def loop() -> None:
        total = 0
        for i in range(2_000_000):
            total += i

    def lp() -> None:
        # a fixed transportation-like LP: 200 supplies × 50 demands, deterministic costs
        n, m = 200, 50
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        cost = ((np.arange(n * m) * 7919) % 1000 / 1000.0 + 0.5).tolist()
        h.addVars(n * m, np.zeros(n * m), np.full(n * m, np.inf))
        h.changeColsCost(n * m, np.arange(n * m, dtype=np.int32), np.array(cost))
        for i in range(n):
            idx = np.arange(i * m, (i + 1) * m, dtype=np.int32)
            h.addRow(-np.inf, 10.0, m, idx, np.ones(m))
        for j in range(m):
            idx = np.arange(j, n * m, m, dtype=np.int32)
            h.addRow(35.0, np.inf, n, idx, np.ones(n))
        h.run()

    out = {}
    for name, work in (("python_loop_s", loop), ("highs_lp_s", lp)):
        best = math.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - t0)
        out[name] = best
    return out


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        info = Path("/proc/cpuinfo").read_text()
        match = re.search(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
        cpu = match.group(1).strip() if match else cpu
        cores = len(set(re.findall(r"^core id\s*:\s*(\d+)$", info, re.MULTILINE))) or None
    except OSError:
        cores = None
    ram = None
    try:
        match = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
        ram = round(int(match.group(1)) / 1024**2, 1) if match else None
    except OSError:
        pass
    libs = {}
    for name in ("allocate", "pulp", "highspy", "numpy", "pydantic", "pandas"):
        try:
            libs[name] = version(name)
        except PackageNotFoundError:
            libs[name] = "not installed"
    commit = None
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return {
        "cpu": cpu,
        "physical_cores": cores,
        "logical_cpus": os.cpu_count(),
        "ram_gib": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "libraries": libs,
        "commit": commit,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "calibration": calibrate(),
    }


def run_case(
    members: int,
    lots: int,
    side: str,
    mode: str,
    repeat: int,
    timeout: float,
    density: float,
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.case",
        f"--members={members}",
        f"--lots={lots}",
        f"--side={side}",
        f"--mode={mode}",
        f"--repeat={repeat}",
        f"--density={density}",
        *extra,
    ]
    base = {"members": members, "lots": lots, "side": side, "mode": mode, "ok": False}
    t0 = time.perf_counter()
    # a session of its own, so that a case past its time is stopped with every process it
    # started (the sweep's pool workers too), and nothing else
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return base | {
            "error": f"timed out after {timeout:.0f} s",
            "timed_out": True,
            "wall": timeout,
        }
    wall = time.perf_counter() - t0
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (stderr or stdout).strip().splitlines()[-3:]
        return base | {"error": f"exit {proc.returncode}: {' | '.join(tail)}", "wall": wall}
    record: dict[str, Any] = json.loads(lines[-1])
    record["wall"] = wall
    return record


# -- the tables ------------------------------------------------------------------------------


def _s(x: float | None) -> str:
    if x is None:
        return "–"
    if x < 0.1:
        return f"{x * 1000:.1f} ms"
    if x >= 100:
        return f"{x:,.0f} s"
    return f"{x:.2f} s"


def _t(record: dict[str, Any], key: str) -> float | None:
    times = record.get("times", {})
    value = times.get(key)
    if isinstance(value, dict):
        return float(value["median"])
    return None if value is None else float(value)


def _mem(record: dict[str, Any], stage: str, what: str = "delta_mib") -> str:
    stages = record.get("memory", {}).get("stages", {})
    if stage not in stages:
        return "–"
    return f"{stages[stage][what]:.0f}"


def _find(results: list[dict[str, Any]], m: int, n: int, side: str, mode: str) -> dict[str, Any]:
    for r in results:
        if (r["members"], r["lots"], r["side"], r["mode"]) == (m, n, side, mode):
            return r
    return {}


def _failure(record: dict[str, Any]) -> str:
    error = str(record.get("error", "not run"))
    first = error.splitlines()[0] if error else "not run"
    return first if len(first) < 90 else first[:87] + "..."


def _verdict(
    value: float | None, target: float | None, unit: str = "s", past: float | None = None
) -> str:
    """The target and whether ``value`` meets it; ``past``: the case ran out of this much time."""
    if target is None:
        return "–"
    shown = _s(target) if unit == "s" else f"{target:g}×"
    if value is None:
        return f"{shown} ❌" if past is not None and past >= target else f"{shown} –"
    return f"{shown} {'✅' if value <= target else '❌'}"


def _past(record: dict[str, Any]) -> float | None:
    """The time a case ran out of, when it did."""
    return float(record["wall"]) if record.get("timed_out") else None


def _ratio(x: float | None, y: float | None) -> str:
    if x is None or not y:
        return "–"
    r = x / y
    return f"{r:,.0f}×" if r >= 10 else f"{r:.2g}×"


def _status(record: dict[str, Any], key: str = "status") -> str:
    if not record:
        return "not run"
    if record.get("timed_out"):
        return f"**timed out** after {_s(record.get('wall'))}"
    if not record.get("ok"):
        return f"error: {_failure(record)}"
    solver = record.get("solver", {})
    return str(solver.get(key, record.get(key, "?")))


def _level(x: Any) -> str:
    return "–" if x is None else f"{float(x):.6f}"


def _calibration(info: dict[str, Any]) -> str:
    """The machine's speed at the run (``calibrate``), when the results file has it."""
    cal = info.get("calibration")
    if not cal:
        return ""
    return (
        "  Machine speed at the run (`calibrate()`, best of 5): a pure-Python loop of 2,000,000 "
        f"additions {cal['python_loop_s'] * 1000:.0f} ms, a fixed 10,000-variable LP in HiGHS "
        f"{cal['highs_lp_s'] * 1000:.0f} ms; a slower machine, or the same one shared, scales "
        "every time below."
    )


def tables(results: list[dict[str, Any]], info: dict[str, Any], args: dict[str, Any]) -> str:
    sizes = sorted({(r["members"], r["lots"]) for r in results if r["mode"] != "sweep"})
    sides = [s for s in ("none", "all") if any(r["side"] == s for r in results)]
    libs = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    out = [
        f"Measured {info['date']} on **{info['cpu']}**, {info['physical_cores']} cores "
        f"({info['logical_cpus']} logical CPUs), {info['ram_gib']} GiB RAM, {info['os']}, "
        f"Python {info['python']}; {libs}; commit `{info['commit']}`.  "
        f"Consortia: `allocate.synthetic.consortium(members, lots, seed=0, "
        f"eligibility_density={args['density']})`, side-constraints `none` or `all` "
        "(`allocate.synthetic.ALL_SIDE_CONSTRAINTS`).  "
        f"Command: `{args['command']}`.  Times are medians of {args['repeat']} runs after a "
        "warm-up (the baseline, forced-LP, pricing and sweep runs: one run each); memory is the "
        "peak resident set during the stage above the resident set at its start, in MiB, from a "
        f"separate run on a fresh heap.  Every case had {args.get('timeout', '?')} s."
        + _calibration(info)
        + (f"  {args['note']}" if args.get("note") else ""),
        "",
        "**End to end** (`Problem.model_validate` + `allocate.solve(problem, "
        "price_constraints=False)`: eligibility, fair shares, solve, rounding, audit, "
        "verification)",
        "",
        "| members × lots | side-constraints | eligible pairs | generate | validate | solve() "
        "| end to end | target | leximin stages | worst ratio | peak RSS (MiB) | status |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m, n in sizes:
        for side in sides:
            r = _find(results, m, n, side, "allocate")
            if not r:
                continue
            e2e = _t(r, "end_to_end")
            verdict = _verdict(e2e, TARGETS.get((m, n, side)), past=_past(r))
            peak = r.get("max_rss_mib")
            pairs = r.get("pairs")
            solver = r.get("solver", {})
            stages = solver.get("stages")
            if r.get("ok") and peak is not None:
                out.append(
                    f"| {m:,} × {n} | {side} | {'–' if pairs is None else f'{pairs:,}'} "
                    f"| {_s(_t(r, 'generate'))} | {_s(_t(r, 'validate'))} "
                    f"| {_s(_t(r, 'solve'))} | **{_s(e2e)}** | {verdict} "
                    f"| {'–' if stages is None else f'{stages:,}'} "
                    f"| {_level(solver.get('worst_ratio'))} | {peak:.0f} | {_status(r)} |"
                )
            else:
                out.append(
                    f"| {m:,} × {n} | {side} | – | – | – | – | – | {verdict} | – | – | – "
                    f"| {_status(r)} |"
                )
    stage_keys = [
        ("validate", "validate", "validate"),
        ("eligibility + fair shares", "solve.eligibility+solve.fair_shares", "solve.plan"),
        ("LP build", "solve.build", None),
        ("LP solve", "solve.solve", "solve.lp"),
        ("rounding", "solve.rounding", "solve.rounding"),
        ("audit", "solve.audit", "solve.audit"),
        ("verify", "solve.verify", "solve.verify"),
        ("diagnosis", "solve.diagnosis", "solve.diagnosis"),
    ]
    out += [
        "",
        "**Per stage**, `allocate.solve` as called (closed form when provably optimal, else the "
        "LP): time / peak memory above the stage's start (MiB)",
        "",
        "| members × lots | side | " + " | ".join(k for k, _, _ in stage_keys) + " |",
        "|---|---|" + "---:|" * len(stage_keys),
    ]
    for m, n in sizes:
        for side in sides:
            r = _find(results, m, n, side, "allocate")
            if not r.get("ok"):
                continue
            cells = []
            for _, tkey, mkey in stage_keys:
                seconds = sum(_t(r, k) or 0.0 for k in tkey.split("+"))
                present = any(_t(r, k) is not None for k in tkey.split("+"))
                mem = _mem(r, mkey) if mkey else "–"
                cells.append(f"{_s(seconds) if present else '–'} / {mem}")
            out.append(f"| {m:,} × {n} | {side} | " + " | ".join(cells) + " |")

    ref_rows: list[str] = []
    ref_head = [
        "",
        "**Against the straightforward max-min model** (`benchmarks/reference.py`: one PuLP "
        "model in raw pounds with the same side rows, a single `max t` over the ratio rows "
        "`x ≥ t·fair share`, one HiGHS solve), on the same instance in the same run.  Its `t` "
        "is the max-min level; `allocate`'s worst ratio is its first leximin stage, the same "
        "level, and then it raises the next worst, stage by stage.  `allocate ÷ max-min` is "
        "allocate's end to end over the baseline's total: the price of leximin (and of "
        "rounding, audit and verification) over one max-min solve.",
        "",
        "| members × lots | side | side rows | decisions | baseline prepare | baseline build "
        "| baseline solve | baseline total | max-min t | allocate worst ratio | same level "
        "| allocate end to end | leximin stages | **allocate ÷ max-min** | baseline peak (MiB) |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for m, n in sizes:
        for side in sides:
            ref = _find(results, m, n, side, "reference")
            ours = _find(results, m, n, side, "allocate")
            if not ref:
                continue
            e2e = _t(ours, "end_to_end") if ours.get("ok") else None
            ref_ok = bool(ref.get("ok")) and ref.get("status") == "optimal"
            total = _t(ref, "total") if ref_ok else None
            level = ref.get("level") if ref_ok else None
            solver = ours.get("solver", {}) if ours.get("ok") else {}
            worst = solver.get("worst_ratio")
            cmp = ref.get("compare")
            if not ref_ok:
                same = f"– ({_status(ref)})"
            elif cmp:  # no side-constraints: every award compared too
                same = (
                    "yes"
                    if cmp["pairs_beyond_rounding"] == 0 and cmp["level_gap"] < 1e-6
                    else "**no**"
                )
                same += (
                    f" (awards: max Δ £{cmp['max_abs_diff_pounds_money_lots']:.4f} on money lots)"
                )
            elif level is not None and worst is not None:
                gap = abs(float(level) - float(worst))
                same = f"{'yes' if gap <= 1e-6 else '**no**'} (Δ {gap:.1e})"
            else:
                same = "–"
            decisions = ref.get("decisions", "–") if side != "none" else "–"
            if decisions == "milp":
                decisions = f"milp ({_s(_t(ref, 'decisions'))})"
            stages = solver.get("stages")
            ref_rows.append(
                f"| {m:,} × {n} | {side} | {ref.get('side_rows', 0):,} | {decisions} "
                f"| {_s(_t(ref, 'prepare'))} | {_s(_t(ref, 'build'))} | {_s(_t(ref, 'solve'))} "
                f"| {_s(total)} | {_level(level)} | {_level(worst)} | {same} | {_s(e2e)} "
                f"| {'–' if stages is None else f'{stages:,}'} | {_ratio(e2e, total)} "
                f"| {_mem(ref, 'model')} |"
            )
    if ref_rows:
        out += ref_head + ref_rows

    lp_rows = []
    for m, n in sizes:
        lp = _find(results, m, n, "none", "allocate_lp")
        if not lp:
            continue
        if lp.get("ok"):
            build, solve = _t(lp, "solve.build"), _t(lp, "solve.solve")
            stages = lp.get("solver", {}).get("stages")
            ok = "✅" if build is not None and solve is not None and build <= solve else "❌"
            lp_rows.append(f"| {m:,} × {n} | {_s(build)} | {_s(solve)} | {stages} | {ok} |")
        else:
            lp_rows.append(f"| {m:,} × {n} | – | – | – | {_status(lp)} |")
    if lp_rows:
        out += [
            "",
            '**The leximin LP forced** (`allocate.solve(problem, method="lp")`, no '
            "side-constraints, where the closed form would do): model build against solver time",
            "",
            "| members × lots | LP build | LP solve | stages | build ≤ solve |",
            "|---|---:|---:|---:|---|",
            *lp_rows,
        ]

    price_rows = []
    for m, n in sizes:
        r = _find(results, m, n, "all", "prices")
        if not r:
            continue
        target = PRICE_TARGETS.get((m, n))
        if r.get("ok"):
            priced, solve = _t(r, "prices"), _t(r, "solve")
            ratio = None if priced is None or not solve else priced / solve
            families = len(r.get("families", []))
            price_rows.append(
                f"| {m:,} × {n} | {_s(solve)} | {_s(priced)} | {families} "
                f"| {'–' if ratio is None else f'{ratio:.2g}×'} "
                f"| {_verdict(ratio, target, unit='x')} | {_status(r)} |"
            )
        else:
            price_rows.append(
                f"| {m:,} × {n} | – | – | – | – | {_verdict(None, target, unit='x')} "
                f"| {_status(r)} |"
            )  # (a timed-out pricing says nothing about its ratio to the solve)
    if price_rows:
        out += [
            "",
            "**Pricing the side-constraints** (`allocate.solve(problem, "
            "price_constraints=True)`, side-constraints `all`: `audit.prices`, one more solve "
            'per family switched off, timed apart as `Allocation.timings["prices"]`; the '
            "solve is the rest of the same call)",
            "",
            "| members × lots | solve | audit.prices | families | prices ÷ solve | target "
            "| status |",
            "|---|---:|---:|---:|---:|---:|---|",
            *price_rows,
        ]

    sweeps = [r for r in results if r["mode"] == "sweep"]
    if sweeps:
        out += [
            "",
            "**A sweep** (`allocate.sweep(problem, scenarios, ProcessPoolExecutor(workers, "
            "spawn))`, side-constraints `all`; seeded scenarios of one or two changes each: "
            "capacity, quality, contract size, top-slice rate, share cap, ring-fence; the "
            "sweep's own solve options, no diagnosis, no prices).  The target is for 1,000 "
            "scenarios; a smaller run is also shown scaled to 1,000.",
            "",
            "| members × lots | scenarios | processes | wall time | scenarios / minute "
            "| 1,000 at this rate | target | statuses |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        count, limit = SWEEP_TARGET
        for r in sweeps:
            m, n = r["members"], r["lots"]
            wall = _t(r, "sweep") if r.get("ok") else None
            done = r.get("scenarios") or 0
            per_min = f"{done / wall * 60:,.0f}" if wall and done else "–"
            scaled = wall * count / done if wall and done else None
            past = _past(r)
            if past is not None:  # 1,000 would take longer than this
                past = past * count / max(done, 1)
            statuses = (
                ", ".join(f"{k} {v}" for k, v in sorted(r.get("statuses", {}).items()))
                if r.get("ok")
                else _status(r)
            )
            out.append(
                f"| {m:,} × {n} | {done:,} | {r.get('workers', '?')} | {_s(wall)} | {per_min} "
                f"| {_s(scaled)} "
                f"| {_verdict(scaled, limit, past=past)} "
                f"| {statuses} |"
            )

    out += [
        "",
        "**Memory against eligible pairs** (`allocate.solve`, no side-constraints): peak above "
        "the start of validation and solve, per eligible pair",
        "",
        "| members × lots | eligible pairs | validate (MiB) | solve (MiB) | KiB per pair |",
        "|---|---:|---:|---:|---:|",
    ]
    for m, n in sizes:
        r = _find(results, m, n, "none", "allocate")
        stages = r.get("memory", {}).get("stages", {})
        if not r.get("ok") or "solve" not in stages:
            continue
        v, s = stages["validate"]["delta_mib"], stages["solve"]["delta_mib"]
        pairs = r.get("pairs") or 1
        out.append(
            f"| {m:,} × {n} | {pairs:,} | {v:.1f} | {s:.1f} | {(v + s) * 1024 / pairs:.2f} |"
        )
    return "\n".join(out)


def write_readme(path: Path, body: str) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = text.rstrip() + f"\n\n## Results\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{body}\n{END}{tail}")


def _complete(args: argparse.Namespace, sides: list[str]) -> bool:
    """Whether a run covers the whole suite (every default size, side and mode)."""
    return (
        set(args.sizes) >= set(parse_sizes(DEFAULT_SIZES))
        and set(sides) == {"none", "all"}
        and not (args.skip_reference or args.skip_lp or args.skip_prices or args.skip_sweep)
        and args.scenarios >= SWEEP_TARGET[0]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the allocate benchmark suite.")
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES))
    parser.add_argument("--sides", default="none,all", help="none, all or none,all")
    parser.add_argument("--skip-reference", action="store_true", help="skip the PuLP baseline")
    parser.add_argument("--skip-lp", action="store_true", help="skip the forced-LP allocate runs")
    parser.add_argument("--skip-prices", action="store_true", help="skip pricing the families")
    parser.add_argument(
        "--prices-sizes",
        type=parse_sizes,
        help=f"sizes to price (default: those of --sizes up to {PRICES_UP_TO:,} members)",
    )
    parser.add_argument("--skip-sweep", action="store_true", help="skip the sweep")
    parser.add_argument("--scenarios", type=int, default=SWEEP_TARGET[0], help="sweep size")
    parser.add_argument(
        "--sweep-size", type=parse_sizes, default=parse_sizes("500x10"), help="the swept consortium"
    )
    parser.add_argument("--workers", type=int, default=2, help="the sweep's processes")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per allocate case")
    parser.add_argument(
        "--density", type=float, default=0.2, help="eligibility_density of the consortia"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per case")
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    parser.add_argument("--readme", type=Path, default=HERE / "README.md")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the README")
    parser.add_argument(
        "--force-readme", action="store_true", help="rewrite the README after a partial run too"
    )
    parser.add_argument(
        "--from-json", type=Path, help="only redraw the tables from an earlier results file"
    )
    args = parser.parse_args(argv)
    if args.from_json is not None:
        saved = json.loads(args.from_json.read_text())
        body = tables(saved["results"], saved["machine"], saved["run"])
        print(body)
        if not args.no_readme:
            write_readme(args.readme, body)
        return 0
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    priced = (
        args.prices_sizes
        if args.prices_sizes is not None
        else [(m, n) for m, n in args.sizes if m <= PRICES_UP_TO]
    )

    plan: list[tuple[int, int, str, str, int, tuple[str, ...]]] = []
    for m, n in args.sizes:
        for side in sides:
            plan.append((m, n, side, "allocate", args.repeat, ()))
            if not args.skip_reference:
                plan.append((m, n, side, "reference", 1, ()))
        if "none" in sides and not args.skip_lp:
            plan.append((m, n, "none", "allocate_lp", 1, ()))
        if "all" in sides and not args.skip_prices and (m, n) in priced:
            plan.append((m, n, "all", "prices", 1, ()))
    if not args.skip_sweep:
        for m, n in args.sweep_size:
            sweep_args = (f"--scenarios={args.scenarios}", f"--workers={args.workers}")
            plan.append((m, n, "all", "sweep", 1, sweep_args))

    results = []
    for m, n, side, mode, repeat, extra in plan:
        print(f"{m:>6} x {n:<3} {side:<4} {mode:<12} ...", end=" ", flush=True, file=sys.stderr)
        record = run_case(m, n, side, mode, repeat, args.timeout, args.density, extra)
        if mode == "sweep":  # also when it did not finish
            record.setdefault("scenarios", args.scenarios)
            record.setdefault("workers", args.workers)
        results.append(record)
        if record.get("ok"):
            key = {"reference": "total", "prices": "prices", "sweep": "sweep"}.get(
                mode, "end_to_end"
            )
            print(f"{_s(_t(record, key))}  (wall {record['wall']:.1f} s)", file=sys.stderr)
        else:
            print(f"FAILED: {_failure(record)}", file=sys.stderr)

    info = machine()
    command = "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    meta = {
        "repeat": args.repeat,
        "density": args.density,
        "timeout": args.timeout,
        "command": command.strip(),
    }
    args.output.write_text(
        json.dumps({"machine": info, "run": meta, "results": results}, indent=1, default=str)
    )
    body = tables(results, info, meta)
    print(body)
    if args.no_readme:
        return 0
    if _complete(args, sides) or args.force_readme:
        write_readme(args.readme, body)
    else:
        print(
            "\nA partial run: the README's table is left as it is (--force-readme to rewrite it).",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
