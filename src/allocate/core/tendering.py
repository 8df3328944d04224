"""Sub-tendering on plain numbers: score the bids for a lot, rank them, and split the lot.

The consortium's second way of awarding a lot (prospectus, section 4: *"based on either joint
delivery planning or an open and competitive sub-tendering approach"*).  This module holds the
published evaluation as exact arithmetic, with no solver: the pipeline
(:mod:`allocate.pipeline.tender`) and the independent verification (:mod:`allocate.checks.verify`)
both call :func:`evaluate`, as both call the claims rules of :mod:`allocate.core.rules`.

Quantities are in the lot's own quantity (pence of its member pot, or whole units on unit-priced
lots) and every result is an exact :class:`~fractions.Fraction`.

**Scores.**  Each criterion is a score in [0, 1]: the panel's ``quality``, ``social_value`` and
``impact``; ``capacity`` = min(1, the bid's capacity ÷ the lot); ``price`` (``price_quality``
only) from the price ratio *r* = price ÷ the member pot's price, against the lowest qualifying
ratio *r₀*: ``lowest_ratio`` *r₀ / r*, ``proportional_difference`` max(0, 1 − (r − r₀) / r₀).  The
**total** is Σ weight × score, exactly.

**Qualification**, reasons in this order: not eligible for the lot; ``quality`` below
``min_quality``; no capacity; a price above the member pot; abnormally low (when the policy
excludes such bids).  A price is **abnormally low** when it is below the bidder's own declared
``unit_cost``, or below ``abnormally_low`` × the median of the other valid prices on the lot
(valid: eligible, of the minimum quality, with capacity, at most the pot).

**Ranking**: total score, higher first; then ``quality``; then capacity, larger first; then the
member id (only bids equal in all three are ordered by id).

**Winners and split**: the first ``max_winners`` in rank order (all when ``None``), more down the
ranking while their capacities cannot cover the lot; split in rank order (each up to its
capacity) or in proportion to the totals (water-filling, capped at capacity).  With a
``min_award``, a bid whose capacity (or limit) is below it receives nothing, passed over while
the others can cover the lot; in rank order each winner, best first, takes the most that still
lets the bids after it take the rest with every share zero or at least the minimum
(:func:`rank_first`); split by score, the lowest-ranked winner whose share would fall below it
is passed over, and the split made again, as long as the others can still cover the lot.

**Savings**: a winner's price for its share *t* is *t·r*; the saving *t·(1 − r)* stays with it
as more units (``more_units``), or goes to the lot's other winners in proportion to their shares,
each up to its capacity, in rank order of the winners it comes from (``other_winners``); what
they cannot take stays with the winner.  Either way the lot's awards add up to its member pot:
the hub keeps only its top-slice.

>>> from allocate.core.model import TenderPolicy
>>> offers = [Offer("a", Fraction(9, 10), None, None, 100),
...           Offer("b", Fraction(1, 2), None, None, 100)]
>>> policy = TenderPolicy.model_validate({"weights": {"quality": 1, "social_value": 0,
...     "impact": 0, "capacity": 0}})
>>> result = evaluate(policy, 100, offers)
>>> result.winners, result.targets
(('a',), {'a': Fraction(100, 1), 'b': Fraction(0, 1)})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from allocate.core.model import Competition, PriceScoring, SavingUse, Split, TenderPolicy
from allocate.core.rules import weighted_proportional

__all__ = [
    "CRITERIA",
    "Evaluation",
    "LotTender",
    "Offer",
    "Transfer",
    "evaluate",
    "median",
    "rank_first",
]

#: The award criteria, in the order reports list them (the fields of ``TenderWeights``).
CRITERIA: tuple[str, ...] = ("quality", "social_value", "impact", "capacity", "price")


@dataclass(frozen=True, slots=True)
class Offer:
    """One bid as the evaluation reads it: scores, capacity and price ratio, exactly."""

    member: str
    quality: Fraction
    social_value: Fraction | None
    impact: Fraction | None
    claim: int
    """The most of the lot the bidder can deliver, in the lot's quantity."""
    price_ratio: Fraction = Fraction(1)
    """Price ÷ the member pot's price for the same work (1 in a fixed-price competition)."""
    cost_ratio: Fraction | None = None
    """The bidder's declared cost on the same scale, when given."""
    barred: tuple[str, ...] = ()
    """Why the member may not receive the lot at all (eligibility), in words."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One bid's evaluation: its scores, total, rank and whether (and why not) it qualified."""

    member: str
    scores: dict[str, Fraction | None]
    """Score per criterion (``None``: not scored, weight 0 or no price)."""
    total: Fraction
    rank: int | None
    """1 for the best qualifying bid; ``None`` when not qualified."""
    qualified: bool
    reasons: tuple[str, ...]
    abnormally_low: str | None
    """Why the price is abnormally low, when it is (flagged even when not excluded)."""
    claim: int


