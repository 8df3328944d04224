"""What every family's rows share: the plan's pairs grouped, and one way to add a scaled row.

A family module (one per file beside this one) adds its rows through :class:`Rows` and says how
a relaxation of one of them reads in the policy's words.  :class:`RowFamily` is that pair of
functions with the registry entry (:mod:`allocate.core.families`) it implements.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from allocate.core.families import Family
from allocate.core.money import format_money, from_pence
from allocate.pipeline.plan import Plan, RowInfo, Sense, SideRow

__all__ = ["Relaxed", "RowFamily", "Rows"]


@dataclass(frozen=True, slots=True)
class Relaxed:
    """One side row the elastic programme relaxed, for the diagnosis to put in words."""

    plan: Plan
    name: str
    """The row's name (``<family>:<ids>``)."""
    row: RowInfo | None
    pence: int
    """How much the row must give, in whole pence."""

    @property
    def money(self) -> str:
        """The relaxation as money (``£1,234.56``)."""
        return format_money(from_pence(self.pence))


@dataclass(frozen=True, slots=True)
class RowFamily:
    """How one registry family becomes rows, and how a relaxation of its rows reads."""

    family: Family
    add_rows: Callable[[Rows], None]
    """Add the family's rows for the plan (nothing when the policy switches it off)."""
    relaxation: Callable[[Relaxed], str]
    """One relaxed row in the policy's words: what to change, and to what."""


class Rows:
    """The side rows of one plan as they are built, and the plan's pairs grouped for building.

    Only sub-contracts that may be made (``Plan.pair_open``) are in the groups: a closed pair
    receives nothing, so no row needs it.
    """

    def __init__(self, p: Plan) -> None:
        self.p = p
        self.rows: list[SideRow] = []
        self.info: dict[str, RowInfo] = {}
        self.ids = p.eligibility.member_ids
        self.by_member: dict[int, list[int]] = defaultdict(list)
        self.by_member_contract: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.by_contract: dict[str, list[int]] = defaultdict(list)
        for k in range(len(p.pair_lot)):
            if not p.pair_open[k]:
                continue
            lot = p.lots[p.pair_lot[k]]
            i = p.pair_member[k]
            self.by_member[i].append(k)
            self.by_member_contract[i, lot.contract_id].append(k)
            self.by_contract[lot.contract_id].append(k)
        self.pot_of = {
            c: sum(lot.pot for lot in p.lots if lot.contract_id == c) for c in self.by_contract
        }
        self.pot_total = sum(lot.pot for lot in p.lots)
        self.value = [lot.value for lot in p.lots]

    def members(self) -> list[tuple[int, list[int]]]:
        """Each member with its open pairs, in member-id order."""
        return sorted(self.by_member.items(), key=lambda kv: self.ids[kv[0]])

    def cap_pence(self, k: int) -> Fraction:
        """A pair's capacity in pence (units × the pence each unit carries)."""
        lot = self.p.lots[self.p.pair_lot[k]]
        return lot.claims[self.p.pair_pos[k]] * lot.unit_value

    def most(self, pairs: list[int]) -> Fraction:
        """The most these pairs can ever receive: their capacities, at most their lots' pots.

        A bound at or above it cannot bind, so no row (and no rounding margin) is added.
        """
        lots = {self.p.pair_lot[k] for k in pairs}
        return min(
            sum((self.cap_pence(k) for k in pairs), Fraction(0)),
            Fraction(sum(self.p.lots[j].pot for j in lots)),
        )

    def margin(self, pairs: list[int], scale: float) -> int:
        """Room for rounding: a penny per award, a unit's worth per unit-priced lot, tolerance.

        Rounding itself keeps sum rows within their bounds (see
        :func:`allocate.pipeline.rounding.round_awards`); the margin keeps it from having to
        fight them.
        """
        p = self.p
        unit_lots = {p.pair_lot[k] for k in pairs if p.lots[p.pair_lot[k]].units is not None}
        return (
            len(pairs)
            + sum(math.ceil(p.lots[j].unit_value) for j in unit_lots)
            + math.ceil(abs(scale) * 1e-8)
        )

    def add(
        self,
        name: str,
        family: Family,
        pairs: list[int],
        weights: dict[int, float] | None,
        sense: Sense,
        bound: int,
        scale: float,
        description: str,
        member: str | None = None,
        contract: str | None = None,
        margin: bool = True,
    ) -> None:
        """Add one row ``Σ weight·award (sense) bound`` over ``pairs``, scaled by ``scale`` pence.

        ``bound`` is the policy's bound in pence; the row in the programme keeps the rounding
        margin inside it unless ``margin`` is False.
        """
        scale = max(float(scale), 1.0)
        slack = self.margin(pairs, scale) if margin else 0
        rhs_pence = bound - slack if sense == "<=" else bound + slack
        if sense == ">=" and pairs and rhs_pence > bound:
            # never ask for more than the pairs can ever take: a bound they meet only exactly
            # keeps no margin (rounding keeps it, see allocate.pipeline.rounding)
            rhs_pence = max(bound, min(rhs_pence, math.floor(self.most(pairs))))
        if sense == "<=":
            rhs_pence = max(rhs_pence, 0)
        coefficients = {
            k: (weights[k] if weights is not None else 1.0) * self.value[self.p.pair_lot[k]] / scale
            for k in pairs
        }
        self.rows.append(
            SideRow(
                name=name,
                family=family.name,
                coefficients=coefficients,
                sense=sense,
                rhs=rhs_pence / scale,
                scale=scale,
                description=description,
            )
        )
        self.info[name] = RowInfo(member=member, contract=contract, bound_pence=bound)
