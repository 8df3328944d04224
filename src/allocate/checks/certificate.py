r"""Check a certificate: exact rational arithmetic on the input and the output, and no solver.

:func:`check_certificate` proves, from a :class:`~allocate.Problem` and an
:class:`~allocate.Allocation` alone, that the allocation is leximin-optimal (the fairest allowed,
in the sense of ``docs/concepts.md``), or that no allocation exists.  It imports nothing of the
solving path: every condition (eligibility and capacities, each lot's member pot, the rule's fair
shares, each side-constraint row in pence) is derived here from the problem, with
:mod:`allocate.core` and the independent reading of :mod:`allocate.checks.verify`; the certificate
supplies only levels, who is frozen when, the sub-contract choice and multipliers.

**The bound.**  A stage maximises the level :math:`t` over awards :math:`x` (pence) in boxes
:math:`\ell \le x \le u` (nothing for a sub-contract not made, the minimum award for one made,
the capacity) subject to rows :math:`a_r\cdot(x,t)\ \{\le,=,\ge\}\ b_r`.  For any multipliers
:math:`\lambda_r` (non-negative on inequalities, in their own orientation),
:math:`t \le L(x,t) = t + \sum_r \lambda_r\,\mathrm{slack}_r(x,t)` on every feasible point, and
:math:`L` is affine: :math:`L = c_0 + d\cdot(x,t)`, so
:math:`t \le U = c_0 + \sum_j \max(d_j\ell_j, d_ju_j)` (Neumaier and Shcherbina, 2004).  Exact
arithmetic makes :math:`U` a proof whatever the multipliers are.  Each term of :math:`L - t` is
non-negative, so at any point with :math:`t \ge t_k` each is at most :math:`U - t_k`: a frozen
claimant's ratio row (multiplier :math:`\lambda_c`) is then within :math:`(U-t_k)/\lambda_c` of
tight, and a claimant at its own bound (reduced cost :math:`d_c \ne 0`) within
:math:`(U-t_k)/|d_c|` of it.

**What is checked, stage by stage** (stages in order of level): the multipliers' signs and names;
:math:`U_k` computed exactly, the level boxed by the least capacity over fair share among the
claimants still rising; :math:`(U_k - t_k)\varphi_c` at most a penny (one unit's pence) for each
claimant frozen at the level, which has a positive ratio multiplier (or is at its capacity, or at
its floor with a negative reduced cost); each claimant frozen at its capacity (floor) has a
positive (negative) reduced cost, unless its box is a point; each such slack bound within a penny
(a unit's pence); the allocation gives every claimant within one penny (one unit, or the wider
window the certificate declares for a lot), and a billionth of the award for the solver's
floating point, of its certified award; every claimant is frozen by the last stage.  With it,
the allocation satisfies every condition (:func:`allocate.checks.verify.verify`), and its
sub-contracts are those the certificate's choice states.

**Infeasibility.**  A Farkas combination needs more than the boxes allow
(:func:`_check_infeasible`); a proof tree (:func:`_check_tree`) splits every award's
``[0, capacity]`` into cases the checker derives itself (whole pence or units; a sub-contract
not made, or made with at most the minimum award the policy sets), reaches every node once, and
proves every leaf by its combination over the leaf's boxes, by an empty box, or by counting an
area's providers (fewer members whose boxes reach a provider's least than the policy needs
there, :func:`_check_short`): no allocation in whole pence and units exists, for any choice.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from allocate.checks.verify import _Index, verify
from allocate.core import cashflow
from allocate.core.apportion import ExactShares
from allocate.core.certificate import (
    Certificate,
    CertificateStage,
    Farkas,
    HeldWinner,
    ProofNode,
    TenderedLot,
)
from allocate.core.families import CASH_FLOW
from allocate.core.model import ClientGroup, Lot, Problem, Rule
from allocate.core.outcome import Allocation, Award
from allocate.core.rules import level_share, lot_shares
from allocate.core.tendering import evaluate

__all__ = ["CertificateCheck", "check_certificate"]

_HUNDRED = Decimal(100)
#: The solver's relative precision: a certified award is a float solution's, so an award may be
#: a billionth of itself further from it than rounding alone moves it.
PRECISION = 10**9


@dataclass(frozen=True, slots=True)
class CertificateCheck:
    """What :func:`check_certificate` found: whether the certificate proves its claim, and why."""

    ok: bool
    """True when every step of the proof checks out, exactly."""
    kind: str | None
    """The certificate's kind (``leximin``, ``closed_form``, ``infeasible``), None without one."""
    proved: str
    """What was proved, in words (empty when refused)."""
    rounding: str
    """What rounding to whole pence and units changes, in words."""
    failures: list[str] = field(default_factory=list)
    """Each step that failed, naming the stage, the condition and the numbers."""
    stages: int = 0
    """Stages checked."""
    largest_slack_pence: Fraction = Fraction(0)
    """The largest slack bound on a frozen claimant (how far any allocation at least as fair
    could move it), in pence."""

    def to_dict(self) -> dict[str, object]:
        """As JSON-ready data (fractions as ``"p/q"``)."""
        return {
            "ok": self.ok,
            "kind": self.kind,
            "proved": self.proved,
            "rounding": self.rounding,
            "failures": list(self.failures),
            "stages": self.stages,
            "largest_slack_pence": _text(self.largest_slack_pence),
        }