@dataclass(frozen=True, slots=True)
class Transfer:
    """A saving: from the winner that made it to another winner (``to``), or kept as more units."""

    source: str
    to: str | None
    amount: Fraction


@dataclass(frozen=True, slots=True)
class LotTender:
    """The outcome of one lot's competition."""

    evaluations: tuple[Evaluation, ...]
    """Qualified bids in rank order, then the others by member id."""
    winners: tuple[str, ...]
    """Members with a positive award target, in rank order."""
    targets: dict[str, Fraction]
    """Award target of every qualified bid, in the lot's quantity (0 for the others)."""
    paid: dict[str, Fraction]
    """Each winner's price for its share, before any saving is passed on."""
    transfers: tuple[Transfer, ...] = ()
    notes: tuple[str, ...] = field(default=())
    """Decisions in words (winners added for capacity, passed over for the minimum award)."""

    @property
    def ranked(self) -> list[Evaluation]:
        """The qualified evaluations, best first."""
        return [e for e in self.evaluations if e.qualified]


def median(values: Sequence[Fraction]) -> Fraction:
    """The median (the mean of the middle two of an even number).

    >>> median([Fraction(3), Fraction(1), Fraction(2), Fraction(10)])
    Fraction(5, 2)
    """
    xs = sorted(values)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def evaluate(
    policy: TenderPolicy,
    estate: int,
    offers: Sequence[Offer],
    limits: Mapping[str, int] | None = None,
    min_award: int | None = None,
) -> LotTender:
    """Score, qualify and rank ``offers`` for a lot of ``estate``, and split the lot.

    ``limits`` caps a bidder's award below its capacity (a side-constraint that held a winner
    back: the rest of the lot passes down the ranking); the scores use the declared capacity.
    ``min_award`` is the policy's minimum award in the lot's quantity.
    """
    limits = limits or {}
    on_price = policy.competition is Competition.PRICE_QUALITY
    low = _abnormally_low(policy, offers) if on_price else {}
    reasons: dict[str, list[str]] = {}
    for o in offers:
        why = list(o.barred)
        if Fraction(repr(policy.min_quality)) > o.quality:
            why.append(f"quality {_show(o.quality)} is below the minimum {policy.min_quality}")
        if o.claim <= 0:
            why.append("no capacity to deliver the lot")
        if o.price_ratio > 1:
            why.append("price above the lot's member pot")
        if o.member in low and policy.exclude_abnormally_low:
            why.append(f"abnormally low price: {low[o.member]}")
        reasons[o.member] = why
    qualified = [o for o in offers if not reasons[o.member]]
    lowest = min((o.price_ratio for o in qualified), default=None)
    w = policy.weights
    weights = {
        "quality": Fraction(w.quality),
        "social_value": Fraction(w.social_value),
        "impact": Fraction(w.impact),
        "capacity": Fraction(w.capacity),
        "price": Fraction(w.price),
    }
    scored: dict[str, tuple[dict[str, Fraction | None], Fraction]] = {}
    for o in offers:
        scores: dict[str, Fraction | None] = {
            "quality": o.quality,
            "social_value": o.social_value,
            "impact": o.impact,
            "capacity": min(Fraction(1), Fraction(o.claim, estate)) if estate > 0 else Fraction(1),
            "price": _price_score(policy.price_scoring, o.price_ratio, lowest)
            if on_price
            else None,
        }
        total = sum(
            (weights[c] * (s or 0) for c, s in scores.items() if weights[c]),
            Fraction(0),
        )
        scored[o.member] = scores, total
    order = sorted(
        qualified,
        key=lambda o: (-scored[o.member][1], -o.quality, -o.claim, o.member),
    )
    rank = {o.member: k + 1 for k, o in enumerate(order)}
    evaluations = tuple(
        Evaluation(
            member=o.member,
            scores=scored[o.member][0],
            total=scored[o.member][1],
            rank=rank.get(o.member),
            qualified=not reasons[o.member],
            reasons=tuple(reasons[o.member]),
            abnormally_low=low.get(o.member),
            claim=o.claim,
        )
        for o in [*order, *sorted((o for o in offers if reasons[o.member]), key=_member)]
    )
    caps = {o.member: min(o.claim, limits.get(o.member, o.claim)) for o in order}
    totals = {o.member: scored[o.member][1] for o in order}
    targets, notes = _split(policy, estate, [o.member for o in order], caps, totals, min_award)
    ratio = {o.member: o.price_ratio for o in order}
    awards, paid, transfers = _savings(policy.saving, order, targets, caps, ratio)
    winners = tuple(o.member for o in order if awards[o.member] > 0)
    return LotTender(
        evaluations=evaluations,
        winners=winners,
        targets=awards,
        paid=paid,
        transfers=tuple(transfers),
        notes=tuple(notes),
    )


