"""Boundary-tight problems (an allocation exists only with equality) and just-infeasible twins.

Shared by ``tests/property/test_boundary_tight.py`` (drawn by Hypothesis) and
``benchmarks/boundary.py`` (seeded, deterministic): every builder takes a :class:`Source` of
integers, so the same code serves both.  Each kind is built around a witness — the allocation
that proves it feasible — with every condition it names met with equality; the twin
(``short=True``) takes one penny (one unit's worth, or the least step the policy value allows)
away from that witness, so that no whole-penny allocation remains.  :class:`Case` says why, in one
sentence, beside the problem.

Kinds (:data:`KINDS`):

``equal_share_caps``
    n members, ``max_member_share`` = 1/n, the pot n × whole pence: everyone exactly at its cap.
``share_caps_and_capacities``
    share caps of some members plus the capacities of the others sum exactly to the pot.
``dependency_caps``
    ``max_dependency`` × income of every member sums exactly to the pots of one or two contracts.
``ring_fence``
    ``small_org_share`` equal to exactly what the small members can take.
``pooled_capacities``
    pooled capacities summing exactly to the lots they cover (one contract per lot).
``min_award_one_unit``
    a minimum award of exactly one unit's price on a unit-priced lot that capacities fill exactly.
``unit_lot_ring_fence``
    a unit-priced lot beside a money lot, with a ring-fence the small members meet exactly.
``ten_million``
    a £10,000,000 lot, two members at exactly their 50% share caps, and perhaps a tiny third.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

__all__ = ["KINDS", "Case", "RandomSource", "Source", "build", "money", "seeded_cases"]


class Source(Protocol):
    """Where a builder's choices come from: Hypothesis' ``draw`` or a seeded generator."""

    def integer(self, low: int, high: int) -> int:
        """An integer in ``low..high`` (both included)."""
        ...


class RandomSource:
    """Choices from a seeded :class:`random.Random`: the same seed, the same problems."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


@dataclass(frozen=True, slots=True)
class Case:
    """A built problem (JSON-ready dict), whether it is feasible by construction, and why."""

    kind: str
    data: dict[str, Any]
    feasible: bool
    why: str


def money(p: int) -> str:
    """Pence as the input's money string."""
    return f"{p // 100}.{p % 100:02d}"


def _member(mid: str, income: int) -> dict[str, Any]:
    return {
        "id": mid,
        "membership": "full",
        "annual_income": money(income),
        "quality_score": 0.8,
        "qa_passed": True,
        "reporting_compliance": 0.9,
        "themes": ["advice"],
        "areas": ["Luton"],
    }


def _lot(lid: str, value: int, **extra: Any) -> dict[str, Any]:
    return {"id": lid, "value": money(value), "theme": "advice", "area": "Luton", **extra}


def _contract(cid: str, lots: list[dict[str, Any]]) -> dict[str, Any]:
    total = sum(round(Fraction(lot["value"]) * 100) for lot in lots)
    return {"id": cid, "commissioner": "Luton BC", "value": money(total), "lots": lots}


def _decimal(x: Fraction) -> str:
    """A rate or multiple with a finite decimal expansion, exactly (``1/8`` is ``"0.125"``)."""
    return str(Decimal(x.numerator) / Decimal(x.denominator))


def _top_slice(percent: int) -> dict[str, Any]:
    rate = _decimal(Fraction(percent, 100))
    return {"method": "fixed", "max_rate": rate, "target_rate": "0", "rate": rate}


