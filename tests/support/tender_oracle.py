"""An independent oracle for small sub-tender problems with a minimum award, from the raw dict.

It shares nothing with ``allocate``: it reads the JSON-ready problem dict and builds its own
programmes straight into ``highspy``.  Its class: money lots only; one lot per contract; the
``fixed`` top-slice at ``max_rate`` (10% unless given); every member full, in good standing and
serving every lot's theme and area; sub-tendered lots scored on quality alone (so the ranking
is quality, then capacity, then member id, and every bid qualifies), planned lots claimed by
declared capacities; side-constraints ``min_award``, ``max_member_share`` and
``max_dependency``.

* :func:`find_allocation` — an allocation in whole pence keeping every condition, or ``None``:
  brute force over which pairs reach the minimum award (the others get nothing), each choice a
  small integer programme; its answer is re-checked exactly by :func:`violations`.
* :func:`best_ranked_first` — on one sub-tendered lot, the documented pass-down's answer when
  the other lots are as ``others`` gives them: the best-ranked bid as much as every condition
  allows, then the next, ... (a lexicographic programme per choice of the pairs that reach the
  minimum, the best of them compared rank by rank).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import highspy
import numpy as np

__all__ = ["Case", "best_ranked_first", "case", "find_allocation", "ranking", "violations"]

#: (member, lot) -> pence
Awards = dict[tuple[str, str], int]


def _pence(value: Any) -> int:
    exact = Decimal(str(value)) * 100
    assert exact == exact.to_integral_value(), value
    return int(exact)


@dataclass(frozen=True)
class Case:
    """The problem as the oracle reads it: pots, claims and whole-penny bounds."""

    pots: dict[str, int]
    """Member pot of each lot (value less the top-slice), pence."""
    contract_of: dict[str, str]
    tendered: set[str]
    claims: dict[tuple[str, str], int]
    """Every pair that may receive the lot, with its claim in pence."""
    quality: dict[tuple[str, str], Fraction]
    least: int | None
    """The minimum award in pence."""
    per_contract: dict[str, int] | None
    """Each contract's share cap, whole pence rounded down (max_member_share × member pot)."""
    overall: int | None
    dependency: dict[str, int]
    """Each member's limit: max_dependency × annual income, rounded down."""


def case(data: Mapping[str, Any]) -> Case:
    """Read ``data`` (a problem dict in the oracle's class)."""
    rate = Fraction(Decimal(str(data.get("top_slice", {}).get("max_rate", "0.10"))))
    pots, contract_of, tendered = {}, {}, set()
    for c in data["contracts"]:
        assert len(c["lots"]) == 1
        lot = c["lots"][0]
        value = _pence(lot["value"])
        top = int(rate * value)  # rounded down to the penny
        pots[lot["id"]] = value - top
        contract_of[lot["id"]] = c["id"]
        if c.get("award") == "sub_tender" or lot.get("award") == "sub_tender":
            tendered.add(lot["id"])
    claims: dict[tuple[str, str], int] = {}
    quality: dict[tuple[str, str], Fraction] = {}
    for cap in data.get("capacities", []):
        if cap["lot"] not in tendered:
            claims[cap["member"], cap["lot"]] = _pence(cap["amount"])
    declared = {(c["member"], c["lot"]): _pence(c["amount"]) for c in data.get("capacities", [])}
    for bid in data.get("bids", []):
        key = (bid["member"], bid["lot"])
        whole = _pence(
            next(c for c in data["contracts"] if c["lots"][0]["id"] == bid["lot"])["lots"][0][
                "value"
            ]
        )
        offered = [_pence(bid["capacity"])] if bid.get("capacity") is not None else []
        if key in declared:
            offered.append(declared[key])
        claims[key] = min(offered) if offered else whole
        quality[key] = Fraction(str(bid["quality"]))
    claims = {k: v for k, v in claims.items() if v > 0}
    policy = data.get("policy", {})
    share = policy.get("max_member_share")
    per_contract = overall = None
    if share is not None:
        s = Fraction(Decimal(str(share)))
        per_contract = {
            cid: int(s * sum(p for lot, p in pots.items() if contract_of[lot] == cid))
            for cid in set(contract_of.values())
        }
        overall = int(s * sum(pots.values()))
    dependency = {}
    if policy.get("max_dependency") is not None:
        d = Fraction(Decimal(str(policy["max_dependency"])))
        dependency = {m["id"]: int(d * _pence(m["annual_income"])) for m in data["members"]}
    least = _pence(policy["min_award"]) if policy.get("min_award") is not None else None
    return Case(
        pots, contract_of, tendered, claims, quality, least, per_contract, overall, dependency
    )


def ranking(c: Case, lot: str) -> list[str]:
    """The bidders for a sub-tendered lot, best first: quality, then capacity, then id."""
    bidders = [m for (m, lt) in c.claims if lt == lot]
    return sorted(bidders, key=lambda m: (-c.quality[m, lot], -c.claims[m, lot], m))


