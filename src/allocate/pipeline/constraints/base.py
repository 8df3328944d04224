"""What every family's rows share: the plan's pairs grouped, and one way to add a scaled row.

A family module (one per file beside this one) adds its rows through :class:`Rows` and says how
a relaxation of one of them reads in the policy's words.  :class:`RowFamily` is that pair of
functions with the registry entry (:mod:`allocate.core.families`) it implements.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from allocate.core.families import MIN_AWARD, Family
from allocate.core.money import format_money, from_pence
from allocate.pipeline.plan import Plan, RowInfo, Sense, SideRow

__all__ = ["Relaxed", "RowFamily", "Rows", "change_words", "least_decimal"]


@dataclass(frozen=True, slots=True)
class Relaxed:
    """One side row the elastic programme relaxed, for the diagnosis to put in words.

    ``pence`` is measured against the policy's own bound (``row.bound_pence``), never against
    the programme's row with its rounding margin, and is a whole, positive number of pence: the
    diagnosis rounds the solver's float slack in the honest direction and reports no relaxation
    that rounds to nothing (see :func:`allocate.pipeline.diagnosis.whole_pence`).
    """

    plan: Plan
    name: str
    """The row's name (``<family>:<ids>``)."""
    row: RowInfo | None
    pence: int
    """How much the row must give, in whole pence (at least one)."""

    def __post_init__(self) -> None:
        if isinstance(self.pence, bool) or not isinstance(self.pence, int):
            raise TypeError(f"{self.name}: a relaxation is whole pence, not {self.pence!r}")
        if self.pence <= 0:
            raise ValueError(
                f"{self.name}: a relaxation must be at least a penny, not {self.pence} pence"
            )

    @property
    def money(self) -> str:
        """The relaxation as money (``£1,234.56``)."""
        return format_money(from_pence(self.pence))

    def change(self, family: Family, exact: Fraction) -> str | None:
        """``raise <setting> from <current> to at least <value>``, for an exact needed value.

        The value is the family's policy value that ``exact`` (computed with fractions from the
        whole-pence relaxation) needs, stated as :func:`least_decimal` says; None when the
        family has no single policy value, it is not set, or ``exact`` needs no real change.
        """
        setting, bisection = family.setting, family.bisection
        if setting is None or bisection is None:
            return None
        current = getattr(self.plan.problem.policy, setting)
        if current is None:
            return None
        value = least_decimal(exact, Decimal(current), bisection.direction, bisection.loosest)
        if value is None:
            return None
        return change_words(setting, Decimal(current), value, bisection.direction)


def least_decimal(
    exact: Fraction, current: Decimal, direction: str, loosest: Decimal | None = None
) -> Decimal | None:
    """The policy value to recommend for an exact need: sufficient, in the policy's precision.

    ``direction`` ``up`` (a cap: larger is looser) gives the smallest decimal at least
    ``exact``; ``down`` (a ring-fence, a floor) the largest at most ``exact``.  It has as many
    decimal places as ``current`` has, and more only while the rounded value would equal the
    current one, or would reach ``loosest`` (the value that switches the condition off) when
    ``exact`` itself does not.  None when ``exact`` is no real relaxation of ``current`` (it
    does not move past it), or lies beyond ``loosest``.

    >>> least_decimal(Fraction(1, 3), Decimal("0.2"), "up")
    Decimal('0.4')
    >>> least_decimal(Fraction(1, 3), Decimal("0.20"), "up")
    Decimal('0.34')
    >>> least_decimal(Fraction(1, 9), Decimal("0.5"), "down")
    Decimal('0.1')
    >>> least_decimal(Fraction(5, 18), Decimal("0"), "up", Decimal(1))
    Decimal('0.3')
    >>> least_decimal(Fraction(1, 5), Decimal("0.2"), "up") is None
    True
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    if not isinstance(exact, Fraction):
        raise TypeError(f"the exact need must be a Fraction, not {type(exact).__name__}")
    if not current.is_finite() or (loosest is not None and not loosest.is_finite()):
        raise ValueError(f"policy values must be finite, not {current} (loosest {loosest})")
    up = direction == "up"
    now = Fraction(current)
    if (exact <= now) if up else (exact >= now):
        return None  # no real relaxation: the current value already suffices
    limit = None if loosest is None else Fraction(loosest)
    if limit is not None and ((exact > limit) if up else (exact < limit)):
        return None  # no value of this setting suffices
    exponent = current.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    while True:
        q = 10**places
        scaled = exact * q
        whole = math.ceil(scaled) if up else math.floor(scaled)
        value = Fraction(whole, q)
        at_limit = limit is not None and value == limit and exact != limit
        if value != now and not at_limit:
            return Decimal(whole).scaleb(-places)
        places += 1


def change_words(setting: str, current: Decimal, value: Decimal, direction: str) -> str:
    """``raise max_member_share from 0.2 to at least 0.3``; money settings as money.

    >>> change_words("min_award", Decimal("100.00"), Decimal("75.00"), "down")
    'lower min_award from £100.00 to at most £75.00'
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    verb, bound = ("raise", "at least") if direction == "up" else ("lower", "at most")
    if setting in _MONEY_SETTINGS:
        return f"{verb} {setting} from {format_money(current)} to {bound} {format_money(value)}"
    return f"{verb} {setting} from {current} to {bound} {value}"