def _member(o: Offer) -> str:
    return o.member


def _show(x: Fraction) -> str:
    return f"{float(x):.6g}"


def _price_score(method: PriceScoring, r: Fraction, lowest: Fraction | None) -> Fraction | None:
    if lowest is None or r <= 0:
        return None
    if method is PriceScoring.LOWEST_RATIO:
        return min(Fraction(1), lowest / r)
    return max(Fraction(0), 1 - (r - lowest) / lowest)


def _abnormally_low(policy: TenderPolicy, offers: Sequence[Offer]) -> dict[str, str]:
    """Why each abnormally low price is so (see the module documentation)."""
    valid = {
        o.member: o.price_ratio
        for o in offers
        if not o.barred
        and o.claim > 0
        and o.price_ratio <= 1
        and o.quality >= Fraction(repr(policy.min_quality))
    }
    out: dict[str, str] = {}
    factor = Fraction(policy.abnormally_low)
    for o in offers:
        if o.cost_ratio is not None and o.price_ratio < o.cost_ratio:
            out[o.member] = "below the bidder's own declared unit cost"
            continue
        others = [r for m, r in valid.items() if m != o.member]
        if others and o.price_ratio < factor * median(others):
            out[o.member] = (
                f"below {policy.abnormally_low} × the median of the other valid prices "
                f"({_show(o.price_ratio / median(others))} of it)"
            )
    return out


def _split(
    policy: TenderPolicy,
    estate: int,
    ranked: list[str],
    caps: dict[str, int],
    totals: dict[str, Fraction],
    min_award: int | None,
) -> tuple[dict[str, Fraction], list[str]]:
    """Each ranked bid's share of the lot (0 for those that do not win), and the notes."""
    least = min_award or 0
    everyone = ranked
    notes: list[str] = []
    # a bid that cannot reach the minimum award (its capacity, or the level a side-constraint
    # holds it to, is below it) can receive nothing at all
    short = [m for m in ranked if 0 < caps[m] < least]
    if short and sum(caps[m] for m in ranked if caps[m] >= least) >= estate:
        ranked = [m for m in ranked if m not in short]
        notes += [
            f"{m}: passed over, it can deliver at most {_show(Fraction(caps[m]))}, below the "
            "minimum award"
            for m in short
        ]
    passed: list[str] = []
    while True:
        targets, added = _split_once(
            policy, estate, [m for m in ranked if m not in passed], caps, totals, least
        )
        small = [m for m in ranked if 0 < targets.get(m, 0) < least]
        if not small:
            break
        candidate = small[-1]
        if policy.split is Split.RANK_ORDER and caps[candidate] >= least:
            break  # no split in rank order reaches the minimum for every winner
        left = [m for m in ranked if m not in passed and m != candidate]
        if sum(caps[m] for m in left) < estate:
            break  # the others cannot cover the lot: the share stands (and the floor decides)
        passed.append(candidate)
        notes.append(
            f"{candidate}: passed over, its share {_show(targets[candidate])} would be below the "
            "minimum award"
        )
    if added:
        notes.append(
            "winners added down the ranking, as the first winners' capacities cannot cover the "
            f"lot: {', '.join(added)}"
        )
    return {m: targets.get(m, Fraction(0)) for m in everyone}, notes