def _value_for_pot(pot: int, percent: int) -> int:
    """The smallest contract value whose pot, after a fixed top-slice rounded down, is ``pot``.

    ``value − ⌊value × rate⌋`` grows by 0 or 1 with each penny of value, so every pot is reached.
    """
    value = max(pot, pot * 100 // (100 - percent) - 2)
    while value - value * percent // 100 < pot:
        value += 1
    assert value - value * percent // 100 == pot
    return value


def _above(src: Source, base: int, span: int) -> int:
    """``base`` or a little more: exactly it, a few pence over, or anything up to ``span`` over.

    Capacities just above a cap are where a rounding margin or a rounding step can cross it.
    """
    choice = src.integer(0, 2)
    if choice == 0:
        return base
    return base + src.integer(1, min(span, 200) if choice == 1 else max(span, 1))


def _split(src: Source, total: int, count: int, high: int) -> list[int]:
    """``count`` whole parts in ``1..high`` adding up to ``total`` (count ≤ total ≤ count·high)."""
    assert count <= total <= count * high, (total, count, high)
    parts = []
    left = total
    for i in range(count):
        rest = count - i - 1
        low = max(1, left - rest * high)
        top = min(high, left - rest)
        parts.append(src.integer(low, top))
        left -= parts[-1]
    return parts


def _problem(
    members: list[dict[str, Any]],
    contracts: list[dict[str, Any]],
    capacities: list[dict[str, Any]],
    policy: dict[str, Any],
    percent: int = 0,
) -> dict[str, Any]:
    return {
        "name": "boundary",
        "members": members,
        "contracts": contracts,
        "capacities": capacities,
        "hub": {"name": "hub"},
        "top_slice": _top_slice(percent),
        "policy": policy,
    }


def _percent(src: Source) -> int:
    """A fixed top-slice of 0%, 5% or 10%."""
    return (0, 5, 10)[src.integer(0, 2)]


# -- the kinds -------------------------------------------------------------------------------


def equal_share_caps(src: Source, short: bool) -> Case:
    n = (2, 4, 5, 8, 10)[src.integer(0, 4)]
    each = src.integer(2, 10**8 // n)  # pence: the pot is at most £1m
    pot = n * each
    caps = [_above(src, each, each) for _ in range(n)]
    if short:
        caps[0] = each - 1
    percent = _percent(src)
    value = _value_for_pot(pot, percent)
    ids = [f"m{i}" for i in range(n)]
    data = _problem(
        [_member(mid, 50_000_00) for mid in ids],
        [_contract("c0", [_lot("c0-l0", value)])],
        [
            {"member": mid, "lot": "c0-l0", "amount": money(c)}
            for mid, c in zip(ids, caps, strict=True)
        ],
        {"max_member_share": _decimal(Fraction(1, n))},
        percent,
    )
    if short:
        why = f"m0 can take {money(each - 1)}, the others their cap {money(each)}: a penny short"
    else:
        why = f"everyone at exactly its cap pot/{n} = {money(each)}, within its capacity"
    return Case("equal_share_caps", data, not short, why)


def share_caps_and_capacities(src: Source, short: bool) -> Case:
    steps = src.integer(2, 10)  # a share of steps/20: 0.1 .. 0.5
    k = src.integer(3, 5 * 10**6)
    pot = 20 * k
    cap = steps * k  # the share cap in pence, whole by construction
    capped = src.integer(1, (20 - 1) // steps)  # members held to the share cap: capped·cap < pot
    rest = pot - capped * cap
    count = min(rest, -(-rest // cap) + src.integer(0, 2))
    parts = _split(src, rest, count, cap)  # capacities of the others, each within the cap
    if short:
        parts[0] -= 1
    members, caps = [], []
    for i in range(capped):
        members.append(_member(f"a{i}", 50_000_00))
        caps.append({"member": f"a{i}", "lot": "c0-l0", "amount": money(_above(src, cap, pot))})
    for i, part in enumerate(parts):
        members.append(_member(f"b{i}", 50_000_00))
        caps.append({"member": f"b{i}", "lot": "c0-l0", "amount": money(part)})
    percent = _percent(src)
    share = _decimal(Fraction(steps, 20))
    data = _problem(
        members,
        [_contract("c0", [_lot("c0-l0", _value_for_pot(pot, percent))])],
        caps,
        {"max_member_share": share},
        percent,
    )
    why = (
        f"{capped} member(s) at exactly the share cap {money(cap)} and {count} at exactly their "
        f"capacities make up the pot {money(pot)}"
    )
    if short:
        why = "b0's capacity is a penny below that: " + why + " less a penny"
    return Case("share_caps_and_capacities", data, not short, why)


def dependency_caps(src: Source, short: bool) -> Case:
    n = src.integer(2, 6)
    q = src.integer(1, 12)  # max_dependency = q/4, so q/4 × income is whole pence
    units = [src.integer(250, 25_000_000) for _ in range(n)]  # income = 4 × units pence
    limits = [q * u for u in units]
    pot = sum(limits)
    two = src.integer(0, 1) == 1 and pot >= 2
    pots = [src.integer(1, pot - 1), 0] if two else [pot]
    if two:
        pots[1] = pot - pots[0]
    if short:
        pots[0] += 1
    percent = _percent(src)
    contracts = [
        _contract(f"c{j}", [_lot(f"c{j}-l{j}", _value_for_pot(p, percent))])
        for j, p in enumerate(pots)
    ]
    members = [_member(f"m{i}", 4 * u) for i, u in enumerate(units)]
    caps = [
        {"member": f"m{i}", "lot": c["lots"][0]["id"], "amount": money(_above(src, lim, lim))}
        for c in contracts
        for i, lim in enumerate(limits)
    ]
    multiple = Fraction(q, 4)
    data = _problem(
        members,
        contracts,
        caps,
        {"max_dependency": _decimal(multiple)},
        percent,
    )
    why = f"every member at exactly {multiple} × its income; together exactly the pot(s)"
    if short:
        why = "the first pot is a penny more than the dependency limits add up to"
    return Case("dependency_caps", data, not short, why)


def ring_fence(src: Source, short: bool) -> Case:
    steps = src.integer(1, 10)  # small_org_share = steps/20
    k = src.integer(1, 5 * 10**6)
    pot = 20 * k
    fence = steps * k
    n_small = min(fence, src.integer(1, 4))
    parts = _split(src, fence, n_small, fence)
    if short:
        parts[0] -= 1
    members, caps = [], []
    for i, part in enumerate(parts):
        income = src.integer(0, 10_000_000 - 1)  # micro or small: below £100,000
        members.append(_member(f"s{i}", income))
        caps.append({"member": f"s{i}", "lot": "c0-l0", "amount": money(part)})
    for i in range(src.integer(1, 3)):
        members.append(_member(f"L{i}", src.integer(10_000_000, 10**10)))  # medium and above
        caps.append({"member": f"L{i}", "lot": "c0-l0", "amount": money(_above(src, pot, pot))})
    percent = _percent(src)
    share = Fraction(steps, 20)
    data = _problem(
        members,
        [_contract("c0", [_lot("c0-l0", _value_for_pot(pot, percent))])],
        caps,
        {"small_org_share": _decimal(share)},
        percent,
    )
    why = f"the small members' capacities add up to exactly {share} × the pot = {money(fence)}"
    if short:
        why = f"the small members can take {money(fence - 1)}, a penny short of the ring-fence"
    return Case("ring_fence", data, not short, why)


def pooled_capacities(src: Source, short: bool) -> Case:
    n_lots, n = src.integer(2, 3), src.integer(2, 4)
    # the witness: what each member delivers on each lot
    x = [[src.integer(1, 10**6) for _ in range(n_lots)] for _ in range(n)]
    pools = [sum(row) for row in x]
    if short:
        pools[0] -= 1
    percent = _percent(src)
    contracts = [
        _contract(f"c{j}", [_lot(f"c{j}-l{j}", _value_for_pot(sum(r[j] for r in x), percent))])
        for j in range(n_lots)
    ]
    caps: list[dict[str, Any]] = []
    for i in range(n):
        caps.append({"member": f"m{i}", "theme": "advice", "amount": money(pools[i])})
        for j in range(n_lots):
            if src.integer(0, 1):  # a per-lot capacity too, never below the witness
                amount = _above(src, x[i][j], 10**6)
                caps.append({"member": f"m{i}", "lot": f"c{j}-l{j}", "amount": money(amount)})
    data = _problem([_member(f"m{i}", 50_000_00) for i in range(n)], contracts, caps, {}, percent)
    why = "the pools add up to exactly the lots' pots, and the witness fits every capacity"
    if short:
        why = "m0's pool is a penny short: the pools add up to a penny less than the pots"
    return Case("pooled_capacities", data, not short, why)


def min_award_one_unit(src: Source, short: bool) -> Case:
    units = src.integer(2, 20)
    price = (10_000, src.integer(100, 50_000))[src.integer(0, 1)]
    n = src.integer(2, units)
    counts = [1, *_split(src, units - 1, n - 1, units)]  # m0 has exactly one unit
    least = price + 1 if short else price
    data = _problem(
        [_member(f"m{i}", 50_000_00) for i in range(n)],
        [_contract("c0", [_lot("c0-l0", units * price, unit="client", unit_price=money(price))])],
        [{"member": f"m{i}", "lot": "c0-l0", "units": c} for i, c in enumerate(counts)],
        {"min_award": money(least)},
    )
    why = f"capacities fill the {units} units exactly; m0's one unit is worth the minimum award"
    if short:
        why = "the minimum award is a penny above m0's one unit, and without it the units are short"
    return Case("min_award_one_unit", data, not short, why)


def unit_lot_ring_fence(src: Source, short: bool) -> Case:
    steps = src.integer(1, 10)
    units, price = src.integer(1, 50), src.integer(100, 50_000)
    cash = src.integer(price, 10**7)  # the money lot: at least a unit's price (see below)
    pot = units * price + cash
    fence = math.ceil(Fraction(steps, 20) * pot)
    # small members take u units and the rest of the ring-fence in money; cash ≥ price leaves
    # such a u, with 1 ≤ money part ≤ cash
    low, high = max(0, -(-(fence - cash) // price)), min(units, (fence - 1) // price)
    u = src.integer(low, high)
    m = fence - u * price
    n_small = src.integer(1, 2) if m >= 2 else 1
    money_parts = _split(src, m, n_small, m)
    if short:
        money_parts[0] -= 1
    unit_parts = [src.integer(0, u)] if n_small == 2 else []
    unit_parts = [u - sum(unit_parts), *unit_parts]
    members: list[dict[str, Any]] = []
    caps: list[dict[str, Any]] = []
    for i in range(n_small):
        members.append(_member(f"s{i}", src.integer(0, 10_000_000 - 1)))
        if money_parts[i]:
            caps.append({"member": f"s{i}", "lot": "c0-cash", "amount": money(money_parts[i])})
        if unit_parts[i]:
            caps.append({"member": f"s{i}", "lot": "c0-units", "units": unit_parts[i]})
    for i in range(src.integer(1, 2)):
        members.append(_member(f"L{i}", src.integer(10_000_000, 10**10)))
        caps.append({"member": f"L{i}", "lot": "c0-cash", "amount": money(cash)})
        caps.append({"member": f"L{i}", "lot": "c0-units", "units": units})
    share = Fraction(steps, 20)
    lots = [
        _lot("c0-units", units * price, unit="client", unit_price=money(price)),
        _lot("c0-cash", cash),
    ]
    data = _problem(
        members,
        [_contract("c0", lots)],
        caps,
        {"small_org_share": _decimal(share)},
    )
    why = (
        f"small members take {u} unit(s) and {money(m)}: exactly the ring-fence "
        f"{money(fence)}; the large members take the rest"
    )
    if short:
        why = f"small members can take a penny less than the ring-fence {money(fence)}"
    return Case("unit_lot_ring_fence", data, not short, why)


def ten_million(src: Source, short: bool) -> Case:
    pot = 10**9  # £10,000,000.00
    third = not short and src.integer(0, 1) == 1
    value = pot + 1 if short else pot
    members = [_member("a", 5 * 10**8), _member("b", 5 * 10**8)]
    caps = [
        {"member": mid, "lot": "c0-l0", "amount": money(_above(src, pot // 2, pot // 2))}
        for mid in ("a", "b")
    ]
    tiny = src.integer(1, (200, 100_000)[src.integer(0, 1)])
    if third:
        members.append(_member("c", 5_000_00))
        caps.append({"member": "c", "lot": "c0-l0", "amount": money(tiny)})
    data = _problem(
        members,
        [_contract("c0", [_lot("c0-l0", value)])],
        caps,
        {"max_member_share": "0.5"},
    )
    why = "a and b at exactly half of £10,000,000 each (less the third member's tiny part)"
    if short:
        why = "£10,000,000.01 between two members held to half of it each, rounded down"
    return Case("ten_million", data, not short, why)


#: Every kind of boundary-tight problem, by name.
KINDS: dict[str, Callable[[Source, bool], Case]] = {
    f.__name__: f
    for f in (
        equal_share_caps,
        share_caps_and_capacities,
        dependency_caps,
        ring_fence,
        pooled_capacities,
        min_award_one_unit,
        unit_lot_ring_fence,
        ten_million,
    )
}


def build(src: Source, kind: str, *, short: bool = False) -> Case:
    """One problem of ``kind``: boundary-tight, or its just-infeasible twin when ``short``."""
    return KINDS[kind](src, short)


def seeded_cases(count: int, seed: int = 0, kinds: list[str] | None = None) -> Iterator[Case]:
    """``count`` cases, deterministic for a seed: every kind in turn, tight and short alike."""
    names = kinds or list(KINDS)
    src = RandomSource(seed)
    for n in range(count):
        yield build(src, names[n % len(names)], short=(n // len(names)) % 2 == 1)
