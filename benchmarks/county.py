"""County-scale side-constrained problems through ``allocate.solve`` and an independent leximin.

Seeded county consortia from ``tests/support/county.py`` (its own generator, independent of
``allocate.synthetic``: share caps, dependency limits, a ring-fence, exclusions, pooled
capacities and, with ``--min-award``, a minimum award) go through ``allocate.solve`` and through
the oracle's progressive filling (``tests/support/oracle.py``, its own highspy LP built from the
raw problem dict), and each answer is judged by ``tests/support/leximin_check.py``::

    python3 -m uv run python benchmarks/county.py                           # 300x8 and 2000x20
    python3 -m uv run python benchmarks/county.py --sizes 100x6,300x8 --seeds 0-4
    python3 -m uv run python benchmarks/county.py --min-award off --save /tmp/county

Beside each, the straightforward max-min model of the same problem (``benchmarks/reference.py``,
one PuLP model with the same side rows, one HiGHS solve) is timed, for the price of leximin.
Exit status 1 on any mismatch: a level off the oracle's leximin (pair by pair or as a sorted
vector) beyond one penny (one unit) over the fair share plus the solvers' tolerance and 1e-7
while a whole-penny allocation that close keeps every condition (when none does, rounding had
to move an award further: ``agree (rounding widened)``), a condition broken in the oracle's
exact re-check, sub-contracts made otherwise than the rule makes them while the rule's decisions
keep every condition, or an infeasible answer where the oracle's relaxation has a solution.
``--save DIR`` writes each mismatching problem as JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from allocate import Problem, solve
from benchmarks.reference import solve_side
from tests.support import county, oracle
from tests.support.leximin_check import Verdict, check

COLUMNS = (
    "problem",
    "pairs",
    "side rows",
    "status",
    "decisions",
    "levels off",
    "sorted off",
    "worst gap",
    "conditions broken",
    "allocate stages",
    "oracle stages",
    "allocate",
    "max-min model",
    "allocate ÷ max-min",
    "oracle",
    "verdict",
)


@dataclass
class Row:
    name: str
    verdict: Verdict | None
    allocate_seconds: float | None = None
    stages: int | None = None
    reference_seconds: float | None = None
    reference_level: float | None = None
    worst_ratio: float | None = None
    oracle_seconds: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.verdict is not None and self.verdict.ok

    def cells(self) -> list[str]:
        v = self.verdict
        if v is None:
            return [self.name, *(["–"] * (len(COLUMNS) - 2)), f"**error**: {self.error}"]
        ratio = (
            f"{self.allocate_seconds / self.reference_seconds:,.1f}×"
            if self.allocate_seconds and self.reference_seconds
            else "–"
        )
        lx = v.oracle
        verdict = "agree" if v.ok else "**mismatch**"
        if v.ok and v.widened:
            verdict = "agree (rounding widened)"
        if v.ok and not v.compared:
            verdict = "not compared" if v.status != "infeasible" else "agree (infeasible)"
        return [
            self.name,
            f"{v.pairs:,}",
            f"{v.rows:,}",
            v.status,
            v.decisions,
            str(v.levels_off) if v.compared else "–",
            str(v.sorted_off) if v.compared else "–",
            f"{v.worst:.2f}" if v.compared else "–",
            str(len(v.violations)) if v.status == "optimal" else "–",
            "–" if self.stages is None else f"{self.stages:,}",
            "–" if lx is None else f"{lx.stages:,} ({lx.lp_solves:,} LPs)",
            _s(self.allocate_seconds),
            _s(self.reference_seconds),
            ratio,
            _s(self.oracle_seconds),
            verdict,
        ]


def _s(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:,.1f} s"


def parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", part)
        if not match:
            raise argparse.ArgumentTypeError(f"a size is MEMBERSxLOTS, e.g. 300x8, not {part!r}")
        out.append((int(match.group(1)), int(match.group(2))))
    return out


def parse_seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def run_one(data: dict[str, Any], name: str, time_limit: float | None, exact_up_to: int) -> Row:
    """One problem through allocate, the max-min model and the oracle."""
    problem = Problem.model_validate(data)
    t0 = time.perf_counter()
    allocation = solve(problem, price_constraints=False, time_limit=time_limit)
    row = Row(name, None, allocate_seconds=time.perf_counter() - t0)
    row.stages = allocation.audit.solver.stages
    row.worst_ratio = allocation.audit.solver.worst_ratio
    side_data, ref = solve_side(problem, time_limit=time_limit)
    row.reference_seconds = side_data.seconds + ref.decision_seconds + ref.build_seconds
    row.reference_seconds += ref.solve_seconds
    row.reference_level = ref.level
    t1 = time.perf_counter()
    exact = len(oracle.model(data).pairs) <= exact_up_to  # the oracle's MILP, when small
    row.verdict = check(data, allocation, exact=exact)
    row.oracle_seconds = time.perf_counter() - t1
    if (
        row.verdict.status == "optimal"
        and ref.level is not None
        and row.worst_ratio is not None
        and abs(ref.level - row.worst_ratio) > 1e-6
    ):
        row.verdict.problems.append(
            f"the max-min model's level {ref.level:.9f} is not allocate's first stage "
            f"{row.worst_ratio:.9f}"
        )
    return row


def table(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|---|---:|---:|---|---|" + "---:|" * (len(COLUMNS) - 6) + "---|",
    ]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("300x8,2000x20"))
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-1"), help="0-2,7")
    parser.add_argument(
        "--min-award",
        choices=("off", "on", "both"),
        default="both",
        help="draw problems without a minimum award, with one, or both",
    )
    parser.add_argument(
        "--time-limit", type=float, default=600.0, help="allocate's and the baseline's solver"
    )
    parser.add_argument(
        "--exact-up-to",
        type=int,
        default=200,
        help="an infeasible answer is checked by the oracle's MILP up to this many pairs",
    )
    parser.add_argument("--save", type=Path, help="write each mismatching problem here as JSON")
    args = parser.parse_args(argv)
    awards = {"off": [False], "on": [True], "both": [False, True]}[args.min_award]
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for members, lots in args.sizes:
        for seed in args.seeds:
            for with_min in awards:
                name = f"{members:,} × {lots}, seed {seed}" + (", min award" if with_min else "")
                print(f"{name} ...", end=" ", flush=True, file=sys.stderr)
                data = county.seeded(members, lots, seed, min_award=with_min)
                try:
                    row = run_one(data, name, args.time_limit, args.exact_up_to)
                except Exception as exc:  # a crash is a result here, never fatal
                    row = Row(name, None, error=f"{type(exc).__name__}: {exc}"[:200])
                    traceback.print_exc()
                rows.append(row)
                print("ok" if row.ok else "MISMATCH", file=sys.stderr)
                if not row.ok:
                    for problem in row.verdict.problems if row.verdict else [row.error]:
                        print(f"    {problem}", file=sys.stderr)
                    if args.save:
                        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                        (args.save / f"{slug}.json").write_text(json.dumps(data, indent=2) + "\n")
    print(table(rows))
    bad = sum(not r.ok for r in rows)
    print(f"\n{len(rows)} problem(s), {bad} mismatch(es).")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
