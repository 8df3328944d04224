"""``small_org_share``: a ring-fenced share of every contract for small members.

Row: per contract, awards to members in ``small_org_bands`` ≥ share × the contract's member pot
(also when no small member can take any of it: the row then names the conflict).
"""

from __future__ import annotations

import math
from fractions import Fraction

from allocate.core import families as fam
from allocate.core.money import format_money
from allocate.pipeline.constraints.base import Relaxed, RowFamily, Rows

__all__ = ["ROWS"]


def _add_rows(rows: Rows) -> None:
    p = rows.p
    problem = p.problem
    policy = problem.policy
    if policy.small_org_share is None or policy.small_org_share <= 0:
        return
    share = Fraction(policy.small_org_share)
    bands = set(policy.small_org_bands)
    for c in [c.id for c in problem.contracts]:
        pairs = [
            k
            for k in rows.by_contract.get(c, [])
            if problem.members[p.pair_member[k]].size_band in bands
        ]
        pot_c = sum(lot.pot for lot in p.lots if lot.contract_id == c)
        bound = math.ceil(share * pot_c)
        rows.add(
            f"small_org_share:{c}",
            fam.SMALL_ORG_SHARE,
            pairs,
            None,
            ">=",
            bound,
            max(pot_c, 1),
            f"at least {policy.small_org_share} of contract {c}'s member pot goes to "
            f"{'/'.join(sorted(b.value for b in bands))} members",
            contract=c,
        )


def _relaxation(r: Relaxed) -> str:
    """``small members can take £X less ...: lower small_org_share from 0.5 to at most 0.1``.

    The share is exact: the row's bound is ⌈share × pot⌉ pence, so a share s asks no more than
    ``bound − pence`` exactly when s × pot ≤ bound − pence.
    """
    p, row = r.plan, r.row
    if row is None:
        return f"{r.name}: relax by {r.money}"
    pot = sum(lot.pot for lot in p.lots if lot.contract_id == row.contract)
    text = (
        f"small members can take {r.money} less than the ring-fence asks on contract "
        f"{row.contract} ({format_money(row.bound_pence, pence=True)} of "
        f"{format_money(pot, pence=True)})"
    )
    can = max(row.bound_pence - r.pence, 0)
    change = r.change(fam.SMALL_ORG_SHARE, Fraction(can, pot)) if pot else None
    return f"{text}: {change}" if change else text


ROWS = RowFamily(fam.SMALL_ORG_SHARE, _add_rows, _relaxation)
