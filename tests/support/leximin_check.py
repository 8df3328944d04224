"""``allocate``'s answer against the oracle's leximin, pair by pair: one verdict per problem.

Shared by ``benchmarks/county.py`` (seeded county consortia, up to county scale) and
``tests/property/test_leximin_oracle.py`` (small ones drawn by Hypothesis).  Everything the
verdict says comes from the raw problem dict through the oracle (``tests/support/oracle.py``);
from ``allocate`` it reads only the allocation's status and its awards.

**The levels.**  A pair's level is its award over the rule's fair share, both in the lot's
quantity (pence, or units), the fair share the oracle's own.  ``allocate``'s levels come from its
rounded awards; the oracle's from progressive filling (:func:`oracle.leximin`).  They must agree
pair by pair within :func:`oracle.level_tolerance`: one penny (one unit) over the fair share,
plus the solvers' tolerance, plus 1e-7.  As sorted vectors too: the i-th smallest of
``allocate``'s levels must lie between the i-th smallest of (leximin level − tolerance) and the
i-th smallest of (leximin level + tolerance), each pair with its own tolerance.

**The sub-contracts made** (minimum award).  Which pairs are closed decides the levels, so the
oracle computes the rule's own decisions (:func:`oracle.rule_closed`).  When ``allocate``'s
closed pairs (those it awards nothing) are those, the comparison is independent end to end
(decisions ``rule``).  When they are not, ``allocate`` must have found the rule's decisions
infeasible: the oracle's relaxation with them must have no solution (else a mismatch), and the
levels are then compared *given* ``allocate``'s closed pairs (decisions ``milp``): the oracle does
not re-derive the MILP's choice of sub-contracts, only the leximin allocation on it.

**Whole pence and units.**  Rounding may have to move an award by more than a quantum: the
leximin allocation of the relaxation may have no whole-penny neighbour keeping every condition
(a dependency cap binding on a member that also holds whole units of £243 each).  ``allocate``
documents that it then widens the rounding window.  So when a level is off, the oracle looks for
a whole-penny allocation within a quantum (and the solvers' tolerance) of the leximin one that
keeps every condition (:func:`oracle.near_allocation`, its own MILP): only if one exists is it a
mismatch; otherwise the verdict is ``widened`` (and the levels stay reported).

**Infeasible.**  When ``allocate`` answers infeasible, the oracle's relaxation with the rule's
decisions must have no solution either; with ``exact=True`` (small problems) the oracle's MILP
(:func:`oracle.find_allocation`) must find no whole-penny allocation at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.support import oracle

__all__ = ["Verdict", "check"]


@dataclass
class Verdict:
    """What the oracle makes of one allocation."""

    status: str
    """``allocate``'s status."""
    problems: list[str] = field(default_factory=list)
    """Every mismatch, in words (empty when ``allocate`` and the oracle agree)."""
    compared: bool = False
    """Whether levels were compared (an optimal answer)."""
    decisions: str = "–"
    """``none`` (no minimum award), ``rule`` or ``milp`` (see the module)."""
    pairs: int = 0
    rows: int = 0
    levels_off: int = 0
    """Pairs whose level is beyond the tolerance of the oracle's."""
    sorted_off: int = 0
    """Positions of the sorted level vectors beyond the tolerance."""
    worst: float = 0.0
    """The largest level difference, in units of the pair's tolerance (at most 1 passes)."""
    widened: bool = False
    """Levels off, but rightly: no whole-penny allocation within a quantum of the leximin one
    keeps every condition, so rounding had to move some award further."""
    violations: list[str] = field(default_factory=list)
    oracle: oracle.Leximin | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _compare(m: oracle.Model, awards: oracle.Awards, lx: oracle.Leximin, v: Verdict) -> None:
    mine = oracle.levels_of(m, awards)
    tol = oracle.level_tolerance(m)
    worst = 0.0
    off = []
    for key, level in mine.items():
        gap = abs(level - lx.levels[key])
        if tol[key] > 0:
            worst = max(worst, gap / tol[key])
        if gap > tol[key]:
            off.append(f"{key[0]} on {key[1]}: level {level:.9f}, leximin {lx.levels[key]:.9f}")
    # the sorted vectors: the i-th smallest of allocate's levels must lie between the i-th
    # smallest of (leximin − tolerance) and of (leximin + tolerance), each pair with its own
    # tolerance (what closeness pair by pair implies for the sorted vectors, and no more)
    ours = sorted(mine.values())
    low = sorted(lx.levels[k] - tol[k] for k in mine)
    high = sorted(lx.levels[k] + tol[k] for k in mine)
    sorted_off = sum(1 for a, lo, hi in zip(ours, low, high, strict=True) if not lo <= a <= hi)
    v.levels_off, v.sorted_off, v.worst = len(off), sorted_off, worst
    if not (off or sorted_off):
        return
    if oracle.near_allocation(m, lx) is None:
        # no whole-penny allocation within a quantum of the leximin keeps every condition:
        # rounding had to move some award further (documented), so this is no mismatch
        v.widened = True
        return
    if off:
        v.problems.append(
            f"{len(off)} level(s) off the leximin, though a whole-penny allocation within a "
            "quantum of it keeps every condition: " + "; ".join(off[:3])
        )
    if sorted_off:
        v.problems.append(f"{sorted_off} position(s) of the sorted level vector off")


def check(data: dict[str, Any], allocation: Any, *, exact: bool = False) -> Verdict:
    """The oracle's verdict on ``allocation`` (an :class:`allocate.Allocation`) of ``data``."""
    m = oracle.model(data)
    status = str(allocation.status.value)
    v = Verdict(status=status, pairs=len(m.pairs), rows=len(m.rows))
    rule = oracle.rule_closed(m)
    if status == "infeasible":
        lx = oracle.leximin(m, rule)
        v.oracle = lx
        if exact:
            if oracle.find_allocation(m) is not None:
                v.problems.append(
                    "infeasible, but the oracle's MILP finds a whole-penny allocation"
                )
        elif lx is not None:
            v.problems.append(
                "infeasible, but the oracle's relaxation with the rule's sub-contracts has a "
                "solution"
            )
        return v
    if status != "optimal":
        return v  # a time limit or a solver error: nothing to compare
    awards = oracle.awards_from(allocation.awards)
    v.violations = oracle.violations(m, awards)
    if v.violations:
        v.problems.append(f"{len(v.violations)} condition(s) broken: {v.violations[:3]}")
    closed = frozenset(
        (p.member, p.lot.id) for p in m.pairs if awards.get((p.member, p.lot.id), (0, None))[0] == 0
    )
    if m.min_award is None:
        v.decisions, lx = "none", oracle.leximin(m, frozenset())
    elif closed == rule:
        v.decisions, lx = "rule", oracle.leximin(m, rule)
    elif (by_rule := oracle.leximin(m, rule)) is not None:
        v.decisions, lx = "rule", by_rule
        v.problems.append(
            f"sub-contracts made differ from the rule's ({len(closed ^ rule)} pair(s)), though "
            "the rule's keep every condition in the oracle's relaxation"
        )
    else:
        v.decisions, lx = "milp", oracle.leximin(m, closed)
    v.oracle = lx
    if lx is None:
        v.problems.append("the oracle finds no solution on allocate's sub-contracts")
        return v
    v.compared = True
    _compare(m, awards, lx, v)
    return v
