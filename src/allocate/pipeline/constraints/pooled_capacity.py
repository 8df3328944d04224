"""``pooled_capacity``: a member's capacity shared over several lots (a theme, an area).

Row: per pooled capacity covering two or more of the member's open lots, its awards on them ≤ the
pool.  A pool over one lot is that pair's capacity already, and a pool the member's capacities
can never reach adds no row.
"""

from __future__ import annotations

from allocate.core import families as fam
from allocate.core.money import format_money
from allocate.pipeline.constraints.base import Relaxed, RowFamily, Rows

__all__ = ["ROWS"]


def _add_rows(rows: Rows) -> None:
    p, ids = rows.p, rows.ids
    for n, pool in enumerate(p.eligibility.pools):
        covered = set(pool.lots)
        pairs = [k for k in rows.by_member.get(pool.member, []) if p.pair_lot[k] in covered]
        if len(pairs) < 2 or not rows.can_pass(pairs, pool.amount):
            continue  # one lot (the pool is that pair's capacity already), or cannot bind
        rows.add(
            f"pooled_capacity:{ids[pool.member]}:{n}",
            fam.POOLED_CAPACITY,
            pairs,
            None,
            "<=",
            pool.amount,
            pool.amount,
            f"{ids[pool.member]}'s awards over lots with {pool.label} stay within its pooled "
            f"capacity £{pool.amount / 100:,.2f}",
            member=ids[pool.member],
        )


def _relaxation(r: Relaxed) -> str:
    """``m's pooled capacity (...) is short by £X: raise it from £A to at least £B``."""
    row = r.row
    if row is None:
        return f"{r.name}: relax by {r.money}"
    pools = r.plan.eligibility.pools
    n = r.name.rsplit(":", 1)[-1]
    label = f" ({pools[int(n)].label})" if n.isdigit() and int(n) < len(pools) else ""
    return (
        f"{row.member}'s pooled capacity{label} is short by {r.money}: raise it from "
        f"{format_money(row.bound_pence, pence=True)} to at least "
        f"{format_money(row.bound_pence + r.pence, pence=True)}"
    )


ROWS = RowFamily(fam.POOLED_CAPACITY, _add_rows, _relaxation)