#: Policy values that are money, stated as ``£1,234.56``.
_MONEY_SETTINGS = frozenset({MIN_AWARD.setting})


@dataclass(frozen=True, slots=True)
class RowFamily:
    """How one registry family becomes rows, and how a relaxation of its rows reads."""

    family: Family
    add_rows: Callable[[Rows], None]
    """Add the family's rows for the plan (nothing when the policy switches it off)."""
    relaxation: Callable[[Relaxed], str]
    """One relaxed row in the policy's words: what to change, and to what."""


#: A weight of one: every pair of a plain sum (shared, as Fractions are immutable).
_ONE = Fraction(1)


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
        self._members: list[tuple[int, list[int]]] | None = None
        self.value = [lot.value for lot in p.lots]
        # each pair's capacity in its lot's quantity (whole pence, or whole units), and what a
        # whole one is in pence times a common denominator (an integer per lot): capacities are
        # added in integers (a county's rows ask for hundreds of thousands of such sums)
        self._claim = [p.lots[j].claims[pos] for j, pos in zip(p.pair_lot, p.pair_pos, strict=True)]
        self.den = math.lcm(*(lot.units for lot in p.lots if lot.units is not None))
        self._per = [
            self.den if lot.units is None else lot.pot * (self.den // lot.units) for lot in p.lots
        ]

    def members(self) -> list[tuple[int, list[int]]]:
        """Each member with its open pairs, in member-id order (sorted once, for every family)."""
        if self._members is None:
            self._members = sorted(self.by_member.items(), key=lambda kv: self.ids[kv[0]])
        return self._members

    def scaled_capacity(self, pairs: Iterable[int]) -> int:
        """The pairs' capacities in pence times :attr:`den`, exactly."""
        lot_of, claim, per = self.p.pair_lot, self._claim, self._per
        return sum(claim[k] * per[lot_of[k]] for k in pairs)

    def can_pass(self, pairs: list[int], bound: int) -> bool:
        """Whether these pairs can ever receive more than ``bound`` pence.

        The most they can receive is their capacities, at most their lots' pots; a bound at or
        above it cannot bind, so no row is added.
        """
        pots = sum(self.p.lots[j].pot for j in {self.p.pair_lot[k] for k in pairs})
        return min(self.scaled_capacity(pairs), pots * self.den) > bound * self.den

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
        value, lot_of = self.value, self.p.pair_lot
        if weights is None:
            exact = dict.fromkeys(pairs, _ONE)
            coefficients = {k: value[lot_of[k]] / scale for k in pairs}
        else:
            exact = {k: weights[k] for k in pairs}
            # float(w × value) as an int quotient: Python's int / int is the float nearest the
            # exact quotient, as float(Fraction) is, without a Fraction per pair
            coefficients = {
                k: (w.numerator * value[lot_of[k]] / w.denominator) / scale
                for k, w in exact.items()
            }
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
