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
:math:`U_k` computed exactly; each claimant frozen at the level has a positive ratio multiplier,
each frozen at its capacity (floor) a positive (negative) reduced cost; each such slack bound
within one penny (one unit on a unit-priced lot); the allocation gives every claimant within one
penny (one unit) of its certified award; every claimant is frozen by the last stage.  With it, the
allocation satisfies every condition (:func:`allocate.checks.verify.verify`), and its
sub-contracts are those the certificate's choice states.
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
from allocate.core.certificate import Certificate, CertificateStage
from allocate.core.families import CASH_FLOW
from allocate.core.model import ClientGroup, Lot, Problem, Rule
from allocate.core.outcome import Allocation, Award
from allocate.core.rules import level_share, lot_shares

__all__ = ["CertificateCheck", "check_certificate"]

_HUNDRED = Decimal(100)


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
    """One eligible (member, lot) pair, in pence (exact) unless said otherwise."""

    member: str
    lot: int
    """Index into :attr:`_Facts.lots`."""
    hi: Fraction
    lo: Fraction
    phi: Fraction
    """Fair share, in pence."""
    award: Fraction
    """The allocation's award, in pence (units × the pence a unit carries, on unit-priced lots)."""
    claim: int = 0
    """The member's claim (capacity) in the lot's quantity: pence, or units."""
    made: bool = False
    closed: bool = False


@dataclass(slots=True)
class _Lot:
    lot: Lot
    contract: str
    pot: int
    """The member pot: value less the top-slice, pence."""
    units: int | None
    unit: Fraction
    """Pence a quantity carries: 1, or the pot over the units."""
    pairs: list[str] = field(default_factory=list)


class _Facts:
    """Eligible pairs, capacities, member pots and fair shares, from the problem alone."""

    def __init__(self, problem: Problem, allocation: Allocation) -> None:
        self.problem = problem
        self.index = _Index(problem)
        top = {lid: ts for c in allocation.contracts for lid, ts in c.lot_top_slices.items()}
        got = {(a.member, a.lot): a for a in allocation.awards}
        self.windows: dict[str, int] = {}
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
        members = sorted(self.index.eligible_set(lot))
        claims_of = self.index.claims(lot)
        claims = [claims_of[m] for m in members]
        estate = units if units is not None else pot
        shares = self._shares(estate, claims, members)
        for n, (m, claim) in enumerate(zip(members, claims, strict=True)):
            award = got.get((m, lot.id))
            if award is None:
                amount = Fraction(0)
            elif units is not None:
                amount = (award.units or 0) * unit
            else:
                amount = Fraction(int(award.amount * _HUNDRED))
            phi = shares[n] * unit if shares is not None else Fraction(0)
            name = f"{m}:{lot.id}"
            if name in self.pairs:
                raise _RefusedError(f"pair name {name!r} is ambiguous (ids containing ':')")
            self.pairs[name] = _Pair(m, j, claim * unit, Fraction(0), phi, amount, claim)
            entry.pairs.append(name)

    def _shares(self, estate: int, claims: list[int], members: list[str]) -> list[Fraction] | None:
        if not members or estate > sum(claims):
            return None
        rule = self.problem.policy.rule
        factors = [self.factor(m) for m in members] if rule.is_weighted else None
        s = lot_shares(rule.value, estate, claims, factors)
        return [Fraction(n, s.denominator) for n in s.numerators]

    def factor(self, member: str) -> Fraction:
        """The member's score weighting the weighted rules (a missing one counts 1)."""
        raw = getattr(self.problem.member_index[member], self.problem.policy.weight_factor.value)
        return Fraction(repr(raw if raw is not None else 1.0))

    def floor(self, lot: _Lot) -> Fraction:
        """A made sub-contract's least award, in pence: the minimum award (or a penny, a unit)."""
        min_award = self.problem.policy.min_award
        pence = int(min_award * _HUNDRED) if min_award else 1
        if lot.units is None:
            return Fraction(pence)
        units = max(1, math.ceil(pence / lot.unit)) if pence > 0 else 1
        return units * lot.unit

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
        if cert.choice.made and policy.min_award is None and policy.min_providers_per_area is None:
            out.append("choice: sub-contracts made with a floor, but the policy sets no minimum")
        for refs, closed in ((cert.choice.made, False), (cert.choice.closed, True)):
            for ref in refs:
                name = f"{ref.member}:{ref.lot}"
                pair = self.pairs.get(name)
                if pair is None:
                    out.append(f"choice: {name} is not an eligible pair")
                    continue
                if closed:
                    pair.closed, pair.hi = True, Fraction(0)
                else:
                    pair.made, pair.lo = True, min(self.floor(self.lots[pair.lot]), pair.hi)
        for name, pair in self.pairs.items() if awards else ():
            if not pair.lo <= pair.award <= pair.hi:
                out.append(
                    f"choice: {name} receives {float(pair.award) / 100:,.2f} pounds, outside "
                    f"[{float(pair.lo) / 100:,.2f}, {float(pair.hi) / 100:,.2f}] as the choice "
                    "and its capacity allow"
                )
        return out

    def claimants(self) -> set[str]:
        """Pairs with a positive fair share whose sub-contract may be made."""
        return {n for n, p in self.pairs.items() if p.phi > 0 and p.hi > 0}

    def window(self, pair: _Pair) -> Fraction:
        """How far rounding may have moved an award, in pence.

        A penny or a unit, or the wider window the certificate declares for the lot.
        """
        lot = self.lots[pair.lot]
        return self.tolerance(pair) * max(1, self.windows.get(lot.lot.id, 1))

    def tolerance(self, pair: _Pair) -> Fraction:
        """What rounding may move an award: a penny, or a unit's pence."""
        lot = self.lots[pair.lot]
        return lot.unit if lot.units is not None else Fraction(1)


