"""``case_mix``: no creaming of easy clients.

Rows: per service with standard and hard-to-help lots, per member with awards there,
(R − τ)·w ≤ h ≤ (R + τ)·w, where h is its hard-to-help awards, w all its awards on the service,
R the hard-to-help share of the service's member pot and τ the policy's ``case_mix_tolerance``.
A side of the band that cannot bind (R + τ ≥ 1, R − τ ≤ 0) adds no row.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from allocate.core import families as fam
from allocate.core.model import ClientGroup
from allocate.pipeline.constraints.base import Relaxed, RowFamily, Rows

__all__ = ["ROWS"]


def _services(rows: Rows) -> dict[str, dict[str, list[int]]]:
    """Lot indices of each service, by client group."""
    problem = rows.p.problem
    services: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for lot in rows.p.lots:
        lot_obj = problem.lot_index[lot.lot_id][1]
        if lot_obj.client_group is None:
            continue
        key = lot_obj.service or lot_obj.theme
        services[key][lot_obj.client_group.value].append(lot.index)
    return services


def _add_rows(rows: Rows) -> None:
    p, ids = rows.p, rows.ids
    if p.problem.policy.case_mix_tolerance is None:
        return
    tol = Fraction(p.problem.policy.case_mix_tolerance)
    for key, groups in sorted(_services(rows).items()):
        hard = groups.get(ClientGroup.HARD_TO_HELP.value, [])
        easy = groups.get(ClientGroup.STANDARD.value, [])
        if not hard or not easy:
            continue
        pot_h = sum(p.lots[j].pot for j in hard)
        pot_all = pot_h + sum(p.lots[j].pot for j in easy)
        r = Fraction(pot_h, pot_all)
        lots_here = set(hard) | set(easy)
        hard_set = set(hard)
        # each side's two weights, made once: 1 − bound on a hard-to-help lot, −bound otherwise
        hi_w = (1 - (r + tol), -(r + tol))
        lo_w = (1 - (r - tol), -(r - tol))
        for i, pairs in rows.members():
            mine = [k for k in pairs if p.pair_lot[k] in lots_here]
            if not mine:
                continue
            is_hard = {k: p.pair_lot[k] in hard_set for k in mine}
            if r + tol < 1:
                hi = {k: hi_w[0] if is_hard[k] else hi_w[1] for k in mine}
                rows.add(
                    f"case_mix:{ids[i]}:{key}:max",
                    fam.CASE_MIX,
                    mine,
                    hi,
                    "<=",
                    0,
                    pot_all,
                    f"{ids[i]}'s hard-to-help share of {key} work at most {float(r + tol):.4f}",
                    member=ids[i],
                )
            if r - tol > 0:
                lo = {k: lo_w[0] if is_hard[k] else lo_w[1] for k in mine}
                rows.add(
                    f"case_mix:{ids[i]}:{key}:min",
                    fam.CASE_MIX,
                    mine,
                    lo,
                    ">=",
                    0,
                    pot_all,
                    f"{ids[i]}'s hard-to-help share of {key} work at least "
                    f"{float(r - tol):.4f} (no creaming)",
                    member=ids[i],
                )


def _relaxation(r: Relaxed) -> str:
    """The band's relaxation in money of work; the tolerance alone is found by bisection.

    The tolerance a relaxation needs depends on the member's whole award on the service, which
    the elastic programme's slack does not give, so no value is guessed here.
    """
    who = f"{r.row.member}'s" if r.row is not None and r.row.member else "the"
    return (
        f"{r.name}: {who} case-mix band must widen by {r.money} of work (raise case_mix_tolerance)"
    )


ROWS = RowFamily(fam.CASE_MIX, _add_rows, _relaxation)