def _split_once(
    policy: TenderPolicy,
    estate: int,
    ranked: list[str],
    caps: dict[str, int],
    totals: dict[str, Fraction],
    least: int = 0,
) -> tuple[dict[str, Fraction], list[str]]:
    k = policy.max_winners if policy.max_winners is not None else len(ranked)
    winners = [m for m in ranked if caps[m] > 0][:k]
    added: list[str] = []
    rest = [m for m in ranked if caps[m] > 0 and m not in winners]
    while sum(caps[m] for m in winners) < estate and rest:
        added.append(rest[0])
        winners.append(rest.pop(0))
    out: dict[str, Fraction] = {}
    if len(winners) > 1 and policy.split is Split.SCORE_PROPORTIONAL:
        positive = [m for m in winners if totals[m] > 0]
        if sum(caps[m] for m in positive) >= estate:
            shares = weighted_proportional(
                estate, [caps[m] for m in positive], [totals[m] for m in positive]
            )
            return dict(zip(positive, shares, strict=True)), added
        for m in positive:
            out[m] = Fraction(caps[m])
        winners = [m for m in winners if m not in positive]
    left = Fraction(estate) - sum(out.values(), Fraction(0))
    if least and not out:
        # in rank order with a minimum award: each winner, best first, as much as still lets
        # the winners after it (and then the next bids down the ranking) take the rest with
        # every award zero or at least the minimum
        while True:
            firsts = rank_first(left, [caps[m] for m in winners], least)
            if firsts is not None or not rest:
                break
            added.append(rest[0])
            winners.append(rest.pop(0))
        if firsts is not None:
            return dict(zip(winners, firsts, strict=True)), added
    for m in winners:
        out[m] = min(Fraction(caps[m]), left)
        left -= out[m]
    return out, added


def rank_first(estate: Fraction, caps: Sequence[int], least: int) -> list[Fraction] | None:
    """Split ``estate`` in rank order, each share zero or between ``least`` and its cap.

    Each bid in turn, best first, takes the most that still lets the bids after it take the
    rest: a rest *R* can be taken by the later bids exactly when *R* = 0 or, for some *k*,
    *k* × ``least`` ≤ *R* ≤ the sum of their *k* largest caps (give *k* of them the minimum and
    share out the rest up to their caps).  ``None`` when no such split exists.

    >>> rank_first(Fraction(90), [86, 50], 5)
    [Fraction(85, 1), Fraction(5, 1)]
    >>> rank_first(Fraction(9), [6, 6], 5) is None
    True
    """
    usable = [c if c >= least else 0 for c in caps]  # below the minimum: nothing at all
    if not _fits(estate, usable, least):
        return None
    out: list[Fraction] = []
    left = estate
    for i, cap in enumerate(usable):
        later = sorted(usable[i + 1 :], reverse=True)
        # what this bid leaves must be 0, or in [k·least, the k largest later caps] for a k:
        # so its share lies in [left − top k, left − k·least], or is the whole of what is left
        spans = [(left, left)] + [
            (left - sum(later[:k]), left - k * least) for k in range(1, len(later) + 1)
        ]
        best = Fraction(0)
        for lo, hi in spans:
            v = min(hi, Fraction(cap))
            if v >= lo and v >= least and v > 0:
                best = max(best, v)
        out.append(best)
        left -= best
    return out if left == 0 else None


def _fits(rest: Fraction, caps: list[int], least: int) -> bool:
    """Whether bids with ``caps`` can take ``rest`` exactly, each zero or at least ``least``."""
    if rest == 0:
        return True
    top = sorted(caps, reverse=True)
    return any(k * least <= rest <= sum(top[:k]) for k in range(1, len(top) + 1))


def _savings(
    use: SavingUse,
    order: Sequence[Offer],
    targets: dict[str, Fraction],
    caps: dict[str, int],
    ratio: dict[str, Fraction],
) -> tuple[dict[str, Fraction], dict[str, Fraction], list[Transfer]]:
    """The awards after the savings are placed, each winner's price, and the money trail."""
    members = [o.member for o in order]
    paid = {m: targets[m] * ratio[m] for m in members if targets[m] > 0}
    saving = {m: targets[m] - paid[m] for m in paid}
    transfers: list[Transfer] = []
    if use is SavingUse.MORE_UNITS:
        transfers = [Transfer(m, None, s) for m, s in saving.items() if s > 0]
        return dict(targets), paid, transfers
    awards = {m: paid.get(m, Fraction(0)) for m in members}
    received = dict.fromkeys(members, Fraction(0))
    for m in members:
        s = saving.get(m, Fraction(0))
        if s <= 0:
            continue
        others = [j for j in members if j != m and targets[j] > 0]
        room = [caps[j] - targets[j] - received[j] for j in others]
        give = min(s, sum(room, Fraction(0)))
        if give > 0:
            parts = weighted_proportional(give, room, [targets[j] for j in others])
            for j, x in zip(others, parts, strict=True):
                if x > 0:
                    awards[j] += x
                    received[j] += x
                    transfers.append(Transfer(m, j, x))
        if s - give > 0:
            awards[m] += s - give
            transfers.append(Transfer(m, None, s - give))
    return awards, paid, transfers
