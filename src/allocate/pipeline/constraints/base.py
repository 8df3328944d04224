"""What every family's rows share: the plan's pairs grouped, and one way to add a scaled row.

A family module (one per file beside this one) adds its rows through :class:`Rows` and says how
a relaxation of one of them reads in the policy's words.  :class:`RowFamily` is that pair of
functions with the registry entry (:mod:`allocate.core.families`) it implements.
"""

from __future__ import annotations

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

        A bound at or above it cannot bind, so no row is added.
        """
        lots = {self.p.pair_lot[k] for k in pairs}
        return min(
            sum((self.cap_pence(k) for k in pairs), Fraction(0)),
            Fraction(sum(self.p.lots[j].pot for j in lots)),
        )

    def add(
        self,
        name: str,
        family: Family,
        pairs: list[int],
        weights: dict[int, Fraction] | None,
        sense: Sense,
        bound: int,
        scale: float,
        description: str,
        member: str | None = None,
        contract: str | None = None,
    ) -> None:
        """Add one row ``Σ weight·award (sense) bound`` over ``pairs``, scaled by ``scale`` pence.

        ``bound`` is the policy's bound in pence, and the programme keeps it exactly: no margin
        is held back for rounding, which keeps every row exactly instead (see
        :mod:`allocate.pipeline.repair`).
        """
        scale = max(float(scale), 1.0)
        exact = {k: (weights[k] if weights is not None else Fraction(1)) for k in pairs}
        value = self.value
        coefficients = {k: float(w * value[self.p.pair_lot[k]]) / scale for k, w in exact.items()}
        self.rows.append(
            SideRow(
                name=name,
                family=family.name,
                coefficients=coefficients,
                sense=sense,
                rhs=bound / scale,
                scale=scale,
                description=description,
                weights=exact,
                bound=Fraction(bound),
            )
        )
        self.info[name] = RowInfo(member=member, contract=contract, bound_pence=bound)