def _text(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


class _RefusedError(Exception):
    """A step of the proof failed (the message names it)."""


# -- the problem's facts, derived independently -------------------------------------------------


@dataclass(slots=True)
class _Pair:
    """One eligible (member, lot) pair, in whole numbers of the lot's quantity (pence or units).

    An amount in pence is the quantity times the lot's :attr:`_Lot.unit`.
    """

    member: str
    lot: int
    """Index into :attr:`_Facts.lots`."""
    claim: int
    """The member's claim (capacity)."""
    phi: int
    """The fair share times the lot's :attr:`_Lot.den`."""
    got: int
    """The allocation's award: pence, or units on a unit-priced lot."""
    hi: int
    """The most it may receive under the choice: its claim, or 0 when not made."""
    lo: int = 0
    """The least: the floor of a sub-contract made, else 0."""


@dataclass(slots=True)
class _Lot:
    lot: Lot
    contract: str
    pot: int
    """The member pot: value less the top-slice, pence."""
    units: int | None
    unit: Fraction
    """Pence a quantity carries: 1, or the pot over the units."""
    den: int = 1
    """The denominator of the fair shares (in the lot's quantity)."""
    pairs: list[str] = field(default_factory=list)


class _Facts:
    """Eligible pairs, capacities, member pots and fair shares, from the problem alone."""

    def __init__(self, problem: Problem, allocation: Allocation) -> None:
        self.problem = problem
        self.index = _Index(problem)
        top = {lid: ts for c in allocation.contracts for lid, ts in c.lot_top_slices.items()}
        # a sub-tendered lot's prices are read against its member pot: the top-slice reported
        self.index.lot_top_slice = dict(top)
        got = {(a.member, a.lot): a for a in allocation.awards}
        self.windows: dict[str, int] = {}
        #: the least award of each bid a sub-tendered lot's split gives a floor (pair name)
        self.tender_floors: dict[str, int] = {}
        self.lots: list[_Lot] = []
        self.lot_pos: dict[str, int] = {}
        self.pairs: dict[str, _Pair] = {}
        for contract in problem.contracts:
            for lot in contract.lots:
                self._lot(contract.id, lot, top.get(lot.id, Decimal(0)), got)

    def _lot(
        self, contract: str, lot: Lot, top: Decimal, got: dict[tuple[str, str], Award]
    ) -> None:
        pot = int((lot.value - top) * _HUNDRED)
        units = int(lot.value / lot.unit_price) if lot.unit_price is not None else None
        unit = Fraction(pot, units) if units else Fraction(1)
        j = len(self.lots)
        entry = _Lot(lot, contract, pot, units, unit)
        self.lots.append(entry)
        self.lot_pos[lot.id] = j
        claims_of = self._claims(lot)
        members = sorted(m for m in self.index.eligible_set(lot) if claims_of.get(m, 0) > 0)
        claims = [claims_of[m] for m in members]
        estate = units if units is not None else pot
        shares = self._shares(estate, claims, members)
        entry.den = shares.denominator if shares is not None else 1
        for n, (m, claim) in enumerate(zip(members, claims, strict=True)):
            award = got.get((m, lot.id))
            if award is None:
                amount = 0
            elif units is not None:
                amount = award.units or 0
            else:
                amount = int(award.amount * _HUNDRED)
            phi = shares.numerators[n] if shares is not None else 0
            name = f"{m}:{lot.id}"
            if name in self.pairs:
                raise _RefusedError(f"pair name {name!r} is ambiguous (ids containing ':')")
            self.pairs[name] = _Pair(m, j, claim, phi, amount, claim)
            entry.pairs.append(name)

    def _claims(self, lot: Lot) -> dict[str, int]:
        """Each member's claim on the lot, in its quantity.

        The least of its per-lot capacity and every pool covering the lot: each pool bounds the
        awards on all its lots, so also on this one.  On a sub-tendered lot: its bid's capacity
        (read by :mod:`allocate.checks.verify`, the least of it, the declared one and the pools).
        """
        if lot.id in self.problem.tendered:
            return dict(self.index.claims(lot))

        def quantity(amount: Decimal | None, units: int | None) -> int:
            if lot.unit_price is None:
                return int((amount or Decimal(0)) * _HUNDRED)
            return units if units is not None else int((amount or Decimal(0)) // lot.unit_price)

        out = {
            m: quantity(c.amount, c.units)
            for m, c in self.index.caps_of_lot.get(lot.id, {}).items()
        }
        for m, pools in self.index.pools.items():
            for c in pools:
                if (c.theme is None or c.theme == lot.theme) and (
                    c.area is None or c.area == lot.area
                ):
                    q = quantity(c.amount, None)
                    out[m] = min(out[m], q) if m in out else q
        return out

    def _shares(self, estate: int, claims: list[int], members: list[str]) -> ExactShares | None:
        if not members or estate > sum(claims):
            return None
        rule = self.problem.policy.rule
        factors = [self.factor(m) for m in members] if rule.is_weighted else None
        return lot_shares(rule.value, estate, claims, factors)

    def factor(self, member: str) -> Fraction:
        """The member's score weighting the weighted rules (a missing one counts 1)."""
        raw = getattr(self.problem.member_index[member], self.problem.policy.weight_factor.value)
        return Fraction(repr(raw if raw is not None else 1.0))

    def pence(self, pair: _Pair, quantity: int | Fraction) -> Fraction:
        """A quantity of the pair's lot in pence."""
        return quantity * self.lots[pair.lot].unit

    def floor(self, lot: _Lot) -> int:
        """A made sub-contract's least award: the minimum award (or a penny, a unit)."""
        min_award = self.problem.policy.min_award
        pence = int(min_award * _HUNDRED) if min_award else 1
        if lot.units is None:
            return pence
        return max(1, math.ceil(pence / lot.unit)) if pence > 0 else 1

    def apply_choice(self, cert: Certificate, *, awards: bool = True) -> list[str]:
        """Set the boxes the choice states.

        Returns what contradicts the policy or (with ``awards``) the allocation's awards.
        """
        out: list[str] = []
        for lot_id, wide in cert.rounding.items():
            if lot_id not in self.lot_pos or wide < 1:
                out.append(f"rounding: {lot_id!r} {wide} is no lot and window")
        self.windows = dict(cert.rounding)
        policy = self.problem.policy
        if (
            cert.choice.made
            and policy.min_award is None
            and policy.min_providers_per_area is None
            and not self.tender_floors
        ):
            out.append("choice: sub-contracts made with a floor, but the policy sets no minimum")
        for refs, closed in ((cert.choice.made, False), (cert.choice.closed, True)):
            for ref in refs:
                name = f"{ref.member}:{ref.lot}"
                pair = self.pairs.get(name)
                if pair is None:
                    out.append(f"choice: {name} is not an eligible pair")
                    continue
                if closed:
                    pair.hi = 0
                elif name in self.tender_floors:
                    pair.lo = min(self.tender_floors[name], pair.hi)
                else:
                    pair.lo = min(self.floor(self.lots[pair.lot]), pair.hi)
        for name, pair in self.pairs.items() if awards else ():
            if not pair.lo <= pair.got <= pair.hi:
                out.append(
                    f"choice: {name} receives {pair.got}, outside [{pair.lo}, {pair.hi}] "
                    f"({'units' if self.lots[pair.lot].units else 'pence'}) as the choice and its "
                    "capacity allow"
                )
        return out

    def claimants(self) -> set[str]:
        """Pairs with a positive fair share whose sub-contract may be made."""
        return {n for n, p in self.pairs.items() if p.phi > 0 and p.hi > 0}

    def window(self, pair: _Pair) -> int:
        """How far rounding may have moved an award, in the lot's quantity.

        A penny or a unit, or the wider window the certificate declares for the lot.
        """
        return max(1, self.windows.get(self.lots[pair.lot].lot.id, 1))


# -- sub-tendered lots: the competition's split, recomputed ---------------------------------------


class _Tender:
    """Each sub-tendered lot's split, recomputed from the bids with the limits stated.

    The split's shares become the fair shares of the lot's bids (so the stages prove the programme
    the engine solved), the winners' minimum awards and held floors their least awards.
    """

    def __init__(self, facts: _Facts, cert: Certificate) -> None:
        self.facts = facts
        self.failures: list[str] = []
        #: each bid's share of the competition's split (pair name -> the lot's quantity)
        self.targets: dict[str, Fraction] = {}
        #: each held bid's level and the condition stated to hold it (pair name)
        self.held: dict[str, tuple[int, str]] = {}
        self.lots = 0
        stated: dict[str, TenderedLot] = {}
        for t in cert.tender:
            if t.lot not in facts.problem.tendered:
                self.failures.append(f"tender: {t.lot!r} is not a sub-tendered lot")
            elif t.lot in stated:
                self.failures.append(f"tender: {t.lot!r} is stated twice")
            else:
                stated[t.lot] = t
        for lot_id in sorted(facts.problem.tendered):
            if lot_id not in stated:
                self.failures.append(f"tender: no outcome stated for sub-tendered lot {lot_id!r}")
            elif lot_id in facts.lot_pos:
                self._lot(stated[lot_id])

    def _limits(self, t: TenderedLot) -> dict[str, HeldWinner]:
        out: dict[str, HeldWinner] = {}
        for h in t.held:
            what = f"tender: {t.lot}: held bid {h.member!r}"
            if f"{h.member}:{t.lot}" not in self.facts.pairs:
                self.failures.append(f"{what} is no qualifying bid")
            elif h.member in out:
                self.failures.append(f"{what} is stated twice")
            elif not 0 <= h.floor <= h.level:
                self.failures.append(f"{what}: floor {h.floor} is not in [0, level {h.level}]")
            else:
                out[h.member] = h
        return out

    def _lot(self, t: TenderedLot) -> None:
        facts = self.facts
        entry = facts.lots[facts.lot_pos[t.lot]]
        held = self._limits(t)
        offers, estate, least = facts.index.tender_offers(entry.lot)
        limits = {m: h.level for m, h in held.items()}
        result = evaluate(facts.problem.policy.tender, estate, offers, limits, least)
        if list(result.winners) != list(t.winners):
            self.failures.append(
                f"tender: {t.lot}: the bids scored and ranked again, split with the limits "
                f"stated, win {list(result.winners)} in rank order, not {list(t.winners)}"
            )
        targets = {k: result.targets.get(facts.pairs[k].member, Fraction(0)) for k in entry.pairs}
        entry.den = math.lcm(1, *(x.denominator for x in targets.values()))
        generic = facts.floor(entry)
        for k, target in targets.items():
            pair = facts.pairs[k]
            pair.phi = int(target * entry.den)
            floor = min(least, pair.claim) if least and target > 0 else 0
            h = held.get(pair.member)
            if h is not None and target > 0:
                allowed = max(floor, min(h.level, math.floor(target)), generic)
                if h.floor > allowed:
                    self.failures.append(
                        f"tender: {k}: stated floor {h.floor} is above {allowed}, the least of "
                        "its level and its share (or the minimum award)"
                    )
                floor = max(floor, h.floor)
            if floor > 0:
                facts.tender_floors[k] = floor
        self.targets.update(targets)
        self.held.update({f"{m}:{t.lot}": (h.level, h.condition) for m, h in held.items()})
        self.lots += 1

    def check(self, rows: _Rows) -> list[str]:
        """Each bid within rounding of its share; each held level kept by its condition."""
        out: list[str] = []
        facts = self.facts
        for k, target in self.targets.items():
            pair = facts.pairs[k]
            window = facts.window(pair)
            if abs(pair.got - target) > window + target / PRECISION:
                out.append(
                    f"tender: {k} receives {pair.got}, not within {window} of its share "
                    f"{_text(target)} of the competition's split ({_quantity(facts, pair)})"
                )
        for k, (level, condition) in sorted(self.held.items()):
            pair = facts.pairs[k]
            most = self._allowed(rows, k, condition)
            if most is None:
                out.append(f"tender: {k}: {condition!r} is no condition bounding it")
            elif most > level + facts.window(pair):
                out.append(
                    f"tender: {k}: {condition} allows it up to {float(most):.2f}, above its held "
                    f"level {level} and the rounding window ({_quantity(facts, pair)})"
                )
        return out

    def _allowed(self, rows: _Rows, k: str, condition: str) -> Fraction | None:
        """The most ``condition`` allows pair ``k`` on its lot, in the lot's quantity.

        The other lots' awards as the allocation gives them, the lot's other bids in their boxes;
        ``budget:<lot>``: the lot's pot less the least its other bids keep.
        """
        facts = self.facts
        lot = facts.pairs[k].lot
        entry = facts.lots[lot]
        if condition == f"budget:{entry.lot.id}":
            # the pot (in the lot's quantity) less the least each other bid of the lot keeps
            estate = entry.units if entry.units is not None else entry.pot
            return Fraction(estate - sum(facts.pairs[n].lo for n in entry.pairs if n != k))
        row = rows.get(condition)
        if row is None:
            return None
        terms, sense, bound, den = row
        sign = {"<=": 1, ">=": -1}.get(sense)
        own = sum((w for name, w in terms if name == k), 0) * (sign or 0)
        if sign is None or own <= 0:
            return None
        rest = Fraction(sign * bound * den)
        for name, w in terms:
            if name == k:
                continue
            other, c = facts.pairs[name], sign * w
            if other.lot == lot:
                rest -= min(c * facts.pence(other, other.lo), c * facts.pence(other, other.hi))
            else:
                rest -= c * facts.pence(other, other.got)
        return rest / own / facts.lots[lot].unit


def _quantity(facts: _Facts, pair: _Pair) -> str:
    return "units" if facts.lots[pair.lot].units is not None else "pence"


# -- the side-constraint rows, by name, in pence ------------------------------------------------

#: A row: its terms (pair name, weight on the award in pence), sense and bound (pence).
_Row = tuple[list[tuple[str, int | Fraction]], str, int]
#: The same with whole-number weights over a denominator: ``Σ (w/den)·award (sense) bound``.
_IntRow = tuple[list[tuple[str, int]], str, int, int]
_ONE = 1


class _Rows:
    """Each side-constraint family's rows, derived from the problem and named as documented."""

    def __init__(self, facts: _Facts) -> None:
        self.facts = facts
        self.problem = facts.problem
        self.by_member: dict[str, list[str]] = defaultdict(list)
        for name, pair in facts.pairs.items():
            self.by_member[pair.member].append(name)
        self.pot_of: dict[str, int] = defaultdict(int)
        for lot in facts.lots:
            self.pot_of[lot.contract] += lot.pot
        self._built: dict[str, dict[str, _Row]] = {}
        self._int: dict[str, _IntRow] = {}
        self._cash: cashflow.CashFlowTiming | None = None

    def get(self, name: str) -> _IntRow | None:
        """The named row with whole-number weights over one denominator (None: no such row)."""
        found = self._int.get(name)
        if found is None:
            row = self._row(name)
            if row is None:
                return None
            terms, sense, bound = row
            den = math.lcm(*(w.denominator for _, w in terms if isinstance(w, Fraction)))
            found = ([(k, int(w * den)) for k, w in terms], sense, bound, den)
            self._int[name] = found
        return found

    def _row(self, name: str) -> _Row | None:
        family = name.split(":", 1)[0]
        if family == CASH_FLOW.name:
            return self._cash_flow(name)
        builder = {
            "max_member_share": self._max_member_share,
            "max_dependency": self._max_dependency,
            "small_org_share": self._small_org_share,
            "case_mix": self._case_mix,
            "pooled_capacity": self._pooled_capacity,
        }.get(family)
        if builder is None:
            return None
        if family not in self._built:
            rows: dict[str, _Row] = {}
            for row_name, row in builder():
                if row_name in rows:
                    raise _RefusedError(f"condition name {row_name!r} is ambiguous")
                rows[row_name] = row
            self._built[family] = rows
        return self._built[family].get(name)

    def _lot(self, pair: str) -> _Lot:
        return self.facts.lots[self.facts.pairs[pair].lot]

    def _max_member_share(self) -> Iterable[tuple[str, _Row]]:
        value = self.problem.policy.max_member_share
        if value is None:
            return
        share = Fraction(value)
        total = sum(self.pot_of.values())
        for member, pairs in self.by_member.items():
            on: dict[str, list[str]] = defaultdict(list)
            for k in pairs:
                on[self._lot(k).contract].append(k)
            for contract, mine in on.items():
                bound = math.floor(share * self.pot_of[contract])
                yield (
                    f"max_member_share:{member}:{contract}",
                    ([(k, _ONE) for k in mine], "<=", bound),
                )
            bound = math.floor(share * total)
            yield f"max_member_share:{member}:portfolio", ([(k, _ONE) for k in pairs], "<=", bound)

    def _max_dependency(self) -> Iterable[tuple[str, _Row]]:
        value = self.problem.policy.max_dependency
        if value is None:
            return
        for member, pairs in self.by_member.items():
            income = Fraction(self.problem.member_index[member].annual_income) * 100
            bound = math.floor(Fraction(value) * income)
            yield f"max_dependency:{member}", ([(k, _ONE) for k in pairs], "<=", bound)

    def _small_org_share(self) -> Iterable[tuple[str, _Row]]:
        policy = self.problem.policy
        if policy.small_org_share is None:
            return
        share, bands = Fraction(policy.small_org_share), set(policy.small_org_bands)
        for contract in self.problem.contracts:
            terms: list[tuple[str, int | Fraction]] = [
                (k, _ONE)
                for k, pair in self.facts.pairs.items()
                if self.facts.lots[pair.lot].contract == contract.id
                and self.problem.member_index[pair.member].size_band in bands
            ]
            bound = math.ceil(share * self.pot_of[contract.id])
            yield f"small_org_share:{contract.id}", (terms, ">=", bound)

    def _case_mix(self) -> Iterable[tuple[str, _Row]]:
        value = self.problem.policy.case_mix_tolerance
        if value is None:
            return
        tol = Fraction(value)
        services: dict[str, dict[bool, list[int]]] = defaultdict(lambda: defaultdict(list))
        for j, lot in enumerate(self.facts.lots):
            if lot.lot.client_group is not None:
                hard = lot.lot.client_group is ClientGroup.HARD_TO_HELP
                services[lot.lot.service or lot.lot.theme][hard].append(j)
        for key, groups in services.items():
            if not groups[True] or not groups[False]:
                continue
            pot_h = sum(self.facts.lots[j].pot for j in groups[True])
            r = Fraction(pot_h, pot_h + sum(self.facts.lots[j].pot for j in groups[False]))
            here = set(groups[True]) | set(groups[False])
            for member, pairs in self.by_member.items():
                mine = [k for k in pairs if self.facts.pairs[k].lot in here]
                if not mine:
                    continue
                hard_of = {k: Fraction(int(self.facts.pairs[k].lot in groups[True])) for k in mine}
                yield (
                    f"case_mix:{member}:{key}:max",
                    ([(k, hard_of[k] - r - tol) for k in mine], "<=", 0),
                )
                yield (
                    f"case_mix:{member}:{key}:min",
                    ([(k, hard_of[k] - r + tol) for k in mine], ">=", 0),
                )

    def _pooled_capacity(self) -> Iterable[tuple[str, _Row]]:
        pools = [c for c in self.problem.capacities if c.lot is None]
        for n, cap in enumerate(pools):
            assert cap.amount is not None  # validated: pools are money
            terms: list[tuple[str, int | Fraction]] = [
                (k, _ONE)
                for k in self.by_member.get(cap.member, [])
                if (cap.theme is None or self._lot(k).lot.theme == cap.theme)
                and (cap.area is None or self._lot(k).lot.area == cap.area)
            ]
            bound = int(cap.amount * _HUNDRED)
            yield f"pooled_capacity:{cap.member}:{n}", (terms, "<=", bound)

    def _cash_flow(self, name: str) -> _Row | None:
        share = self.problem.policy.max_reserves_share
        head, _, month = name.rpartition(":")
        member_id = head.removeprefix("cash_flow:")
        member = self.problem.member_index.get(member_id)
        if share is None or member is None or not month.isdigit() or member.reserves is None:
            return None
        if self._cash is None:
            self._cash = cashflow.CashFlowTiming(self.problem)
            self._costs = cashflow.declared_costs(self.problem)
        t = int(month) - 1
        if not 0 <= t < self._cash.horizon:
            return None
        terms: list[tuple[str, int | Fraction]] = []
        for k in self.by_member.get(member_id, []):
            lot = self._lot(k)
            contract = self.problem.lot_index[lot.lot.id][0]
            kappa, _ = cashflow.cost_ratio(self._costs, member_id, lot.lot, lot.pot)
            terms.append((k, cashflow.need_coefficients(self._cash, contract, member, kappa)[t]))
        bound = math.floor(Fraction(share) * Fraction(member.reserves) * 100)
        return terms, "<=", bound


# -- the stages ---------------------------------------------------------------------------------


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _RefusedError(f"{what}: {text!r} is not an integer") from None


def _fraction(text: str, what: str) -> Fraction:
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise _RefusedError(f"{what}: {text!r} is not a rational number") from None


@dataclass
class _Bound:
    """One stage's bound, worked out lot by lot in whole numbers."""

    total: Fraction
    """The bound on the level, times the stage's denominator."""
    reduced: dict[str, int]
    """Each touched pair's reduced cost per penny, times the denominator and :attr:`w`, less
    its lot's budget multiplier (see :meth:`cost`)."""
    w: int
    """The common denominator of the side rows' weights."""
    ratio: dict[str, int]
    budget: dict[int, int]

    def cost(self, facts: _Facts, name: str) -> Fraction:
        """A pair's reduced cost per penny, times the stage's denominator."""
        pair = facts.pairs[name]
        return Fraction(self.reduced.get(name, 0) - self.budget.get(pair.lot, 0) * self.w, self.w)


@dataclass
class _Stages:
    """The progressive filling's stages checked in order: who is frozen, at what award."""

    facts: _Facts
    rows: _Rows
    rising: set[str]
    failures: list[str]
    level: Fraction = Fraction(0)
    largest: Fraction = Fraction(0)
    """The largest slack bound on a frozen claimant, pence."""
    rounded: Fraction = Fraction(0)
    """The largest distance of an award from its certified value, in pennies (units)."""
    held_at_level: dict[str, Fraction] = field(default_factory=dict)
    """The level of each claimant frozen at a level."""
    held_at: dict[str, int] = field(default_factory=dict)
    """The award (in the lot's quantity) of each claimant frozen at a bound of its own."""

    def __post_init__(self) -> None:
        pairs, lots = self.facts.pairs, self.facts.lots
        # no level passes a rising claimant's capacity over its fair share: the level's box is
        # the least of these among the claimants still rising (kept in order, least first)
        self.caps = sorted(
            (Fraction(pairs[c].hi * lots[pairs[c].lot].den, pairs[c].phi), c) for c in self.rising
        )
        self.next_cap = 0
        self.sums = {
            j: (sum(pairs[k].lo for k in lot.pairs), sum(pairs[k].hi for k in lot.pairs))
            for j, lot in enumerate(lots)
        }

    def check(self, n: int, stage: CertificateStage) -> None:
        where = f"stage {n}"
        if not self.rising:
            raise _RefusedError(f"{where}: every claimant is frozen already")
        t = _fraction(stage.level, f"{where} level")
        if t < self.level:
            raise _RefusedError(f"{where}: level {t} below the previous stage's {self.level}")
        self.level = t
        den = _integer(stage.denominator, f"{where} denominator")
        if den <= 0:
            raise _RefusedError(f"{where}: denominator {den} is not positive")
        bound = self._bound(where, stage, den)
        gap = max(bound.total / den - t, Fraction(0))
        for f in stage.frozen:
            name = f"{f.member}:{f.lot}"
            if name not in self.rising:
                raise _RefusedError(f"{where}: {name} is frozen but is no claimant still rising")
            self._freeze(where, name, f.at, t, gap * den, bound, den)
        self.rising -= {f"{f.member}:{f.lot}" for f in stage.frozen}

    def _freeze(
        self, where: str, name: str, at: str, t: Fraction, gap: Fraction, b: _Bound, den: int
    ) -> None:
        """Check one frozen claimant: what holds it, how tightly, and its award."""
        facts = self.facts
        pair = facts.pairs[name]
        lot = facts.lots[pair.lot]
        fixed = at != "level" and pair.lo == pair.hi
        if at == "level":
            weight: int | Fraction = b.ratio.get(name, 0)
            value = Fraction(pair.phi * t.numerator, lot.den * t.denominator)  # lot's quantity
            self.held_at_level[name] = t
            # the level's own bound, in money: U − t of this claimant's fair share
            if gap * pair.phi > den * lot.den:
                self.failures.append(
                    f"{where}: the bound on the level exceeds it by "
                    f"{float(gap / den):.4g}, more than a penny (unit) of {name}'s fair share"
                )
            # at its capacity the level holds it there: it can rise no further
            fixed = value >= pair.hi
            if weight <= 0 and value == pair.lo:
                # at the level and at its floor: the floor's reduced cost may hold it there
                weight = -b.cost(facts, name)
        else:
            cost = b.cost(facts, name)
            weight = cost if at == "capacity" else -cost
            quantity = pair.hi if at == "capacity" else pair.lo
            value = Fraction(quantity)
            self.held_at[name] = quantity
        if weight <= 0 and not fixed:
            raise _RefusedError(f"{where}: {name} is frozen at its {at} but no multiplier holds it")
        # the slack term's bound, in pence (gap is the bound's excess over the level × den)
        if gap and not fixed:
            slack = gap / weight
            self.largest = max(self.largest, slack)
            if slack > lot.unit:
                self.failures.append(
                    f"{where}: {name} is held at its {at} only to within {float(slack):.4g} "
                    f"pence (more than {float(lot.unit):.4g})"
                )
        # |award − value| ≤ window + value / PRECISION, in whole numbers: value = num / vden
        num, vden = value.numerator, value.denominator
        off = abs(pair.got * vden - num)
        window = facts.window(pair)
        if off > self.rounded * vden:
            self.rounded = Fraction(off, vden)
        if off * PRECISION > window * vden * PRECISION + abs(num):
            what = "units" if lot.units else "pence"
            self.failures.append(
                f"{where}: {name} receives {pair.got} {what}, not within {window} (and a "
                f"billionth) of its certified {float(value):.4f}"
            )

    def _bound(self, where: str, stage: CertificateStage, den: int) -> _Bound:
        """The stage's bound times ``den``, exactly; whole numbers per lot, then each lot's unit.

        Reduced costs are kept as whole numbers over ``w``, the side rows' common denominator.
        """
        facts, pairs = self.facts, self.facts.pairs
        const = 0
        phi_sum: dict[int, int] = defaultdict(int)  # Σ n·φ per lot (× lot.den)
        held_level: dict[tuple[int, Fraction], int] = defaultdict(int)
        held_q: dict[int, int] = defaultdict(int)
        ratio: dict[str, int] = {}
        budget: dict[int, int] = {}
        plain: dict[str, int] = defaultdict(int)  # ratio and hold rows: weight 1
        side: list[tuple[int, _IntRow]] = []
        for name, text in stage.multipliers.items():
            n = _integer(text, f"{where} multiplier {name}")
            kind, _, rest = name.partition(":")
            if kind == "budget" and rest in facts.lot_pos:
                j = facts.lot_pos[rest]
                budget[j] = n
                const += n * facts.lots[j].pot
                continue
            if n < 0:
                raise _RefusedError(f"{where}: multiplier of {name} is negative ({n})")
            if kind == "ratio" and rest in pairs:
                if rest not in self.rising:
                    raise _RefusedError(f"{where}: {rest} has a ratio row but is frozen already")
                ratio[rest] = n
                plain[rest] += n
                phi_sum[pairs[rest].lot] += n * pairs[rest].phi
            elif kind == "hold" and rest in pairs:
                plain[rest] += n
                if rest in self.held_at_level:
                    held_level[pairs[rest].lot, self.held_at_level[rest]] += n * pairs[rest].phi
                elif rest in self.held_at:
                    held_q[pairs[rest].lot] += n * self.held_at[rest]
                else:
                    raise _RefusedError(f"{where}: {rest} is held but was never frozen")
            elif (row := self.rows.get(name)) is not None:
                side.append((n, row))
            else:
                raise _RefusedError(f"{where}: {name!r} is no condition of this problem")
        w = math.lcm(*(row[3] for _, row in side))
        d: dict[str, int] = defaultdict(int)
        for k, n in plain.items():
            d[k] += n * w
        for n, (terms, sense, b, row_den) in side:
            sign = 1 if sense == ">=" else -1
            const -= sign * n * b
            scale = sign * n * (w // row_den)
            for k, weight in terms:
                d[k] += scale * weight
        box: dict[int, int] = defaultdict(int)
        touched: dict[int, list[str]] = defaultdict(list)
        for k, dk in d.items():
            pair = pairs[k]
            touched[pair.lot].append(k)
            full = dk - budget.get(pair.lot, 0) * w
            box[pair.lot] += full * (pair.hi if full > 0 else pair.lo)
        for j, n in budget.items():
            # the lot's other pairs have reduced cost −n: at their floor or capacity
            lo, hi = self.sums[j]
            others = (hi if n < 0 else lo) - sum(
                (pairs[k].hi if n < 0 else pairs[k].lo) for k in touched[j]
            )
            box[j] += -n * w * others
        lots = facts.lots
        total = Fraction(const)
        total += sum((lots[j].unit * v for j, v in box.items() if v), Fraction(0)) / w
        total -= sum((lots[j].unit * v for j, v in held_q.items() if v), Fraction(0))
        total -= sum(
            (lots[j].unit * t * Fraction(v, lots[j].den) for (j, t), v in held_level.items()),
            Fraction(0),
        )
        dt = den - sum(
            (lots[j].unit * Fraction(v, lots[j].den) for j, v in phi_sum.items()), Fraction(0)
        )
        if dt > 0:
            while self.caps[self.next_cap][1] not in self.rising:
                self.next_cap += 1
            total += dt * self.caps[self.next_cap][0]
        return _Bound(total, d, w, ratio, budget)


# -- the whole check ----------------------------------------------------------------------------


def _rounding(cert: Certificate, stages: _Stages) -> str:
    """What rounding changed, in words, from the windows the check verified."""
    wider = "".join(
        f"; on lot {lot} up to {wide} (the exact repair found no whole allocation within one "
        "keeping every side row)"
        for lot, wide in sorted(cert.rounding.items())
    )
    return (
        "Each award is within one penny (one unit on unit-priced lots) of the certified "
        f"solution{wider}, plus a billionth of the award for the solver's floating point; the "
        f"largest distance found is {float(stages.rounded):.4g} penny "
        f"(unit).  An allocation at least as fair could differ from the certified solution by at "
        f"most {float(stages.largest):.4g} pence for any frozen member."
    )


def check_certificate(
    problem: Problem, allocation: Allocation, *, conditions: bool = True
) -> CertificateCheck:
    """Verify the allocation's certificate in exact rational arithmetic, without a solver.

    Every condition is derived from ``problem`` alone; the certificate gives only levels, who is
    frozen when, the sub-contract choice and the multipliers (see ``docs/certificates.md``).

    Parameters
    ----------
    problem
        The problem the allocation answers.
    allocation
        The allocation, with its :attr:`~allocate.Allocation.certificate`.
    conditions
        Also re-check that the allocation satisfies every condition
        (:func:`allocate.verify`), which the proof of optimality assumes.  ``False`` skips it
        for an allocation verified already (:func:`allocate.solve` verifies every allocation).

    Returns
    -------
    CertificateCheck
        ``ok`` with what was proved in words, or the failures, each naming the stage, the
        condition and the numbers.

    Examples
    --------
    >>> from allocate import Problem, solve
    >>> from allocate.examples import example_dict
    >>> problem = Problem.model_validate(example_dict())
    >>> check_certificate(problem, solve(problem)).ok
    True
    """
    cert = allocation.certificate
    if cert is None:
        return _refused(None, ["the allocation carries no certificate"])
    try:
        if cert.kind == "infeasible" and cert.proof is not None:
            return _check_tree(problem, allocation, cert)
        if cert.kind == "infeasible":
            return _check_infeasible(problem, allocation, cert)
        return _check_optimal(problem, allocation, cert, conditions)
    except _RefusedError as refused:
        return _refused(cert.kind, [str(refused)])


def _refused(kind: str | None, failures: list[str]) -> CertificateCheck:
    return CertificateCheck(ok=False, kind=kind, proved="", rounding="", failures=failures)


def _check_optimal(
    problem: Problem, allocation: Allocation, cert: Certificate, conditions: bool
) -> CertificateCheck:
    if not allocation.status.is_ok:
        raise _RefusedError(
            f"a {cert.kind} certificate on an allocation of status {allocation.status.value}"
        )
    checks = verify(problem, allocation) if conditions else []
    failures = [f"{c.name}: {c.detail}" for c in checks if not c.passed]
    facts = _Facts(problem, allocation)
    tender = _Tender(facts, cert)
    failures += tender.failures
    failures += facts.apply_choice(cert)
    claimants = facts.claimants()
    rows = _Rows(facts)
    stages = _Stages(facts, rows, set(claimants), failures)
    try:
        for n, stage in enumerate(cert.stages, 1):
            stages.check(n, stage)
    except _RefusedError as refused:  # the proof stops here; what was found before stands
        failures.append(str(refused))
    failures += tender.check(rows)
    if stages.rising and not failures:
        some = ", ".join(sorted(stages.rising)[:5])
        failures.append(f"{len(stages.rising)} claimant(s) never frozen by a stage: {some}")
    if cert.kind == "closed_form":
        failures += _water_levels(facts, cert)
    if failures:
        return CertificateCheck(
            ok=False,
            kind=cert.kind,
            proved="",
            rounding="",
            failures=failures,
            stages=len(cert.stages),
            largest_slack_pence=stages.largest,
        )
    return CertificateCheck(
        ok=True,
        kind=cert.kind,
        proved=_proved(cert, len(claimants), stages) + _tender_words(tender),
        rounding=_rounding(cert, stages),
        stages=len(cert.stages),
        largest_slack_pence=stages.largest,
    )


def _proved(cert: Certificate, claimants: int, stages: _Stages) -> str:
    choice = cert.choice
    given = (
        f"Given the sub-contract choice ({len(choice.made)} made with the minimum award, "
        f"{len(choice.closed)} not made), "
        if choice.made or choice.closed
        else ""
    )
    if cert.kind == "closed_form":
        return (
            f"{given}every one of the {claimants} claimant(s) receives its fair share under the "
            f"rule, whose water level on each of the {len(cert.water_levels)} lot(s) stated gives "
            "those shares exactly; the shares add up to each lot's member pot, so any other split "
            "leaves some member below its fair share: the allocation is leximin-optimal, and no "
            "member's award can rise above its share without lowering a member who is already "
            "worse off relative to its fair share."
        )
    levels = f"{len(cert.stages)} stage(s), levels up to {float(stages.level):.6f}"
    return (
        f"{given}the allocation is leximin-optimal relative to the rule's fair shares over its "
        f"{claimants} claimant(s) ({levels}): at every stage no allocation that keeps the members "
        "frozen earlier at their certified awards can lift every member still rising above the "
        "stage's level, so no member's award can rise above its share without lowering a member "
        "who is already worse off relative to its fair share."
    )


def _tender_words(tender: _Tender) -> str:
    """What was proved for the sub-tendered lots, in words (empty without any)."""
    if not tender.lots:
        return ""
    held = (
        f"; each of the {len(tender.held)} bid(s) held back is held by the side-constraint "
        "named, which, with the awards on the other lots, allows it no more than its stated "
        "level (and a penny or unit)"
        if tender.held
        else ""
    )
    return (
        f" On the {tender.lots} sub-tendered lot(s) the fair shares are the competition's split, "
        "recomputed here from the bids (scored, qualified and ranked again, split in the policy's "
        "way with the limits stated); every bid receives its share of that split to within the "
        f"rounding window{held}: within a sub-tendered lot the order is the ranking's, across "
        "lots the fairness programme's."
    )


def _water_levels(facts: _Facts, cert: Certificate) -> list[str]:
    """Each lot's stated level gives the rule's fair shares exactly, with the capped as stated."""
    out: list[str] = []
    rule = facts.problem.policy.rule
    for w in cert.water_levels:
        j = facts.lot_pos.get(w.lot)
        if j is None:
            out.append(f"water level: no lot {w.lot!r}")
            continue
        lot = facts.lots[j]
        if w.lot in facts.problem.tendered:
            out.append(f"water level: {w.lot} is sub-tendered (its shares are the competition's)")
            continue
        level = _fraction(w.level, f"water level of {w.lot}")
        pairs = [facts.pairs[k] for k in lot.pairs]
        claims = [Fraction(p.claim) for p in pairs]
        if rule is Rule.PROPORTIONAL:
            weights = claims
        elif rule is Rule.WEIGHTED_PROPORTIONAL:
            weights = [c * facts.factor(p.member) for c, p in zip(claims, pairs, strict=True)]
        elif rule is Rule.WEIGHTED_CONSTRAINED_EQUAL_AWARDS:
            weights = [facts.factor(p.member) for p in pairs]
        else:
            weights = [Fraction(1)] * len(claims)
        over_half = 2 * (lot.units if lot.units is not None else lot.pot) > sum(claims)
        shares = [Fraction(p.phi, lot.den) for p in pairs]
        given = [
            level_share(rule.value, c, wt, level, over_half)
            for c, wt in zip(claims, weights, strict=True)
        ]
        if given != shares:
            out.append(f"water level of {w.lot}: {w.level} does not give the rule's fair shares")
            continue
        if rule is Rule.CONSTRAINED_EQUAL_LOSSES:
            capped = [p.member for p, s in zip(pairs, shares, strict=True) if s == 0]
        elif rule is Rule.TALMUD:
            capped = [p.member for p, c, s in zip(pairs, claims, shares, strict=True) if s == c / 2]
        else:
            capped = [p.member for p, c, s in zip(pairs, claims, shares, strict=True) if s == c]
        if sorted(capped) != sorted(w.capped):
            out.append(f"water level of {w.lot}: capped {sorted(w.capped)}, not {sorted(capped)}")
    return out


# -- infeasibility ------------------------------------------------------------------------------


def _check_infeasible(
    problem: Problem, allocation: Allocation, cert: Certificate
) -> CertificateCheck:
    """A Farkas combination: what the named conditions need against what the boxes allow.

    Each condition is read as ``≥`` (a budget ``Σ awards ≥ pot`` with a signed multiplier, a
    ``≤`` side row as ``−Σ w·award ≥ −bound``); adding them up, any allocation would place at
    least ``need`` in the combination, and the boxes (nothing for a sub-contract not made, the
    floor of one made, the capacity) allow at most ``allow``.  ``allow < need``: none exists.
    """
    farkas = cert.farkas
    if farkas is None:
        raise _RefusedError("an infeasible certificate without its Farkas combination")
    if cert.proof is not None or cert.stages:
        raise _RefusedError("an infeasible certificate with a proof tree or stages")
    if allocation.status.is_ok:
        raise _RefusedError("an infeasibility certificate on an allocation that was found")
    facts = _Facts(problem, allocation)
    failures = [
        f
        for f in facts.apply_choice(cert)
        if not f.startswith(("choice: ", "rounding")) or "outside" not in f
    ]
    need, allow, placed = _combination(facts, _Rows(facts), farkas, "farkas", {})
    if not allow < need:
        failures.append(
            f"farkas: the combination needs {float(need) / 100:,.2f} pounds and the boxes allow "
            f"{float(allow) / 100:,.2f}: no contradiction"
        )
    # in words: what budgets and ≥ rows need placed, and the most the boxes and caps allow
    need, allow = placed, placed - (need - allow)
    if failures:
        return CertificateCheck(ok=False, kind=cert.kind, proved="", rounding="", failures=failures)
    return CertificateCheck(
        ok=True,
        kind=cert.kind,
        proved=_infeasible_words(cert, need, allow),
        rounding="No allocation exists, so nothing is rounded.",
    )


def _combination(
    facts: _Facts, rows: _Rows, farkas: Farkas, where: str, boxes: dict[str, tuple[int, int]]
) -> tuple[Fraction, Fraction, Fraction]:
    """What a Farkas combination needs, what the boxes allow against it, and what it places.

    In pence.  ``boxes`` gives the least and largest award, in its lot's quantity, of each pair
    it names; the others' are their own ``lo`` and ``hi``.
    """
    den = _integer(farkas.denominator, f"{where} denominator")
    if den <= 0:
        raise _RefusedError(f"{where}: denominator {den} is not positive")
    need = placed = Fraction(0)
    coef: dict[str, Fraction] = defaultdict(Fraction)
    budget: dict[int, int] = {}
    for name, text in farkas.multipliers.items():
        n = _integer(text, f"{where} multiplier {name}")
        kind, _, rest = name.partition(":")
        if kind == "budget" and rest in facts.lot_pos:
            j = facts.lot_pos[rest]
            budget[j] = n
            need += n * facts.lots[j].pot
            placed += n * facts.lots[j].pot
            continue
        row = rows.get(name)
        if row is None:
            raise _RefusedError(f"{where}: {name!r} is no condition of this problem")
        if n < 0:
            raise _RefusedError(f"{where}: multiplier of {name} is negative ({n})")
        terms, sense, bound, row_den = row
        sign = 1 if sense == ">=" else -1
        need += sign * n * bound
        if sign > 0:
            placed += n * bound
        for k, w in terms:
            coef[k] += Fraction(sign * n * w, row_den)
    allow = Fraction(0)
    for name, pair in facts.pairs.items():
        c = coef.get(name, Fraction(0)) + budget.get(pair.lot, 0)
        lo, hi = boxes.get(name, (pair.lo, pair.hi))
        allow += c * facts.pence(pair, hi if c > 0 else lo)
    return need / den, allow / den, placed / den


def _infeasible_words(cert: Certificate, need: Fraction, allow: Fraction) -> str:
    assert cert.farkas is not None
    names = sorted(cert.farkas.multipliers)
    budgets = [n[7:] for n in names if n.startswith("budget:")]
    others = [n for n in names if not n.startswith("budget:")]
    choice = cert.choice
    given = (
        f"Given the sub-contract choice ({len(choice.made)} made with the minimum award, "
        f"{len(choice.closed)} not made), "
        if choice.made or choice.closed
        else ""
    )
    what = f"lot(s) {', '.join(budgets)}" if budgets else "no lot budget"
    caps = f" with {', '.join(others[:8])}{' …' if len(others) > 8 else ''}" if others else ""
    return (
        f"{given}no allocation exists: combining the budgets of {what}{caps}, the conditions "
        f"need £{float(need) / 100:,.2f} placed, but the capacities, floors and caps allow at most "
        f"£{float(allow) / 100:,.2f}."
    )


# -- the proof tree ------------------------------------------------------------------------------

#: A pair's box narrowed by the splits above a node: least and largest award, lot's quantity.
_Boxes = dict[str, tuple[int, int]]


def _check_tree(problem: Problem, allocation: Allocation, cert: Certificate) -> CertificateCheck:
    """A proof tree: exhaustive splits from every award's ``[0, capacity]``, every leaf proved.

    The root's boxes hold every allocation in whole pence (units), whatever sub-contracts are
    made.  A split's two cases are computed here from its pair, kind and integer: ``integer``
    (at most ``at``, at least ``at + 1``) is exhaustive because awards are whole numbers of the
    lot's quantity; ``subcontract`` (0, or at least ``at``) only when ``at`` is at most the
    minimum award in the lot's quantity, derived from the policy (a penny or a unit without
    one).  So the leaves' boxes together hold every allocation; each leaf is proved by an empty
    box or by its combination, computed with its boxes exactly.  Every node is reached once.
    """
    nodes = cert.proof
    assert nodes is not None
    if allocation.status.is_ok:
        raise _RefusedError("an infeasibility certificate on an allocation that was found")
    if cert.farkas is not None or cert.stages or cert.rounding:
        raise _RefusedError("a proof tree with a combination, stages or rounding besides it")
    if cert.choice.made or cert.choice.closed:
        raise _RefusedError("a proof tree covers every sub-contract choice but states one")
    if not nodes:
        raise _RefusedError("proof: the tree has no node")
    facts = _Facts(problem, allocation)
    rows = _Rows(facts)
    seen = [False] * len(nodes)
    seen[0] = True
    stack: list[tuple[int, _Boxes]] = [(0, {})]
    leaves = 0
    while stack:
        n, boxes = stack.pop()
        node, where = nodes[n], f"proof node {n}"
        if node.branch is None:
            leaves += 1
            _check_leaf(facts, rows, node, where, boxes)
            continue
        if node.farkas is not None or len(node.children) != 2:
            raise _RefusedError(
                f"{where}: a split has two cases and no combination, not {len(node.children)} "
                f"case(s){' and a combination' if node.farkas is not None else ''}"
            )
        for child, narrowed in zip(node.children, _cases(facts, node, where, boxes), strict=True):
            if not 0 <= child < len(nodes) or seen[child]:
                raise _RefusedError(f"{where}: case {child} is no node, or is reached twice")
            seen[child] = True
            stack.append((child, narrowed))
    unreached = [str(n) for n, s in enumerate(seen) if not s]
    if unreached:
        raise _RefusedError(f"proof: node(s) {', '.join(unreached[:5])} are not in the tree")
    return CertificateCheck(
        ok=True,
        kind=cert.kind,
        proved=(
            "No allocation in whole pence and whole units exists, whatever sub-contracts are "
            f"made: checked over {leaves} case(s) of a proof tree of {len(nodes)} node(s), whose "
            "splits (whole pence or units, a sub-contract made with the minimum award or not) "
            "cover every allocation; in each case the conditions, added up with its multipliers, "
            "need more money placed than the capacities, floors and caps allow, a box is empty, "
            "or an area is left fewer members able to provide than it needs."
        ),
        rounding="No allocation exists, so nothing is rounded.",
    )


def _check_short(facts: _Facts, area: str, where: str, boxes: _Boxes) -> None:
    """An area the boxes leave fewer members able to provide in than the policy needs.

    A provider is a member with an award in the area (:func:`allocate.verify`); an award is at
    least a made sub-contract's least (the minimum award, or a penny or a unit), so a member can
    provide only where some box of its reaches that.  The area needs ``min(k, members whose
    capacity reaches it)``: no more than :func:`allocate.verify` asks, so the count proves it.
    """
    k = facts.problem.policy.min_providers_per_area
    if k is None:
        raise _RefusedError(f"{where}: counts providers in {area!r}, but the policy needs none")
    lots = [lot for lot in facts.lots if lot.lot.area == area]
    if not lots:
        raise _RefusedError(f"{where}: {area!r} is the area of no lot")
    able: set[str] = set()
    can: set[str] = set()
    for lot in lots:
        least = facts.floor(lot)
        for name in lot.pairs:
            pair = facts.pairs[name]
            if pair.claim >= least:
                able.add(pair.member)
                if boxes.get(name, (0, pair.claim))[1] >= least:
                    can.add(pair.member)
    need = min(k, len(able))
    if len(can) >= need:
        raise _RefusedError(
            f"{where}: the case's boxes leave {len(can)} member(s) able to provide in {area}, "
            f"which needs {need}: no contradiction"
        )


def _cases(facts: _Facts, node: ProofNode, where: str, boxes: _Boxes) -> tuple[_Boxes, _Boxes]:
    """The boxes of a split's two cases, derived from the pair, the kind and the integer."""
    branch = node.branch
    assert branch is not None
    name = f"{branch.member}:{branch.lot}"
    pair = facts.pairs.get(name)
    if pair is None:
        raise _RefusedError(f"{where}: {name} is not an eligible pair")
    at = _integer(branch.at, f"{where} split of {name}")
    lo, hi = boxes.get(name, (0, pair.claim))
    if branch.kind == "integer":
        low, high = (lo, min(hi, at)), (max(lo, at + 1), hi)
    else:
        least = facts.floor(facts.lots[pair.lot])
        if at > least:
            raise _RefusedError(
                f"{where}: {name} split into 0 or at least {at} misses the awards from 1 to "
                f"{at - 1}, which the minimum award ({least} in the lot's quantity) allows"
            )
        low, high = (lo, min(hi, 0)), (max(lo, at), hi)
    return {**boxes, name: low}, {**boxes, name: high}


def _check_leaf(facts: _Facts, rows: _Rows, node: ProofNode, where: str, boxes: _Boxes) -> None:
    """A leaf is proved by an empty box, by counting providers, or by its combination."""
    if node.children:
        raise _RefusedError(f"{where}: a leaf with cases")
    if any(lo > hi for lo, hi in boxes.values()):
        return
    if node.providers is not None:
        _check_short(facts, node.providers, where, boxes)
        return
    if node.farkas is None:
        raise _RefusedError(f"{where}: a leaf with no combination and no empty box")
    full = {name: boxes.get(name, (0, pair.claim)) for name, pair in facts.pairs.items()}
    need, allow, _ = _combination(facts, rows, node.farkas, where, full)
    if not allow < need:
        raise _RefusedError(
            f"{where}: the combination needs {float(need) / 100:,.2f} pounds and the case's "
            f"boxes allow {float(allow) / 100:,.2f}: no contradiction"
        )