# -- the side-constraint rows, by name, in pence ------------------------------------------------

#: A row: its terms (pair name, weight on the award in pence), sense and bound (pence).
_Row = tuple[list[tuple[str, Fraction]], str, Fraction]
_ONE = Fraction(1)


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
        self._cash: cashflow.CashFlowTiming | None = None

    def get(self, name: str) -> _Row | None:
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
                bound = Fraction(math.floor(share * self.pot_of[contract]))
                yield (
                    f"max_member_share:{member}:{contract}",
                    ([(k, _ONE) for k in mine], "<=", bound),
                )
            bound = Fraction(math.floor(share * total))
            yield f"max_member_share:{member}:portfolio", ([(k, _ONE) for k in pairs], "<=", bound)

    def _max_dependency(self) -> Iterable[tuple[str, _Row]]:
        value = self.problem.policy.max_dependency
        if value is None:
            return
        for member, pairs in self.by_member.items():
            income = Fraction(self.problem.member_index[member].annual_income) * 100
            bound = Fraction(math.floor(Fraction(value) * income))
            yield f"max_dependency:{member}", ([(k, _ONE) for k in pairs], "<=", bound)

    def _small_org_share(self) -> Iterable[tuple[str, _Row]]:
        policy = self.problem.policy
        if policy.small_org_share is None:
            return
        share, bands = Fraction(policy.small_org_share), set(policy.small_org_bands)
        for contract in self.problem.contracts:
            terms = [
                (k, _ONE)
                for k, pair in self.facts.pairs.items()
                if self.facts.lots[pair.lot].contract == contract.id
                and self.problem.member_index[pair.member].size_band in bands
            ]
            bound = Fraction(math.ceil(share * self.pot_of[contract.id]))
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
                    ([(k, hard_of[k] - r - tol) for k in mine], "<=", Fraction(0)),
                )
                yield (
                    f"case_mix:{member}:{key}:min",
                    ([(k, hard_of[k] - r + tol) for k in mine], ">=", Fraction(0)),
                )

    def _pooled_capacity(self) -> Iterable[tuple[str, _Row]]:
        pools = [c for c in self.problem.capacities if c.lot is None]
        for n, cap in enumerate(pools):
            assert cap.amount is not None  # validated: pools are money
            terms = [
                (k, _ONE)
                for k in self.by_member.get(cap.member, [])
                if (cap.theme is None or self._lot(k).lot.theme == cap.theme)
                and (cap.area is None or self._lot(k).lot.area == cap.area)
            ]
            bound = Fraction(int(cap.amount * _HUNDRED))
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
        terms = []
        for k in self.by_member.get(member_id, []):
            lot = self._lot(k)
            contract = self.problem.lot_index[lot.lot.id][0]
            kappa, _ = cashflow.cost_ratio(self._costs, member_id, lot.lot, lot.pot)
            terms.append((k, cashflow.need_coefficients(self._cash, contract, member, kappa)[t]))
        bound = Fraction(math.floor(Fraction(share) * Fraction(member.reserves) * 100))
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
class _Stages:
    """The progressive filling's stages checked in order: who is frozen, at what award."""

    facts: _Facts
    rows: _Rows
    rising: set[str]
    failures: list[str]
    value: dict[str, Fraction] = field(default_factory=dict)
    """The certified award of each claimant frozen so far, pence."""
    level: Fraction = Fraction(0)
    largest: Fraction = Fraction(0)
    rounded: Fraction = Fraction(0)
    """The largest distance of an award from its certified value, in pence (units)."""
    top: Fraction = Fraction(0)
    """An upper bound on any level: the largest capacity over fair share."""

    def __post_init__(self) -> None:
        pairs = self.facts.pairs
        self.top = max((pairs[c].hi / pairs[c].phi for c in self.rising), default=Fraction(1))
        self.sums: dict[int, tuple[Fraction, Fraction]] = {}
        for j, lot in enumerate(self.facts.lots):
            self.sums[j] = (
                sum((pairs[k].lo for k in lot.pairs), Fraction(0)),
                sum((pairs[k].hi for k in lot.pairs), Fraction(0)),
            )

    def check(self, n: int, stage: CertificateStage) -> None:
        where = f"stage {n}"
        t = _fraction(stage.level, f"{where} level")
        if t < self.level:
            raise _RefusedError(f"{where}: level {t} below the previous stage's {self.level}")
        self.level = t
        den = _integer(stage.denominator, f"{where} denominator")
        if den <= 0:
            raise _RefusedError(f"{where}: denominator {den} is not positive")
        bound, d, ratio, budget = self._bound(where, stage, den)
        gap = max(bound / den - t, Fraction(0))
        for f in stage.frozen:
            name = f"{f.member}:{f.lot}"
            if name not in self.rising:
                raise _RefusedError(f"{where}: {name} is frozen but is no claimant still rising")
            pair = self.facts.pairs[name]
            if f.at == "level":
                weight = Fraction(ratio.get(name, 0))
                value = pair.phi * t
            elif pair.lo == pair.hi:
                weight, value = Fraction(0), pair.hi  # a fixed award: nothing can move it
            else:
                weight = d.get(name, Fraction(0)) - budget.get(pair.lot, 0)
                weight = weight if f.at == "capacity" else -weight
                value = pair.hi if f.at == "capacity" else pair.lo
            fixed = f.at != "level" and pair.lo == pair.hi
            if weight <= 0 and not fixed:
                raise _RefusedError(
                    f"{where}: {name} is frozen at its {f.at} but no multiplier holds it there"
                )
            slack = Fraction(0) if fixed else gap * den / weight
            self.largest = max(self.largest, slack)
            tol = self.facts.tolerance(pair)
            if slack > tol:
                self.failures.append(
                    f"{where}: {name} is held at its {f.at} only to within "
                    f"{float(slack):.4g} pence (more than {float(tol):.4g})"
                )
            off = abs(pair.award - value)
            self.rounded = max(self.rounded, off / tol)
            if off > self.facts.window(pair):
                self.failures.append(
                    f"{where}: {name} receives {float(pair.award):.2f} pence, not within "
                    f"{float(self.facts.window(pair)):.4g} of its certified {float(value):.4f}"
                )
            self.value[name] = value
        self.rising -= {f"{f.member}:{f.lot}" for f in stage.frozen}

    def _bound(
        self, where: str, stage: CertificateStage, den: int
    ) -> tuple[Fraction, dict[str, Fraction], dict[str, int], dict[int, int]]:
        """``U × den`` exactly; each touched pair's reduced cost × den; ratio, budget numerators."""
        facts = self.facts
        const = Fraction(0)
        dt = Fraction(den)
        d: dict[str, Fraction] = defaultdict(Fraction)
        ratio: dict[str, int] = {}
        budget: dict[int, int] = {}
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
            if kind == "ratio" and rest in facts.pairs:
                if rest not in self.rising:
                    raise _RefusedError(f"{where}: {rest} has a ratio row but is frozen already")
                ratio[rest] = n
                d[rest] += n
                dt -= n * facts.pairs[rest].phi
            elif kind == "hold" and rest in facts.pairs:
                if rest not in self.value:
                    raise _RefusedError(f"{where}: {rest} is held but was never frozen")
                d[rest] += n
                const -= n * self.value[rest]
            elif (row := self.rows.get(name)) is not None:
                terms, sense, b = row
                sign = 1 if sense == ">=" else -1
                const -= sign * n * b
                for k, w in terms:
                    d[k] += sign * n * w
            else:
                raise _RefusedError(f"{where}: {name!r} is no condition of this problem")
        box = Fraction(0)
        touched: dict[int, list[str]] = defaultdict(list)
        pairs = facts.pairs
        for k, dk in d.items():
            pair = pairs[k]
            touched[pair.lot].append(k)
            full = dk - budget.get(pair.lot, 0)
            box += full * (pair.hi if full > 0 else pair.lo)
        for j, n in budget.items():
            # the lot's other pairs have reduced cost −n: at their floor or capacity
            lo, hi = self.sums[j]
            others = hi if n < 0 else lo
            others -= sum(
                ((pairs[k].hi if n < 0 else pairs[k].lo) for k in touched[j]), Fraction(0)
            )
            box += -n * others
        if dt > 0:
            box += dt * self.top
        return const + box, d, ratio, budget


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
        f"solution{wider}; the largest distance found is {float(stages.rounded):.4g} penny "
        f"(unit).  An allocation at least as fair could differ from the certified solution by at "
        f"most {float(stages.largest):.4g} pence for any frozen member."
    )


