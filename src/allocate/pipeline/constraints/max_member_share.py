"""``max_member_share``: no member takes more than its share of a contract, or of the portfolio.

Rows: per contract and member, awards on its lots ≤ share × the contract's member pot; per
member with awards on several contracts, awards ≤ share × all member pots.  A bound the member's
capacity can never reach adds no row.
"""

from __future__ import annotations

import math
from fractions import Fraction

from allocate.core import families as fam
from allocate.pipeline.constraints.base import Relaxed, RowFamily, Rows

__all__ = ["ROWS"]


def _add_rows(rows: Rows) -> None:
    p, ids = rows.p, rows.ids
    policy = p.problem.policy
    if policy.max_member_share is None:
        return
    share = Fraction(policy.max_member_share)
    ordered = sorted(rows.by_member_contract.items(), key=lambda kv: (ids[kv[0][0]], kv[0][1]))
    for (i, c), pairs in ordered:
        bound = math.floor(share * rows.pot_of[c])
        if rows.most(pairs) <= bound:
            continue  # cannot bind
        rows.add(
            f"max_member_share:{ids[i]}:{c}",
            fam.MAX_MEMBER_SHARE,
            pairs,
            None,
            "<=",
            bound,
            rows.pot_of[c],
            f"{ids[i]} receives at most {policy.max_member_share} of contract {c}'s member pot",
            member=ids[i],
            contract=c,
        )
    for i, pairs in rows.members():
        contracts = {p.lots[p.pair_lot[k]].contract_id for k in pairs}
        if len(contracts) < 2:
            continue  # implied by the per-contract rows
        bound = math.floor(share * rows.pot_total)
        if rows.most(pairs) <= bound:
            continue
        rows.add(
            f"max_member_share:{ids[i]}:portfolio",
            fam.MAX_MEMBER_SHARE,
            pairs,
            None,
            "<=",
            bound,
            rows.pot_total,
            f"{ids[i]} receives at most {policy.max_member_share} of the whole portfolio",
            member=ids[i],
        )


def _relaxation(r: Relaxed) -> str:
    p, row = r.plan, r.row
    if row is None:
        return f"{r.name}: relax by {r.money}"
    pots = {lot.contract_id: 0 for lot in p.lots}
    for lot in p.lots:
        pots[lot.contract_id] += lot.pot
    pot = pots[row.contract] if row.contract else sum(pots.values())
    need = Fraction(row.bound_pence + r.pence, pot)
    where = f"contract {row.contract}" if row.contract else "the portfolio"
    return (
        f"{row.member} needs {r.money} more room in {where}: raise max_member_share from "
        f"{p.problem.policy.max_member_share} to at least {float(need):.4f}"
    )


ROWS = RowFamily(fam.MAX_MEMBER_SHARE, _add_rows, _relaxation)
