r"""The optimality certificate: the engine's stage duals, or the closed form, as exact numbers.

A stage of the progressive filling maximises the level :math:`t` over the awards :math:`x` (in
pence) subject to named conditions; any non-negative multipliers :math:`\lambda` on them give an
upper bound on :math:`t` (the Neumaier–Shcherbina bound, see ``docs/certificates.md``), valid
whatever the multipliers are, so the solver's floating duals can be rounded to rationals and
stay a proof.  This module turns each stage's duals (:class:`~allocate.pipeline.plan.StageDuals`,
on rows in fractions of each lot's value) into multipliers on the same conditions written in
pence, integers over a power of two, and names them as the checker
(:mod:`allocate.checks.certificate`) derives them from the problem.

Conditions and their orientation (the sign of a multiplier):

* ``budget:<lot>``: the awards on the lot add up to its member pot (signed);
* ``ratio:<member>:<lot>``: award ≥ fair share × level, for a claimant still rising (≥ 0);
* ``hold:<member>:<lot>``: award ≥ its certified award, for a claimant frozen earlier (≥ 0);
* each side row by its name, in its own sense (≥ 0).

A closed form (and a lot of the programme no side row touches, which is solved as one) is one
exact stage per lot: multipliers ``1/pot`` on the budget and on every claimant's ratio row prove
level 1, since the fair shares add up to the pot.
"""

from __future__ import annotations

import math
from fractions import Fraction

from allocate.core.certificate import (
    Certificate,
    CertificateStage,
    Farkas,
    FrozenClaimant,
    HeldWinner,
    PairRef,
    SubcontractChoice,
    TenderedLot,
    WaterLevel,
)
from allocate.core.model import Rule
from allocate.core.money import format_money
from allocate.core.outcome import Status
from allocate.core.rules import rule_level
from allocate.pipeline.fair_shares import weight_factor
from allocate.pipeline.plan import (
    ElasticResult,
    LeximinResult,
    LotPlan,
    LpSpec,
    Plan,
    Rounded,
    StageDuals,
)

__all__ = [
    "closed_form_certificate",
    "farkas_combination",
    "farkas_multipliers",
    "farkas_words",
    "infeasibility_certificate",
    "leximin_certificate",
    "rounding_windows",
    "shortfall_certificate",
    "subcontract_choice",
    "tender_outcome",
]

#: Multipliers are integers over ``2**k``, the largest about ``2**MULTIPLIER_BITS``.
MULTIPLIER_BITS = 62

#: The claim of a leximin certificate, in words (the checker states what it proved itself).
LEXIMIN_CLAIM = (
    "Given the sub-contract choice stated, at every stage no allocation that keeps the members "
    "frozen at earlier stages at their certified awards can lift every member still rising above "
    "the stage's level: no member's award can rise above its share without lowering a member who "
    "is already worse off relative to its fair share."
)
CLOSED_FORM_CLAIM = (
    "Every member receives exactly its fair share under the rule (to the penny); the shares add "
    "up to each lot's member pot, so any other split leaves some member below its fair share."
)


def subcontract_choice(p: Plan) -> SubcontractChoice:
    """The sub-contracts made with a floor, and those not made, as the plan decided them."""
    ids = p.eligibility.member_ids
    made: list[PairRef] = []
    closed: list[PairRef] = []
    for lot in p.lots:
        for pos, i in enumerate(lot.members):
            ref = {"member": ids[i], "lot": lot.lot_id}
            if not lot.open[pos]:
                closed.append(PairRef.from_trusted(ref))
            elif lot.floor[pos] > 0:
                made.append(PairRef.from_trusted(ref))
    return SubcontractChoice.from_trusted({"made": made, "closed": closed})