def violations(c: Case, awards: Awards) -> list[str]:
    """Every condition ``awards`` breaks, checked exactly on whole pence."""
    out = []
    for lot, pot in c.pots.items():
        if sum(v for (m, lt), v in awards.items() if lt == lot) != pot:
            out.append(f"budget {lot}")
    member_contract: dict[tuple[str, str], int] = defaultdict(int)
    member: dict[str, int] = defaultdict(int)
    for (m, lot), v in awards.items():
        if v < 0 or v > c.claims.get((m, lot), 0):
            out.append(f"capacity {m} {lot}")
        if c.least is not None and 0 < v < c.least:
            out.append(f"min_award {m} {lot}")
        member_contract[m, c.contract_of[lot]] += v
        member[m] += v
    for (m, cid), v in member_contract.items():
        if c.per_contract is not None and v > c.per_contract[cid]:
            out.append(f"share {m} {cid}")
    for m, v in member.items():
        if c.overall is not None and v > c.overall:
            out.append(f"share {m}")
        if m in c.dependency and v > c.dependency[m]:
            out.append(f"dependency {m}")
    return out


def _program(
    c: Case, pairs: list[tuple[str, str]], on: set[tuple[str, str]], fixed: Mapping[Any, int]
) -> highspy.Highs:
    """Whole pence on ``pairs``: those in ``on`` at least the minimum award, the rest 0."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    least = c.least or 0
    for p in pairs:
        if p in fixed:
            lo = hi = fixed[p]
        elif p in on:
            lo, hi = least, c.claims[p]
        else:
            lo = hi = 0
        h.addVar(lo, hi)
    n = len(pairs)
    h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
    )

    def row(lo: float, hi: float, keys: list[int]) -> None:
        if keys:
            h.addRow(lo, hi, len(keys), np.array(keys, dtype=np.int32), np.ones(len(keys)))

    for lot, pot in c.pots.items():
        row(pot, pot, [k for k, p in enumerate(pairs) if p[1] == lot])
    members = {m for m, _ in pairs}
    for m in members:
        mine = [k for k, p in enumerate(pairs) if p[0] == m]
        if c.overall is not None:
            row(-inf, c.overall, mine)
        if m in c.dependency:
            row(-inf, c.dependency[m], mine)
        if c.per_contract is not None:
            for cid, cap in c.per_contract.items():
                row(-inf, cap, [k for k in mine if c.contract_of[pairs[k][1]] == cid])
    return h


def _solve(h: highspy.Highs, pairs: list[tuple[str, str]]) -> Awards | None:
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = h.getSolution().col_value
    return {p: round(v) for p, v in zip(pairs, values, strict=True)}


def _choices(c: Case, pairs: list[tuple[str, str]]) -> list[set[tuple[str, str]]]:
    """Every choice of the pairs that receive something (each at least the minimum award)."""
    able = [p for p in pairs if c.least is None or c.claims[p] >= c.least]
    if c.least is None:
        return [set(able)]
    return [set(s) for r in range(len(able) + 1) for s in itertools.combinations(able, r)]


def find_allocation(c: Case) -> Awards | None:
    """An allocation in whole pence keeping every condition (exactly re-checked), or None."""
    pairs = sorted(c.claims)
    for on in _choices(c, pairs):
        found = _solve(_program(c, pairs, on, {}), pairs)
        if found is not None:
            assert not violations(c, found), violations(c, found)
            return found
    return None


def best_ranked_first(c: Case, lot: str, others: Awards) -> dict[str, int] | None:
    """The lot's awards when each bid, best-ranked first, gets as much as the conditions allow.

    ``others``: the awards on every other lot, held as they are.  ``None`` when no allocation
    of the lot keeps every condition with them.
    """
    ranked = ranking(c, lot)
    pairs = sorted(c.claims)
    fixed_others = {p: v for p, v in others.items() if p[1] != lot}
    fixed_others.update({p: 0 for p in pairs if p[1] != lot and p not in fixed_others})
    best: list[int] | None = None
    for on in _choices(c, [(m, lot) for m in ranked]):
        fixed: dict[tuple[str, str], int] = dict(fixed_others)
        levels: list[int] = []
        for m in ranked:
            h = _program(c, pairs, on | {p for p in pairs if p[1] != lot}, fixed)
            k = pairs.index((m, lot))
            h.changeColCost(k, -1.0)
            found = _solve(h, pairs)
            if found is None:
                break
            fixed[m, lot] = found[m, lot]
            levels.append(found[m, lot])
        else:
            if best is None or levels > best:
                best = levels
    if best is None:
        return None
    return {m: v for m, v in zip(ranked, best, strict=True) if v > 0}