def check_certificate(problem: Problem, allocation: Allocation) -> CertificateCheck:
    """Verify the allocation's certificate in exact rational arithmetic, without a solver.

    Every condition is derived from ``problem`` alone; the certificate gives only levels, who is
    frozen when, the sub-contract choice and the multipliers (see ``docs/certificates.md``).

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
    if problem.tendered:
        return _refused(cert.kind, ["sub-tendered lots are not covered by certificates"])
    try:
        if cert.kind == "infeasible":
            return _check_infeasible(problem, allocation, cert)
        return _check_optimal(problem, allocation, cert)
    except _RefusedError as refused:
        return _refused(cert.kind, [str(refused)])


def _refused(kind: str | None, failures: list[str]) -> CertificateCheck:
    return CertificateCheck(ok=False, kind=kind, proved="", rounding="", failures=failures)


def _check_optimal(problem: Problem, allocation: Allocation, cert: Certificate) -> CertificateCheck:
    if not allocation.status.is_ok:
        raise _RefusedError(
            f"a {cert.kind} certificate on an allocation of status {allocation.status.value}"
        )
    failures = [f"{c.name}: {c.detail}" for c in verify(problem, allocation) if not c.passed]
    facts = _Facts(problem, allocation)
    failures += facts.apply_choice(cert)
    claimants = facts.claimants()
    stages = _Stages(facts, _Rows(facts), set(claimants), failures)
    for n, stage in enumerate(cert.stages, 1):
        stages.check(n, stage)
    if stages.rising:
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
        proved=_proved(cert, len(claimants), stages),
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
        shares = [p.phi / lot.unit for p in pairs]
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
    if allocation.status.is_ok:
        raise _RefusedError("an infeasibility certificate on an allocation that was found")
    facts = _Facts(problem, allocation)
    failures = [
        f
        for f in facts.apply_choice(cert)
        if not f.startswith(("choice: ", "rounding")) or "outside" not in f
    ]
    rows = _Rows(facts)
    den = _integer(farkas.denominator, "farkas denominator")
    if den <= 0:
        raise _RefusedError(f"farkas: denominator {den} is not positive")
    need = Fraction(0)
    coef: dict[str, Fraction] = defaultdict(Fraction)
    budget: dict[int, int] = {}
    for name, text in farkas.multipliers.items():
        n = _integer(text, f"farkas multiplier {name}")
        kind, _, rest = name.partition(":")
        if kind == "budget" and rest in facts.lot_pos:
            j = facts.lot_pos[rest]
            budget[j] = n
            need += n * facts.lots[j].pot
            continue
        row = rows.get(name)
        if row is None:
            raise _RefusedError(f"farkas: {name!r} is no condition of this problem")
        if n < 0:
            raise _RefusedError(f"farkas: multiplier of {name} is negative ({n})")
        terms, sense, bound = row
        sign = 1 if sense == ">=" else -1
        need += sign * n * bound
        for k, w in terms:
            coef[k] += sign * n * w
    allow = Fraction(0)
    for name, pair in facts.pairs.items():
        c = coef.get(name, Fraction(0)) + budget.get(pair.lot, 0)
        allow += c * (pair.hi if c > 0 else pair.lo)
    need, allow = need / den, allow / den
    if not allow < need:
        failures.append(
            f"farkas: the combination needs {float(need) / 100:,.2f} pounds and the boxes allow "
            f"{float(allow) / 100:,.2f}: no contradiction"
        )
    for label, stated, found in (("need", farkas.need, need), ("allow", farkas.allow, allow)):
        if _fraction(stated, f"farkas {label}") != found:
            failures.append(f"farkas: {label} stated {stated}, the conditions give {_text(found)}")
    if failures:
        return CertificateCheck(ok=False, kind=cert.kind, proved="", rounding="", failures=failures)
    return CertificateCheck(
        ok=True,
        kind=cert.kind,
        proved=_infeasible_words(cert, need, allow),
        rounding="No allocation exists, so nothing is rounded.",
    )


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
