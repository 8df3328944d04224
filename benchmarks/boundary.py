"""Boundary-tight and just-infeasible problems through ``allocate.solve`` and an independent oracle.

The long version of ``tests/property/test_boundary_tight.py``: several hundred problems from the
same generator (``tests/support/boundary.py``), seeded and deterministic, every kind in turn,
tight and one penny short alike.  The oracle (``tests/support/oracle.py``: its own MILP in whole
pence with ``highspy``, re-checked in fractions) decides whether a whole-penny allocation exists
and the max-min level t*; ``allocate.solve`` must agree::

    python3 -m uv run python benchmarks/boundary.py                     # 400 cases, seed 0
    python3 -m uv run python benchmarks/boundary.py --cases 1000 --seed 7 --kinds ten_million
    python3 -m uv run python benchmarks/boundary.py --save /tmp/boundary   # mismatches as JSON

Columns: ``false infeasible`` — an allocation exists (oracle) but ``solve`` says infeasible;
``wrong infeasible`` — none exists, but ``solve`` did not answer infeasible with a diagnosis;
``diagnosis off`` — infeasible as it should be, but a relaxation the diagnosis reports is not the
oracle's least whole-penny one; ``crashes`` — ``solve`` raised (a ``VerificationError`` ...) or
stopped with another status, or returned an allocation breaking a condition; ``awards off`` —
awards more than one penny (one unit) below t* × their fair share, beyond the solvers'
tolerance (2e-9 of the lot); ``worst gap`` — the largest such distance, in pence or units (up to
1 is rounding).  Exit status 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from allocate import Problem, Status, solve
from tests.support import oracle
from tests.support.boundary import KINDS, Case, seeded_cases

COLUMNS = (
    "cases",
    "false infeasible",
    "wrong infeasible",
    "diagnosis off",
    "crashes",
    "awards off",
    "worst gap",
    "seconds",
)


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    worst_gap: float = float("-inf")
    seconds: float = 0.0

    def row(self, name: str) -> list[str]:
        gap = "–" if self.worst_gap == float("-inf") else f"{self.worst_gap:.3f}"
        return [
            name,
            *(str(self.counts[c]) for c in COLUMNS[:6]),
            gap,
            f"{self.seconds:.1f}",
        ]


def check(case: Case) -> tuple[list[str], float, float]:
    """What went wrong on one case (column names), its worst gap, and solve's seconds."""
    m = oracle.model(case.data)
    witness = oracle.find_allocation(m)
    if (witness is not None) != case.feasible:
        raise oracle.OracleError(f"the oracle disagrees with the construction: {case.why}")
    problem = Problem.model_validate(case.data)
    t0 = time.perf_counter()
    try:
        allocation = solve(problem)
    except Exception:  # a crash is a result here, never fatal
        return ["crashes"], float("-inf"), time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    if witness is None:
        if allocation.status is not Status.INFEASIBLE or allocation.diagnosis is None:
            return ["wrong infeasible"], float("-inf"), seconds
        for r in allocation.diagnosis.relaxations:
            if r.condition in oracle.FAMILIES:
                least = oracle.least_relaxation(m, r.condition)
                amount = None if r.amount is None else oracle.pence(r.amount)
                if r.possible is not (least is not None) or (least is not None and amount != least):
                    return ["diagnosis off"], float("-inf"), seconds
        return [], float("-inf"), seconds
    if allocation.status is Status.INFEASIBLE:
        return ["false infeasible"], float("-inf"), seconds
    awards = oracle.awards_from(allocation.awards)
    if allocation.status is not Status.OPTIMAL or oracle.violations(m, awards):
        return ["crashes"], float("-inf"), seconds
    level = oracle.max_min_level(m)
    if level is None:
        raise oracle.OracleError("an allocation exists but the relaxation is empty")
    gaps = oracle.gaps(m, awards, level).values()
    worst = max(gaps, default=float("-inf"))
    return (["awards off"] if worst > 1 else []), worst, seconds


def table(tallies: dict[str, Tally]) -> str:
    rows = [["kind", *COLUMNS]]
    rows += [tallies[k].row(k) for k in sorted(tallies) if k != "all"]
    rows.append(tallies["all"].row("**all**"))
    lines = ["| " + " | ".join(rows[0]) + " |", "|---|" + "---:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400, help="how many problems (default 400)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", help=f"comma-separated, from {', '.join(KINDS)}")
    parser.add_argument("--save", type=Path, help="write each mismatching problem here as JSON")
    args = parser.parse_args(argv)
    kinds = args.kinds.split(",") if args.kinds else list(KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        parser.error(f"unknown kind(s) {unknown}; choose from {list(KINDS)}")
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    tallies: dict[str, Tally] = defaultdict(Tally)
    oracle_errors = 0
    for n, case in enumerate(seeded_cases(args.cases, args.seed, kinds)):
        try:
            wrong, gap, seconds = check(case)
        except (oracle.OracleError, oracle.UnsupportedError):
            oracle_errors += 1
            print(f"case {n} ({case.kind}): the oracle failed", file=sys.stderr)
            traceback.print_exc()
            continue
        for name in (case.kind, "all"):
            t = tallies[name]
            t.counts["cases"] += 1
            t.counts.update(wrong)
            t.worst_gap = max(t.worst_gap, gap)
            t.seconds += seconds
        if wrong:
            tag = "tight" if case.feasible else "twin"
            print(f"case {n} ({case.kind}, {tag}): {', '.join(wrong)}", file=sys.stderr)
            if args.save:
                path = args.save / f"case-{n:04d}-{case.kind}-{tag}.json"
                path.write_text(json.dumps(case.data, indent=2) + "\n")
    print(f"Seed {args.seed}, {args.cases} cases (kinds: {', '.join(kinds)}).\n")
    print(table(tallies))
    if oracle_errors:
        print(f"\n{oracle_errors} case(s) the oracle could not decide (see above).")
    bad = sum(tallies["all"].counts[c] for c in COLUMNS[1:6])
    return 1 if bad or oracle_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
