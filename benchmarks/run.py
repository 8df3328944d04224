"""Run the benchmark suite and rewrite the results in ``benchmarks/README.md``.

Every case runs in its own interpreter (``benchmarks/case.py``) so that peak memory is the case's
own, and a case that fails, is unsupported or runs out of time is recorded, never fatal::

    python benchmarks/run.py                        # everything (the 12,000 x 20 baseline is slow)
    python benchmarks/run.py --sizes 50x5,500x10 --skip-reference --repeat 5

Results go to ``benchmarks/results.json`` (every number measured) and to the table between the
``<!-- results -->`` markers of ``benchmarks/README.md``, with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
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

#: End-to-end targets from issue #5, in seconds, by (members, lots).
TARGETS: dict[tuple[int, int], float] = {(50, 5): 0.05, (12000, 20): 5.0}


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", part)
        if not match:
            raise argparse.ArgumentTypeError(f"a size is MEMBERSxLOTS, e.g. 500x10, not {part!r}")
        sizes.append((int(match.group(1)), int(match.group(2))))
    return sizes


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
    }


def run_case(
    members: int, lots: int, side: str, mode: str, repeat: int, timeout: float, density: float
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
    ]
    base = {"members": members, "lots": lots, "side": side, "mode": mode, "ok": False}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return base | {"error": f"timed out after {timeout:.0f} s", "wall": timeout}
    wall = time.perf_counter() - t0
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
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


def tables(results: list[dict[str, Any]], info: dict[str, Any], args: dict[str, Any]) -> str:
    sizes = sorted({(r["members"], r["lots"]) for r in results})
    sides = [s for s in ("none", "all") if any(r["side"] == s for r in results)]
    libs = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    out = [
        f"Measured {info['date']} on **{info['cpu']}**, {info['physical_cores']} cores "
        f"({info['logical_cpus']} logical CPUs), {info['ram_gib']} GiB RAM, {info['os']}, "
        f"Python {info['python']}; {libs}; commit `{info['commit']}`.  "
        f"Consortia: `allocate.synthetic.consortium(members, lots, seed=0, "
        f"eligibility_density={args['density']})`.  "
        f"Command: `{args['command']}`.  Times are medians of {args['repeat']} runs after a "
        "warm-up (the baseline and the forced-LP runs: one run each); memory is the peak resident "
        "set during the stage above the resident set at its start, in MiB, from a separate run "
        "on a fresh heap.",
        "",
        "**End to end** (`Problem.model_validate` + `allocate.solve`: eligibility, fair shares, "
        "solve, rounding, audit, verification)",
        "",
        "| members × lots | side-constraints | eligible pairs | generate | validate | solve() "
        "| end to end | target | peak RSS (MiB) | status |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m, n in sizes:
        for side in sides:
            r = _find(results, m, n, side, "allocate")
            if not r:
                continue
            target = TARGETS.get((m, n)) if side == "none" else None
            e2e = _t(r, "end_to_end")
            verdict = "–"
            if target is not None and e2e is not None:
                verdict = f"{_s(target)} {'✅' if e2e <= target else '❌'}"
            status = (
                r.get("solver", {}).get("status", "?") if r.get("ok") else f"error: {_failure(r)}"
            )
            peak = r.get("max_rss_mib")
            pairs = r.get("pairs")
            out.append(
                f"| {m:,} × {n} | {side} | {'–' if pairs is None else f'{pairs:,}'} "
                f"| {_s(_t(r, 'generate'))} "
                f"| {_s(_t(r, 'validate'))} | {_s(_t(r, 'solve'))} | **{_s(e2e)}** | {verdict} "
                f"| {peak:.0f} | {status} |"
                if peak is not None
                else f"| {m:,} × {n} | {side} | – | – | – | – | – | {verdict} | – | {status} |"
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

    out += [
        "",
        "**Against the straightforward PuLP model** (one variable per eligible pair, raw pounds, "
        "max-min ratio, one HiGHS solve; `benchmarks/reference.py`), no side-constraints",
        "",
        "| members × lots | baseline build | baseline solve | baseline total | baseline t "
        "| same optimum | allocate end to end | **speed-up** | allocate LP build / solve "
        "(stages) | LP build ≤ solve | baseline peak (MiB) |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|",
    ]
    for m, n in sizes:
        ref = _find(results, m, n, "none", "reference")
        ours = _find(results, m, n, "none", "allocate")
        lp = _find(results, m, n, "none", "allocate_lp")
        if not ref and not lp:
            continue
        e2e = _t(ours, "end_to_end")
        ref_ok = bool(ref.get("ok")) and ref.get("status") == "optimal"
        total = _t(ref, "total") if ref_ok else None
        ratio = "–"
        if total and e2e:
            ratio = f"{total / e2e:,.0f}×" if total / e2e >= 10 else f"{total / e2e:.2g}×"
        cmp = ref.get("compare")
        if cmp:
            same = (
                "yes" if cmp["pairs_beyond_rounding"] == 0 and cmp["level_gap"] < 1e-6 else "**no**"
            )
            same += f" (max Δ £{cmp['max_abs_diff_pounds_money_lots']:.4f} on money lots)"
        elif ref:
            same = f"– ({_failure(ref) if not ref.get('ok') else ref.get('status')})"
        else:
            same = "not run"
        if lp.get("ok"):
            build, solve = _t(lp, "solve.build"), _t(lp, "solve.solve")
            stages = lp.get("solver", {}).get("stages")
            lp_cell = f"{_s(build)} / {_s(solve)} ({stages})"
            lp_ok = "✅" if build is not None and solve is not None and build <= solve else "❌"
        else:
            lp_cell = f"error: {_failure(lp)}" if lp else "not run"
            lp_ok = "–"
        level = ref.get("level")
        out.append(
            f"| {m:,} × {n} | {_s(_t(ref, 'build'))} | {_s(_t(ref, 'solve'))} | {_s(total)} "
            f"| {'–' if level is None else f'{level:.6f}'} | {same} | {_s(e2e)} | {ratio} "
            f"| {lp_cell} | {lp_ok} | {_mem(ref, 'model')} |"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the allocate benchmark suite.")
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES))
    parser.add_argument("--sides", default="none,all", help="none, all or none,all")
    parser.add_argument("--skip-reference", action="store_true", help="skip the PuLP baseline")
    parser.add_argument("--skip-lp", action="store_true", help="skip the forced-LP allocate runs")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per allocate case")
    parser.add_argument(
        "--density", type=float, default=0.2, help="eligibility_density of the consortia"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per case")
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    parser.add_argument("--readme", type=Path, default=HERE / "README.md")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the README")
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

    plan: list[tuple[int, int, str, str, int]] = []
    for m, n in args.sizes:
        for side in sides:
            plan.append((m, n, side, "allocate", args.repeat))
        if "none" in sides and not args.skip_lp:
            plan.append((m, n, "none", "allocate_lp", 1))
        if "none" in sides and not args.skip_reference:
            plan.append((m, n, "none", "reference", 1))

    results = []
    for m, n, side, mode, repeat in plan:
        print(f"{m:>6} x {n:<3} {side:<4} {mode:<12} ...", end=" ", flush=True, file=sys.stderr)
        record = run_case(m, n, side, mode, repeat, args.timeout, args.density)
        results.append(record)
        if record.get("ok"):
            key = "total" if mode == "reference" else "end_to_end"
            print(f"{_s(_t(record, key))}  (wall {record['wall']:.1f} s)", file=sys.stderr)
        else:
            print(f"FAILED: {_failure(record)}", file=sys.stderr)

    info = machine()
    command = "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    meta = {"repeat": args.repeat, "density": args.density, "command": command.strip()}
    args.output.write_text(
        json.dumps({"machine": info, "run": meta, "results": results}, indent=1, default=str)
    )
    body = tables(results, info, meta)
    print(body)
    for m, n in args.sizes:
        ref = _find(results, m, n, "none", "reference")
        ours = _find(results, m, n, "none", "allocate")
        total, e2e = _t(ref, "total"), _t(ours, "end_to_end")
        if ref.get("ok") and total and e2e:
            print(f"{m} x {n}: baseline / allocate end to end = {total / e2e:,.1f}")
    if not args.no_readme:
        write_readme(args.readme, body)
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
