r"""Classical rules for claims problems, exactly.

A *claims problem* divides an estate :math:`E` among claimants whose claims :math:`c_i` add up to
at least :math:`E`.  In ``allocate`` the estate is a lot's member pot (its value less the hub's
top-slice), the claims are the eligible members' capacities, and a rule's answer is each member's
**fair share**: what it would receive if no side-constraint bound.

Every rule here works on exact numbers (``int``, :class:`~fractions.Fraction`,
:class:`~decimal.Decimal` or numeric strings in; :class:`~fractions.Fraction` out), so there is no
floating-point drift, and every rule awards each claimant between zero and its claim and
distributes the estate exactly.

=========================  ================================================  ======================
rule                       formula                                           properties (besides
                                                                             the common ones)
=========================  ================================================  ======================
proportional               :math:`x_i = \lambda c_i`, :math:`\lambda=E/\sum c`  self-dual,
                                                                             composition up/down,
                                                                             no advantageous
                                                                             transfer
weighted proportional      :math:`x_i=\min(c_i,\lambda w_i)` (water-filling)  —
constrained equal awards   :math:`x_i=\min(c_i,\lambda)`                     dual of CEL; favours
                                                                             small claims
weighted CEA               :math:`x_i=\min(c_i,\lambda w_i)`                 —
constrained equal losses   :math:`x_i=\max(0,c_i-\mu)`                       dual of CEA; favours
                                                                             large claims
Talmud (Aumann–Maschler)   CEA on half-claims while :math:`E\le\sum c/2`,      self-dual; the
                           else :math:`c_i` less CEA of the losses on           contested-garment
                           half-claims                                       principle
=========================  ================================================  ======================

All rules above satisfy equal treatment of equals (for equal weights), anonymity, order
preservation, resource monotonicity, claims monotonicity, population monotonicity and
consistency (Thomson, *Axiomatic and game-theoretic analysis of bankruptcy and taxation problems*,
2003; Young, *Equity*, 1994).  The weighted rules treat members with equal claims *and* equal
weights equally.

Examples
--------
The Aumann–Maschler Talmud table (claims 100, 200, 300):

>>> [[str(x) for x in talmud(e, [100, 200, 300])] for e in (100, 200, 300)]
[['100/3', '100/3', '100/3'], ['50', '75', '75'], ['50', '100', '150']]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm

from allocate.core.apportion import ExactShares

__all__ = [
    "RULES",
    "constrained_equal_awards",
    "constrained_equal_losses",
    "level_share",
    "proportional",
    "rule_level",
    "talmud",
    "water_fill",
    "weighted_constrained_equal_awards",
    "weighted_proportional",
]

Number = int | Fraction | Decimal | str


def _fraction(x: Number, what: str) -> Fraction:
    if isinstance(x, bool):
        raise TypeError(f"{what} must be a number, not a boolean")
    if isinstance(x, float):
        raise TypeError(f"{what} must be exact (int, Fraction, Decimal or str), not float")
    try:
        value = Fraction(x)
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        raise ValueError(f"{what} is not a finite number: {x!r}") from exc
    if value < 0:
        raise ValueError(f"{what} must not be negative: {x!r}")
    return value


def _problem(estate: Number, claims: Sequence[Number]) -> tuple[Fraction, list[Fraction]]:
    e = _fraction(estate, "estate")
    cs = [_fraction(c, f"claim {i}") for i, c in enumerate(claims)]
    if e > sum(cs, Fraction(0)):
        raise ValueError(f"estate {e} exceeds the total of the claims {sum(cs, Fraction(0))}")
    return e, cs


def _to_ints(*groups: Sequence[Fraction]) -> tuple[int, list[list[int]]]:
    """Scale fractions to integers over one common denominator."""
    den = 1
    for group in groups:
        for x in group:
            den = lcm(den, x.denominator)
    return den, [[int(x * den) for x in group] for group in groups]


def water_fill(estate: int, claims: Sequence[int], weights: Sequence[int]) -> ExactShares:
    r"""Capped weighted water-filling on integers: :math:`x_i=\min(c_i,\lambda w_i)`, exactly.

    The level :math:`\lambda` is raised until the estate is used up; claimants reach their claim
    (their cap) one by one, in order of :math:`c_i/w_i`.  Claimants with weight zero receive
    nothing.  This is the engine behind proportional (weights = claims), CEA (weights = 1) and
    their weighted variants.

    Raises ``ValueError`` when the estate exceeds the claims of the positively weighted claimants.

    >>> s = water_fill(10, [2, 100, 100], [1, 1, 1])
    >>> [x / s.denominator for x in s.numerators]
    [2.0, 4.0, 4.0]
    """
    n = len(claims)
    if len(weights) != n:
        raise ValueError("claims and weights must have the same length")
    active = [i for i in range(n) if weights[i] > 0 and claims[i] > 0]
    total_claims = sum(claims[i] for i in active)
    if estate > total_claims:
        raise ValueError(
            f"estate {estate} exceeds the claims of positively weighted claimants {total_claims}"
        )
    if estate < 0 or any(c < 0 for c in claims) or any(w < 0 for w in weights):
        raise ValueError("estate, claims and weights must be non-negative")
    remaining = estate
    weight = sum(weights[i] for i in active)
    capped: set[int] = set()
    if weights is not claims:  # with weights = claims nobody is capped (λ ≤ 1): skip the sort
        for i in sorted(active, key=lambda i: (Fraction(claims[i], weights[i]), i)):
            # capped when its claim is reached before the level: c_i / w_i ≤ remaining / weight
            if claims[i] * weight <= remaining * weights[i]:
                capped.add(i)
                remaining -= claims[i]
                weight -= weights[i]
            else:
                break
    den = weight if weight > 0 else 1
    nums = [0] * n
    for i in active:
        nums[i] = claims[i] * den if i in capped else remaining * weights[i]
    return ExactShares(tuple(nums), den)


def _shares_to_fractions(shares: ExactShares, scale: int) -> list[Fraction]:
    return [Fraction(x, shares.denominator * scale) for x in shares.numerators]


def weighted_proportional(
    estate: Number, claims: Sequence[Number], weights: Sequence[Number]
) -> list[Fraction]:
    r"""Shares proportional to weights, never above the claim: :math:`\min(c_i,\lambda w_i)`.

    With weights equal to the claims this is :func:`proportional`; with weights capacity ×
    quality it is the founding document's "proportionate to delivery capacity, subject to
    quality".

    >>> [str(x) for x in weighted_proportional(100, [100, 100], [1, 3])]
    ['25', '75']
    >>> [str(x) for x in weighted_proportional(100, [20, 100], [1, 1])]
    ['20', '80']
    """
    e, cs = _problem(estate, claims)
    ws = [_fraction(w, f"weight {i}") for i, w in enumerate(weights)]
    if len(ws) != len(cs):
        raise ValueError("claims and weights must have the same length")
    den, (ci, ei) = _to_ints(cs, [e])
    _, (wi,) = _to_ints(ws)  # the scale of the weights does not matter
    return _shares_to_fractions(water_fill(ei[0], ci, wi), den)


def proportional(estate: Number, claims: Sequence[Number]) -> list[Fraction]:
    r"""Shares proportional to the claims: :math:`x_i = E\,c_i/\sum_j c_j`.

    >>> [str(x) for x in proportional(300, [100, 200, 300])]
    ['50', '100', '150']
    """
    e, cs = _problem(estate, claims)
    total = sum(cs, Fraction(0))
    if total == 0:
        return [Fraction(0) for _ in cs]
    return [e * c / total for c in cs]


def constrained_equal_awards(estate: Number, claims: Sequence[Number]) -> list[Fraction]:
    r"""Equal awards, capped at each claim: :math:`x_i = \min(c_i, \lambda)`.

    >>> [str(x) for x in constrained_equal_awards(200, [50, 200, 300])]
    ['50', '75', '75']
    """
    e, cs = _problem(estate, claims)
    return weighted_proportional(e, cs, [1] * len(cs))


def weighted_constrained_equal_awards(
    estate: Number, claims: Sequence[Number], weights: Sequence[Number]
) -> list[Fraction]:
    r"""Awards proportional to weights (not claims), capped: :math:`\min(c_i,\lambda w_i)`.

    >>> [str(x) for x in weighted_constrained_equal_awards(90, [100, 100], [1, 2])]
    ['30', '60']
    """
    return weighted_proportional(estate, claims, weights)


def constrained_equal_losses(estate: Number, claims: Sequence[Number]) -> list[Fraction]:
    r"""Equal losses, never below zero: :math:`x_i = \max(0, c_i - \mu)`.

    The dual of CEA: losses :math:`\sum c - E` are shared by constrained equal awards.

    >>> [str(x) for x in constrained_equal_losses(300, [100, 200, 300])]
    ['0', '100', '200']
    """
    e, cs = _problem(estate, claims)
    losses = constrained_equal_awards(sum(cs, Fraction(0)) - e, cs)
    return [c - loss for c, loss in zip(cs, losses, strict=True)]


def talmud(estate: Number, claims: Sequence[Number]) -> list[Fraction]:
    r"""The Talmud rule of Aumann and Maschler (1985).

    While the estate is at most half the claims, CEA on half-claims; beyond that, everyone
    receives half its claim and the rest is shared by CEL on the other halves (equivalently
    :math:`c_i` less CEA of the losses on half-claims).

    >>> [str(x) for x in talmud(200, [100, 200, 300])]
    ['50', '75', '75']
    """
    e, cs = _problem(estate, claims)
    halves = [c / 2 for c in cs]
    total = sum(cs, Fraction(0))
    if e <= total / 2:
        return constrained_equal_awards(e, halves)
    losses = constrained_equal_awards(total - e, halves)
    return [c - loss for c, loss in zip(cs, losses, strict=True)]


#: The rules by name, for callers that choose one from data.
RULES: dict[str, Callable[..., list[Fraction]]] = {
    "proportional": proportional,
    "constrained_equal_awards": constrained_equal_awards,
    "constrained_equal_losses": constrained_equal_losses,
    "talmud": talmud,
    "weighted_proportional": weighted_proportional,
    "weighted_constrained_equal_awards": weighted_constrained_equal_awards,
}


def lot_shares(
    rule: str, estate: int, claims: Sequence[int], factors: Sequence[Fraction] | None = None
) -> ExactShares:
    """A rule's exact shares of one lot, on whole pence (or units): the engine behind ``solve``.

    ``factors`` are the members' weight factors (for the weighted rules).  Weighted rules give
    members with factor zero nothing unless the others' claims cannot absorb the estate; then the
    others receive their full claims and the zero-weight members share the rest in proportion to
    their claims.

    >>> s = lot_shares("talmud", 200, [100, 200, 300])
    >>> [str(Fraction(n, s.denominator)) for n in s.numerators]
    ['50', '75', '75']
    """
    if estate < 0 or estate > sum(claims):
        raise ValueError(f"estate {estate} is outside 0..{sum(claims)}")
    ones = [1] * len(claims)
    if rule == "proportional":
        # weights *are* the claims (the same object): water_fill then skips its capping sort
        return water_fill(estate, claims, claims)
    if rule == "constrained_equal_awards":
        return water_fill(estate, claims, ones)
    if rule == "constrained_equal_losses":
        return _claims_less(claims, water_fill(sum(claims) - estate, claims, ones))
    if rule == "talmud":
        return _talmud_shares(estate, claims)
    if rule in ("weighted_proportional", "weighted_constrained_equal_awards"):
        return _weighted_shares(rule, estate, claims, factors)
    raise ValueError(f"unknown rule {rule!r}")


def _claims_less(claims: Sequence[int], losses: ExactShares, halves: int = 1) -> ExactShares:
    """Each claim less its loss, the losses counted in ``1/halves`` units (2: half-units)."""
    den = halves * losses.denominator
    return ExactShares(
        tuple(c * den - x for c, x in zip(claims, losses.numerators, strict=True)), den
    )


def _talmud_shares(estate: int, claims: Sequence[int]) -> ExactShares:
    """The Talmud rule on whole units: CEA on half-claims, or claims less CEA of half-losses."""
    # in half-units the half-claims are the claims themselves
    ones = [1] * len(claims)
    total = sum(claims)
    if 2 * estate <= total:
        half = water_fill(2 * estate, claims, ones)
        return ExactShares(half.numerators, 2 * half.denominator)
    return _claims_less(claims, water_fill(2 * (total - estate), claims, ones), halves=2)


def _weighted_shares(
    rule: str, estate: int, claims: Sequence[int], factors: Sequence[Fraction] | None
) -> ExactShares:
    """The weighted rules: water-filling on the factors (times the claims for proportional)."""
    if factors is None or len(factors) != len(claims):
        raise ValueError(f"rule {rule!r} needs one weight factor per claim")
    scale = 1
    for f in factors:
        scale = lcm(scale, f.denominator)
    base = claims if rule == "weighted_proportional" else [1] * len(claims)
    weights = [int(f * scale) * b for f, b in zip(factors, base, strict=True)]
    positive = sum(c for c, w in zip(claims, weights, strict=True) if w > 0)
    if estate <= positive:
        return water_fill(estate, claims, weights)
    return _zero_weight_fallback(estate, claims, weights, positive)


def _zero_weight_fallback(
    estate: int, claims: Sequence[int], weights: Sequence[int], positive: int
) -> ExactShares:
    """Full claims to the weighted members, the rest of the estate to the others by claims.

    Used when the members with weight (whose claims add up to ``positive``) cannot absorb the
    estate.
    """
    zero = [c if w == 0 else 0 for c, w in zip(claims, weights, strict=True)]
    tail = water_fill(estate - positive, zero, zero)
    den = tail.denominator
    return ExactShares(
        tuple(
            c * den if w > 0 else x
            for c, w, x in zip(claims, weights, tail.numerators, strict=True)
        ),
        den,
    )


# -- the rules' levels (the closed form's certificate) ---------------------------------------


def level_share(
    rule: str, claim: Fraction, weight: Fraction, level: Fraction, over_half: bool
) -> Fraction:
    """One claimant's share at a rule's level: the rule's formula, written out.

    ``min(claim, level × weight)`` for the water-filling rules, ``max(0, claim − level)`` for
    constrained equal losses; for Talmud ``min(claim/2, level)`` while the estate is at most half
    the claims (``over_half`` False), else ``claim − min(claim/2, level)``.

    >>> level_share("talmud", Fraction(300), Fraction(1), Fraction(75), False)
    Fraction(75, 1)
    """
    if rule == "constrained_equal_losses":
        return max(Fraction(0), claim - level)
    if rule == "talmud":
        gain = min(claim / 2, level)
        return claim - gain if over_half else gain
    return min(claim, level * weight)


def rule_level(
    rule: str,
    estate: Fraction,
    claims: Sequence[Fraction],
    weights: Sequence[Fraction],
    shares: Sequence[Fraction],
) -> tuple[Fraction, list[int]] | None:
    """The level at which the rule's formula gives exactly ``shares``, and who is capped.

    Capped: those at their whole claim (water-filling), at nothing (constrained equal losses) or
    at half their claim (Talmud).  ``weights`` matter only for the water-filling rules (the claims
    for proportional, 1 for constrained equal awards, claim × score or the score for the weighted
    rules).  None when no level gives the shares (a weighted rule's fallback for zero scores).

    >>> rule_level("talmud", Fraction(200), [Fraction(100), Fraction(200), Fraction(300)],
    ...            [Fraction(1)] * 3, [Fraction(50), Fraction(75), Fraction(75)])
    (Fraction(75, 1), [0])
    """
    over_half = 2 * estate > sum(claims)
    triples = list(zip(claims, weights, shares, strict=True))
    if rule == "constrained_equal_losses":
        capped = [i for i, (c, _, s) in enumerate(triples) if s == 0]
        free = [c - s for c, _, s in triples if s > 0]
        fallback = max((c for c, _, _ in triples), default=Fraction(0))
    elif rule == "talmud":
        capped = [i for i, (c, _, s) in enumerate(triples) if s == c / 2]
        free = [s if not over_half else c - s for c, _, s in triples if s != c / 2]
        fallback = max((c / 2 for c, _, _ in triples), default=Fraction(0))
    else:
        capped = [i for i, (c, _, s) in enumerate(triples) if s == c]
        if any(w <= 0 for _, w, _ in triples):
            return None
        free = [s / w for c, w, s in triples if s != c]
        fallback = max((c / w for c, w, _ in triples), default=Fraction(0))
    level = free[0] if free else fallback
    if any(level_share(rule, c, w, level, over_half) != s for c, w, s in triples):
        return None
    return level, capped
