"""``max_member_share``: no member takes more than its share of a contract, or of the portfolio.

Rows: per contract and member, awards on its lots ≤ share × the contract's member pot; per
member with awards on several contracts, awards ≤ share × all member pots.  A bound the member's
capacity can never reach adds no row.
"""

from __future__ import annotations

import math
from fractions import Fraction

from allocate.core import families as fam
from allocate.core.money import format_money
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
        if not rows.can_pass(pairs, bound):
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
        if not rows.can_pass(pairs, bound):
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
    """``m needs £X more room in contract C ...: raise max_member_share from 0.2 to at least 0.3``.

    The share that room needs is exact: the row's bound is ⌊share × pot⌋ pence, so a share s
    allows ``bound + pence`` exactly when s × pot ≥ bound + pence.
    """
    p, row = r.plan, r.row
    if row is None:
        return f"{r.name}: relax by {r.money}"
    pot = sum(lot.pot for lot in p.lots if row.contract is None or lot.contract_id == row.contract)
    where = f"contract {row.contract}" if row.contract else "the portfolio"
    text = (
        f"{row.member} needs {r.money} more room in {where} than max_member_share "
        f"{p.problem.policy.max_member_share} allows ({format_money(row.bound_pence, pence=True)}"
        f" of {format_money(pot, pence=True)})"
    )
    change = (
        r.change(fam.MAX_MEMBER_SHARE, Fraction(row.bound_pence + r.pence, pot)) if pot else None
    )
    return f"{text}: {change}" if change else text


ROWS = RowFamily(fam.MAX_MEMBER_SHARE, _add_rows, _relaxation)