def _rational(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _level(t: float) -> Fraction:
    """The level as a short rational when one lies within the solver's noise of it."""
    exact = Fraction(t)
    simple = exact.limit_denominator(10**6)
    return (
        simple
        if abs(simple - exact) <= Fraction(1, 10**12) * max(Fraction(1), abs(exact))
        else exact
    )


def _integers(values: dict[str, float]) -> tuple[int, dict[str, str]]:
    """Multipliers as integers over one power of two (the largest near 2**MULTIPLIER_BITS)."""
    largest = max((abs(v) for v in values.values()), default=0.0)
    if largest == 0.0 or not math.isfinite(largest):
        return 1, {}
    shift = max(0, MULTIPLIER_BITS - math.frexp(largest)[1])
    den = 1 << shift
    out = {}
    for name, v in values.items():
        n = round(math.ldexp(v, shift))
        if n != 0:
            out[name] = str(n)
    return den, out


class _Names:
    """Condition names of the plan's pairs and lots, and each lot's value in pence."""

    def __init__(self, p: Plan, spec: LpSpec) -> None:
        self.pairs = list(spec.pair_names)
        self.lot_ids = [lot.lot_id for lot in p.lots]
        self.value = [lot.value for lot in p.lots]
        self.pair_lot = list(spec.pair_lot)
        ids = p.eligibility.member_ids
        self.member = [ids[i] for i in p.pair_member]
        self.side = {row.name: row for row in spec.side_rows}

    def frozen(self, k: int, at: str) -> FrozenClaimant:
        return FrozenClaimant.from_trusted(
            {"member": self.member[k], "lot": self.lot_ids[self.pair_lot[k]], "at": at}
        )


def _stage(names: _Names, stage: StageDuals, level: Fraction) -> CertificateStage:
    """One engine stage as multipliers on pence rows (duals over each row's pence per unit)."""
    raw: dict[str, float] = {}
    for j, dual in stage.budget.items():
        raw[f"budget:{names.lot_ids[j]}"] = dual / names.value[j]
    for prefix, duals in (("ratio", stage.ratio), ("hold", stage.hold)):
        for k, dual in duals.items():
            # a ≥ row's multiplier is minus the maximisation's dual; clipped at 0
            value = -dual / names.value[names.pair_lot[k]]
            if value > 0:
                raw[f"{prefix}:{names.pairs[k]}"] = value
    for name, dual in stage.side.items():
        row = names.side[name]
        value = (-dual if row.sense == ">=" else dual) / row.scale
        if value > 0 or row.sense == "==":
            raw[name] = value
    den, multipliers = _integers(raw)
    frozen = [names.frozen(k, "level") for k in stage.at_level]
    frozen += [names.frozen(k, at) for k, at in sorted(stage.at_bound.items())]
    return CertificateStage.from_trusted(
        {
            "level": _rational(level),
            "frozen": frozen,
            "denominator": str(den),
            "multipliers": multipliers,
        }
    )


def _exact_stage(p: Plan, lot: LotPlan) -> CertificateStage | None:
    """A lot at its fair shares, proved at level 1: ``1/pot`` on its budget and every ratio row."""
    ids = p.eligibility.member_ids
    if lot.fair is None or lot.pot <= 0:
        return None
    claimants = [
        pos
        for pos, n in enumerate(lot.fair.numerators)
        if n > 0 and lot.open[pos] and lot.claims[pos] > 0
    ]
    if not claimants:
        return None
    multipliers = {f"budget:{lot.lot_id}": "1"}
    frozen = []
    for pos in claimants:
        member = ids[lot.members[pos]]
        multipliers[f"ratio:{member}:{lot.lot_id}"] = "1"
        frozen.append(
            FrozenClaimant.from_trusted({"member": member, "lot": lot.lot_id, "at": "level"})
        )
    return CertificateStage.from_trusted(
        {"level": "1", "frozen": frozen, "denominator": str(lot.pot), "multipliers": multipliers}
    )


def rounding_windows(p: Plan, res: LeximinResult, awards: dict[int, Rounded]) -> dict[str, int]:
    """Lots where rounding moved an award more than a penny (unit) from the programme's answer.

    The exact repair widens its window only when no whole allocation within one penny (unit)
    keeps every side row; the window declared is what it moved, rounded up, with a thousandth of
    a penny (unit) for the solver's noise.
    """
    out: dict[str, int] = {}
    for k, (j, pos) in enumerate(zip(p.pair_lot, p.pair_pos, strict=True)):
        lot, rounded = p.lots[j], awards.get(j)
        if rounded is None:
            continue
        exact = res.pair_values[k] * lot.value / float(lot.unit_value)
        whole = rounded.units[pos] if rounded.units is not None else rounded.pence[pos]
        wide = math.ceil(abs(whole - exact) + 1e-3)
        if wide > 1:
            out[lot.lot_id] = max(out.get(lot.lot_id, 1), wide)
    return out


def leximin_certificate(
    p: Plan, spec: LpSpec, res: LeximinResult, awards: dict[int, Rounded]
) -> Certificate | None:
    """The certificate of a programme the engine solved, or None.

    None where a sub-tendered lot's pass-down did not end best-ranked first: the checker would
    refuse a certificate of it.  A programme solved without its stages' duals (the engine then
    settles claimants its stages' optimal faces pin down, with no stage of their own) is solved
    once more stage by stage, keeping them (``res.again``); None if that solve fails.
    """
    if res.again is not None:
        res = res.again()
        if res.status is not Status.OPTIMAL:
            return None
    if not _follows_tenders(p, spec, res, awards):
        return None
    names = _Names(p, spec)
    staged: list[tuple[Fraction, int, CertificateStage]] = []
    frozen_lots: set[int] = set()
    last: dict[int, Fraction] = {}
    for n, stage in enumerate(res.stage_duals):
        # a group's levels never fall (each stage's answer is feasible for the next): noise
        # below the solver's tolerance is not allowed to reorder them
        level = max(_level(stage.level), last.get(stage.group, Fraction(0)))
        last[stage.group] = level
        staged.append((level, n, _stage(names, stage, level)))
        frozen_lots.update(spec.pair_lot[k] for k in (*stage.at_level, *stage.at_bound))
    for lot in p.lots:
        if lot.index not in frozen_lots and (exact := _exact_stage(p, lot)) is not None:
            staged.append((Fraction(1), len(staged), exact))
    staged.sort(key=lambda s: (s[0], s[1]))
    return Certificate.from_trusted(
        {
            "kind": "leximin",
            "claim": LEXIMIN_CLAIM,
            "choice": subcontract_choice(p),
            "stages": [s for _, _, s in staged],
            "water_levels": [],
            "rounding": rounding_windows(p, res, awards),
            "farkas": None,
            "proof": None,
            "tender": tender_outcome(p, spec, awards),
        }
    )


def _follows_tenders(p: Plan, spec: LpSpec, res: LeximinResult, awards: dict[int, Rounded]) -> bool:
    """Whether every sub-tendered lot's awards are its competition's split, within rounding.

    And every held bid's level still kept by a condition at the final allocation.  Not always
    so: after a programme eased by a penny (its rows conflicted only within the solver's
    tolerance) the engine does not pass work down the ranking, and a bid held in an earlier round
    stays held when the other lots move.  Then no certificate is made rather than one the checker
    refuses.
    """
    wide = rounding_windows(p, res, awards)
    for j in p.tenders:
        lot, rounded = p.lots[j], awards.get(j)
        if lot.fair is None or rounded is None:
            return False
        window = wide.get(lot.lot_id, 1)
        whole = rounded.units if rounded.units is not None else rounded.pence
        for pos, got in enumerate(whole):
            target = lot.fair_share(pos)
            if abs(got - target) > window + target / 10**9:
                return False
        # a held level still kept by a condition at the end (not only in an earlier round)
        for m, level in p.tender_limits.get(j, {}).items():
            most, _ = _holding(p, spec, awards, j, m)
            if most is None or most > (level + window) * lot.unit_value:
                return False
    return True


def closed_form_certificate(p: Plan) -> Certificate | None:
    """The closed form's certificate: one exact stage and the water level of every lot."""
    stages = [s for lot in p.lots if (s := _exact_stage(p, lot)) is not None]
    levels = [w for lot in p.lots if (w := water_level(p, lot)) is not None]
    return Certificate.from_trusted(
        {
            "kind": "closed_form",
            "claim": CLOSED_FORM_CLAIM,
            "choice": subcontract_choice(p),
            "stages": stages,
            "water_levels": levels,
            "rounding": {},
            "farkas": None,
            "proof": None,
            "tender": tender_outcome(p, None, None),
        }
    )


def water_level(p: Plan, lot: LotPlan) -> WaterLevel | None:
    """The rule's level on a lot (:func:`allocate.core.rules.rule_level`), None without one.

    None on a sub-tendered lot: its shares are the competition's, not the rule's.
    """
    if lot.fair is None or not lot.members or lot.index in p.tenders:
        return None
    rule = p.problem.policy.rule
    claims = [Fraction(c) for c in lot.claims]
    if rule in (Rule.PROPORTIONAL,):
        weights = claims
    elif rule is Rule.WEIGHTED_PROPORTIONAL:
        weights = [
            c * weight_factor(p.problem, i) for c, i in zip(claims, lot.members, strict=True)
        ]
    elif rule is Rule.WEIGHTED_CONSTRAINED_EQUAL_AWARDS:
        weights = [weight_factor(p.problem, i) for i in lot.members]
    else:
        weights = [Fraction(1)] * len(claims)
    shares = [Fraction(n, lot.fair.denominator) for n in lot.fair.numerators]
    found = rule_level(rule.value, Fraction(lot.estate), claims, weights, shares)
    if found is None:
        return None
    level, capped = found
    ids = p.eligibility.member_ids
    return WaterLevel.from_trusted(
        {
            "lot": lot.lot_id,
            "level": _rational(level),
            "capped": sorted(ids[lot.members[pos]] for pos in capped),
        }
    )


# -- sub-tendered lots ----------------------------------------------------------------------


def tender_outcome(
    p: Plan, spec: LpSpec | None, awards: dict[int, Rounded] | None
) -> list[TenderedLot]:
    """Each sub-tendered lot's winners in rank order and its held bids, with what held each.

    A held bid's condition is the side row (or the lot's budget) that, with the rounded awards on
    the other lots and the boxes of the lot's other pairs, allows it the least on the lot; the
    checker recomputes that bound exactly and compares it with the level.
    """
    out: list[TenderedLot] = []
    for j, result in sorted(p.tenders.items()):
        limits = p.tender_limits.get(j, {})
        lot = p.lots[j]
        ids = p.eligibility.member_ids
        floors = {ids[i]: lot.floor[pos] for pos, i in enumerate(lot.members)}
        held = [
            HeldWinner.from_trusted(
                {
                    "member": m,
                    "level": level,
                    "floor": floors.get(m, 0),
                    "condition": _holding(p, spec, awards, j, m)[1],
                }
            )
            for m, level in sorted(limits.items())
        ]
        out.append(
            TenderedLot.from_trusted(
                {"lot": p.lots[j].lot_id, "winners": list(result.winners), "held": held}
            )
        )
    return out


def _holding(
    p: Plan, spec: LpSpec | None, awards: dict[int, Rounded] | None, j: int, member: str
) -> tuple[Fraction | None, str]:
    """The condition allowing ``member`` the least on lot ``j`` (a side row, or the budget).

    With the most it allows, in pence; (None, "") without the programme (a closed form holds no
    bid back).
    """
    if spec is None or awards is None:
        return None, ""
    ids = p.eligibility.member_ids
    k = next(
        (
            k
            for k, (jj, i) in enumerate(zip(p.pair_lot, p.pair_member, strict=True))
            if jj == j and ids[i] == member
        ),
        None,
    )
    if k is None:
        return None, ""
    lo, hi = _boxes(p)

    def pence(i: int) -> Fraction:
        rounded = awards.get(p.pair_lot[i])
        if rounded is None:
            return Fraction(0)
        return Fraction(rounded.pence[p.pair_pos[i]])

    lot = p.lots[j]
    # the lot's budget: the pot less the least every other pair of the lot keeps
    budget = lot.pot - sum(
        (lo[i] for i, jj in enumerate(p.pair_lot) if jj == j and i != k), Fraction(0)
    )
    best: tuple[Fraction, str] = (budget, f"budget:{lot.lot_id}")
    for row in spec.side_rows:
        if row.sense == "==" or k not in row.weights:
            continue
        sign = 1 if row.sense == "<=" else -1
        own = sign * row.weights[k]
        if own <= 0:
            continue
        rest = sign * row.bound
        for i, w in row.weights.items():
            if i == k:
                continue
            c = sign * w
            if p.pair_lot[i] == j:
                rest -= min(c * lo[i], c * hi[i])
            else:
                rest -= c * pence(i)
        most = rest / own
        if most < best[0]:
            best = (most, row.name)
    return best


# -- infeasibility --------------------------------------------------------------------------

INFEASIBLE_CLAIM = (
    "Given the sub-contract choice stated, no allocation exists: the named conditions, added up "
    "with the multipliers given, need more money placed than the capacities, floors and caps "
    "allow."
)


#: Each pair's least and largest award in pence, by pair index.
Boxes = tuple[list[Fraction], list[Fraction]]


def _boxes(p: Plan) -> Boxes:
    """Each pair's least and largest award in pence under the plan's decisions."""
    lo: list[Fraction] = []
    hi: list[Fraction] = []
    for j, pos in zip(p.pair_lot, p.pair_pos, strict=True):
        lot = p.lots[j]
        if not lot.open[pos]:
            lo.append(Fraction(0))
            hi.append(Fraction(0))
            continue
        cap = lot.claims[pos] * lot.unit_value
        hi.append(cap)
        lo.append(min(lot.floor[pos] * lot.unit_value, cap))
    return lo, hi


def _farkas(
    p: Plan, spec: LpSpec | None, nu: dict[str, Fraction], boxes: Boxes
) -> tuple[Fraction, Fraction, Fraction]:
    """What the combination ``Σ ν·row`` (each row as ``≥``) needs, and the most the boxes allow.

    Also the part of the need its budgets and ``≥`` rows make: the money that must be placed.
    """
    lo, hi = boxes
    coef: dict[int, Fraction] = {}
    need = placed = Fraction(0)
    lot_of = {lot.lot_id: lot for lot in p.lots}
    by_lot: dict[int, list[int]] = {}
    for k, j in enumerate(p.pair_lot):
        by_lot.setdefault(j, []).append(k)
    side = {row.name: row for row in spec.side_rows} if spec is not None else {}
    for name, v in nu.items():
        if name.startswith("budget:") and name[7:] in lot_of:
            lot = lot_of[name[7:]]
            need += v * lot.pot
            placed += v * lot.pot
            for k in by_lot.get(lot.index, []):
                coef[k] = coef.get(k, Fraction(0)) + v
            continue
        row = side[name]
        sign = 1 if row.sense == ">=" else -1
        need += sign * v * row.bound
        if sign > 0:
            placed += v * row.bound
        for k, w in row.weights.items():
            coef[k] = coef.get(k, Fraction(0)) + sign * v * w
    allow = sum((c * (hi[k] if c > 0 else lo[k]) for k, c in coef.items()), Fraction(0))
    return need, allow, placed


def farkas_combination(
    p: Plan, spec: LpSpec | None, raw: dict[str, float], boxes: Boxes
) -> Farkas | None:
    """Floating multipliers (each row as ``≥``) as an exact combination; None if it proves nothing.

    The largest multiplier of a budget or a ``≥`` row is made 1, so that its money reads as
    pounds: what must be placed, against what the capacities, floors and caps allow.  The
    combination is checked exactly against ``boxes``.
    """
    sides = {row.name: row.sense for row in spec.side_rows} if spec is not None else {}
    needs = [abs(v) for k, v in raw.items() if k.startswith("budget:") or sides.get(k) == ">="]
    largest = max(needs or [abs(v) for v in raw.values()] or [0.0])
    if largest > 0:
        raw = {k: v / largest for k, v in raw.items()}
    den, multipliers = _integers(raw)
    nu = {name: Fraction(int(n), den) for name, n in multipliers.items()}
    need, allow, placed = _farkas(p, spec, nu, boxes)
    if not allow < need:
        return None  # no certificate rather than a wrong one
    # in words: `placed` must be placed; the capacities, floors and caps allow at most this
    return Farkas.from_trusted(
        {
            "denominator": str(den),
            "multipliers": multipliers,
            "need": _rational(placed),
            "allow": _rational(placed - (need - allow)),
        }
    )


def _farkas_certificate(p: Plan, spec: LpSpec | None, raw: dict[str, float]) -> Certificate | None:
    """The combination as a certificate under the plan's decisions, or None if it proves nothing."""
    farkas = farkas_combination(p, spec, raw, _boxes(p))
    if farkas is None:
        return None
    return Certificate.from_trusted(
        {
            "kind": "infeasible",
            "claim": INFEASIBLE_CLAIM,
            "choice": subcontract_choice(p),
            "stages": [],
            "water_levels": [],
            "rounding": {},
            "farkas": farkas,
            "proof": None,
            "tender": [],
        }
    )


def farkas_multipliers(p: Plan, spec: LpSpec, row_duals: dict[str, float]) -> dict[str, float]:
    """Duals of a minimisation's rows as floating multipliers in pence, each row read as ``≥``.

    A budget's dual over the lot's value, a ``≥`` side row's dual over its scale, a ``≤`` side
    row's minus that (negative ones, which prove nothing, are dropped).
    """
    value = {lot.lot_id: lot.value for lot in p.lots}
    side = {row.name: row for row in spec.side_rows}
    raw: dict[str, float] = {}
    for name, dual in row_duals.items():
        if name.startswith("budget:") and name[7:] in value:
            raw[name] = dual / value[name[7:]]
        elif name in side:
            row = side[name]
            v = (-dual if row.sense == "<=" else dual) / row.scale
            if v > 0 or row.sense == "==":
                raw[name] = v
    return raw


def shortfall_certificate(p: Plan) -> Certificate | None:
    """Lots whose eligible capacity is short of their pot: their budgets, each with multiplier 1."""
    raw = {f"budget:{lot.lot_id}": 1.0 for lot in p.lots if lot.shortfall > 0}
    return _farkas_certificate(p, None, raw) if raw else None


def infeasibility_certificate(p: Plan, spec: LpSpec, elastic: ElasticResult) -> Certificate | None:
    """The elastic programme's duals as a Farkas combination, in pence; None if they prove nothing.

    Each row as ``≥`` (:func:`farkas_multipliers`: the minimisation's duals, see the module's
    notes).
    """
    if elastic.status is not Status.OPTIMAL:
        return None
    return _farkas_certificate(p, spec, farkas_multipliers(p, spec, elastic.row_duals))


def farkas_words(cert: Certificate) -> str:
    """The infeasibility certificate in words, for the diagnosis."""
    if cert.proof is not None:
        leaves = sum(1 for node in cert.proof if node.branch is None)
        return (
            f"certificate: a proof tree of {len(cert.proof)} node(s) splits the awards by whole "
            "pence (units) and by whether each sub-contract is made; checked over "
            f"{leaves} case(s), each impossible by a combination of the conditions in "
            "allocation.certificate (or an empty range), so no allocation in whole pence exists "
            "for any choice of sub-contracts; `allocate check-certificate` verifies it exactly"
        )
    assert cert.farkas is not None
    f = cert.farkas
    names = sorted(f.multipliers)
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    need = format_money(Fraction(f.need) / 100)
    allow = format_money(Fraction(f.allow) / 100)
    return (
        f"certificate: added up with the multipliers in allocation.certificate, the conditions "
        f"{shown} need {need} placed, where the capacities, floors and caps allow at most "
        f"{allow}; `allocate check-certificate` verifies it exactly"
    )
