"""Hypothesis strategies for valid consortium problems, valid by construction.

Nothing here filters: every drawn value is a valid :class:`~allocate.Problem` (``model_validate``
never raises), and with ``feasible=True`` (the default) eligible capacity can absorb every lot, so
without side-constraints :func:`allocate.solve` always finds an allocation.  Problems are small
(a handful of members and lots) so that a property can solve many of them in seconds, and they
shrink towards the simplest consortium: one member, one lot of £1, the proportional rule.

What a problem is made of:

* **members** with realistic incomes: a size band drawn with the sector's frequencies (NCVO
  Almanac: about 46% micro, 36% small, 14% medium, 3% large, under 1% major), then an income in
  the band; scores in steps of 0.05 and never zero (so every eligible member has a positive
  weight under the weighted rules); some associates, some that failed QA, some below the
  thresholds (``ineligible=True``);
* **contracts** split into **lots**, each with a theme and an area, some priced per unit
  (``unit_priced=True``), with a term, a contract year and the hub's top-slice policy (every
  method: ``fixed``, ``glide_path``, ``cost_recovery`` with the hub's annual cost);
* **capacities**: per lot, in money or units; each lot has at least one *provider* — a member
  eligible for it by construction — and providers' capacity covers the lot (``feasible=True``),
  with room to lose any one member (``robust=True``);
* a **policy**: the rule (any of :data:`RULES` or those asked for), the weight factor, the
  thresholds and the side-constraints asked for (:data:`SIDE_CONSTRAINTS`).

Every problem drawn under a Hypothesis test is recorded with :func:`hypothesis.note` as JSON, so
a failing test prints its minimal counter-example ready for ``allocate solve problem.json``.

Examples
--------
>>> from hypothesis import given
>>> from allocate import solve
>>> from allocate.testing import assert_valid_allocation
>>> @given(problems(max_members=4, max_lots=2, rules=["talmud"]))
... def test_talmud_allocations_are_valid(problem):
...     assert_valid_allocation(problem, solve(problem), require_ok=True)

Side-constraints are switched on by name; ``"any"`` draws a subset:

>>> strategy = problems(side_constraints=["min_award", "max_member_share"], feasible=False)
>>> strategy = problems(side_constraints="any")
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from allocate.core import families
from allocate.core.model import (
    Problem,
    Rule,
    SizeBand,
    TopSliceMethod,
    TopSlicePolicy,
    WeightFactor,
)

__all__ = [
    "AREAS",
    "RULES",
    "SIDE_CONSTRAINTS",
    "TENDER_CRITERIA",
    "THEMES",
    "TOP_SLICE_METHODS",
    "incomes",
    "problem_dicts",
    "problems",
    "scores",
    "tender_problem_dicts",
    "tender_problems",
    "top_slice_policies",
]

#: Service themes the strategies draw from.
THEMES: tuple[str, ...] = ("advice", "health", "employment")
#: Areas the strategies draw from.
AREAS: tuple[str, ...] = ("Luton", "Bedford", "Central Bedfordshire")
#: Every fairness rule.
RULES: tuple[Rule, ...] = tuple(Rule)
#: Every top-slice method.
TOP_SLICE_METHODS: tuple[TopSliceMethod, ...] = tuple(TopSliceMethod)
#: Side-constraints :func:`problems` can switch on, by the registry's switch names
#: (:mod:`allocate.core.families`): the policy's six, plus ``exclusions`` (member/lot and
#: member/contract pairs) and ``pooled_capacities`` (theme/area pools).
SIDE_CONSTRAINTS: tuple[str, ...] = tuple(f.switch for f in families.FAMILIES)

# Size bands by annual income, with the sector's frequencies per thousand organisations and the
# income range drawn in each (pence; the major band is capped at £50m).
_BANDS: tuple[tuple[int, SizeBand, int, int], ...] = (
    (460, SizeBand.MICRO, 0, 999_999),
    (820, SizeBand.SMALL, 1_000_000, 9_999_999),
    (965, SizeBand.MEDIUM, 10_000_000, 99_999_999),
    (995, SizeBand.LARGE, 100_000_000, 999_999_999),
    (1000, SizeBand.MAJOR, 1_000_000_000, 5_000_000_000),
)


def _money(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


# Draw helpers that reuse Hypothesis' cached integer strategies: building a new strategy object
# on every draw (a sampled_from of a fresh list, a mapped lambda) costs more than the draw.
_BOOL = st.booleans()


def _int(draw: st.DrawFn, low: int, high: int) -> int:
    return draw(st.integers(low, high))


def _pick[T](draw: st.DrawFn, options: Sequence[T]) -> T:
    return options[draw(st.integers(0, len(options) - 1))]


def _subset[T](draw: st.DrawFn, options: Sequence[T], max_size: int | None = None) -> list[T]:
    chosen = [x for x in options if draw(_BOOL)]
    return chosen if max_size is None else chosen[:max_size]


def _score(draw: st.DrawFn, minimum: float = 0.05) -> float:
    return _int(draw, max(1, round(minimum * 20 + 0.4999)), 20) / 20


def incomes(bands: Collection[SizeBand] | None = None) -> st.SearchStrategy[Decimal]:
    """Annual incomes with the sector's spread of size bands (shrinking towards micro).

    Parameters
    ----------
    bands
        Only draw incomes in these bands (all when None).

    Examples
    --------
    >>> from hypothesis import find
    >>> find(incomes([SizeBand.LARGE]), lambda x: True)
    Decimal('1000000.00')
    """
    allowed = [b for b in _BANDS if bands is None or b[1] in set(bands)]
    if not allowed:
        raise InvalidArgument("incomes() needs at least one size band")

    @st.composite
    def draw_income(draw: st.DrawFn) -> Decimal:
        roll = draw(st.integers(0, 999))
        band = next((b for b in allowed if roll < b[0]), allowed[-1])
        return Decimal(_money(draw(st.integers(band[2], band[3]))))

    return draw_income()


def scores(minimum: float = 0.05) -> st.SearchStrategy[float]:
    """Scores from ``minimum`` to 1 in steps of 0.05, as assessors give them (never zero).

    >>> from hypothesis import find
    >>> find(scores(0.5), lambda x: True)
    0.5
    """
    if not 0 < minimum <= 1:
        raise InvalidArgument(f"minimum must be in (0, 1], not {minimum}")
    low = max(1, round(minimum * 20 + 0.4999))
    return st.integers(low, 20).map(_twentieths)


def _twentieths(k: int) -> float:
    return k / 20


def top_slice_policies(
    methods: Iterable[TopSliceMethod | str] | None = None, *, max_rate: float = 0.2
) -> st.SearchStrategy[TopSlicePolicy]:
    """Valid top-slice policies: every method, rates in steps of 0.5%, target ≤ max.

    Parameters
    ----------
    methods
        Methods to draw from (all when None).
    max_rate
        The largest ``max_rate`` drawn (the founding rule is 10%; up to 1 is valid).

    Examples
    --------
    >>> from hypothesis import find
    >>> find(top_slice_policies(["glide_path"]), lambda t: True).method.value
    'glide_path'
    """
    chosen = _methods(methods)
    top = round(max_rate * 200)
    if not 0 <= top <= 200:
        raise InvalidArgument(f"max_rate must be in 0..1, not {max_rate}")

    @st.composite
    def draw_policy(draw: st.DrawFn) -> TopSlicePolicy:
        method = _pick(draw, chosen)
        hi = _int(draw, 0, top)
        lo = _int(draw, 0, hi)
        data: dict[str, Any] = {
            "method": method.value,
            "max_rate": str(Decimal(hi) / 200),
            "target_rate": str(Decimal(lo) / 200),
        }
        if method is TopSliceMethod.FIXED and draw(_BOOL):
            data["rate"] = str(Decimal(_int(draw, 0, hi)) / 200)
        if method is TopSliceMethod.GLIDE_PATH:
            data["target_year"] = _int(draw, 1, 6)
        return TopSlicePolicy.model_validate(data)

    return draw_policy()


_INCOMES = incomes()
_FACTORS: tuple[WeightFactor, ...] = tuple(WeightFactor)
_BANDS_ALL: tuple[SizeBand, ...] = tuple(SizeBand)


def _methods(methods: Iterable[TopSliceMethod | str] | None) -> list[TopSliceMethod]:
    chosen = list(TOP_SLICE_METHODS) if methods is None else [TopSliceMethod(m) for m in methods]
    if not chosen:
        raise InvalidArgument("give at least one top-slice method")
    return chosen


def _rules(rules: Rule | str | Iterable[Rule | str] | None) -> list[Rule]:
    if rules is None:
        return list(RULES)
    if isinstance(rules, str):
        return [Rule(rules)]
    chosen = [Rule(r) for r in rules]
    if not chosen:
        raise InvalidArgument("give at least one rule")
    return chosen


def _check_sizes(
    min_members: int,
    max_members: int,
    max_contracts: int,
    max_lots: int,
    robust: bool,
    max_lot_value: int,
) -> None:
    """Reject sizes no problem can have, before any draw."""
    if not 1 <= min_members <= max_members:
        raise InvalidArgument(f"need 1 <= min_members <= max_members, not {min_members}..")
    if max_lots < 1 or max_contracts < 1:
        raise InvalidArgument("max_lots and max_contracts must be at least 1")
    if robust and max_members < 2:
        raise InvalidArgument("robust=True needs max_members >= 2 (two providers per lot)")
    if max_lot_value < 1:
        raise InvalidArgument("max_lot_value is in pounds and must be at least 1")


def _side(
    side_constraints: Iterable[str] | Literal["any"], max_members: int
) -> tuple[bool, list[str]]:
    """Whether to draw a subset, and of which switch names (exclusions need two members)."""
    any_side = side_constraints == "any"
    names = list(SIDE_CONSTRAINTS if side_constraints == "any" else side_constraints)
    unknown = [n for n in names if n not in SIDE_CONSTRAINTS]
    if unknown:
        raise InvalidArgument(f"unknown side-constraint(s) {unknown}; see SIDE_CONSTRAINTS")
    if max_members < 2 and families.EXCLUSIONS.switch in names:
        if not any_side:
            raise InvalidArgument("exclusions need max_members >= 2 (someone to fall back on)")
        names.remove(families.EXCLUSIONS.switch)
    return any_side, names


@dataclass(frozen=True, slots=True)
class _Options:
    """What :func:`problem_dicts` was asked for, checked once before any draw."""

    min_members: int
    max_members: int
    max_contracts: int
    max_lots: int
    rules: tuple[Rule, ...]
    any_side: bool
    side_names: tuple[str, ...]
    top_policies: st.SearchStrategy[TopSlicePolicy]
    unit_priced: bool
    ineligible: bool
    feasible: bool
    robust: bool
    max_lot_value: int


@dataclass(slots=True)
class _Draft:
    """A problem being drawn: its JSON-ready parts, and what later draws need to know of them."""

    side: set[str]
    """Switch names of the side-constraints on in this problem."""
    policy: dict[str, Any]
    q_min: float = 0.0
    r_min: float = 0.0
    members: list[dict[str, Any]] = field(default_factory=list)
    core: list[int] = field(default_factory=list)
    """Members that pass every member-level test: potential providers of any lot."""
    lots: list[dict[str, Any]] = field(default_factory=list)
    lot_contract: list[int] = field(default_factory=list)
    """The contract of each lot, by position."""
    sizes: list[int] = field(default_factory=list)
    """How many lots each contract has."""
    excluded: set[tuple[int, int]] = field(default_factory=set)
    """(member, lot) positions the exclusions bar."""
    capacities: list[dict[str, Any]] = field(default_factory=list)


def problem_dicts(
    *,
    min_members: int = 1,
    max_members: int = 6,
    max_contracts: int = 2,
    max_lots: int = 4,
    rules: Rule | str | Iterable[Rule | str] | None = None,
    side_constraints: Iterable[str] | Literal["any"] = (),
    top_slice_methods: Iterable[TopSliceMethod | str] | None = None,
    max_rate: float = 0.2,
    unit_priced: bool = True,
    ineligible: bool = True,
    feasible: bool = True,
    robust: bool = False,
    max_lot_value: int = 2_000_000,
) -> st.SearchStrategy[dict[str, Any]]:
    """Problems as JSON-ready dicts (the input of ``Problem.model_validate``); see :func:`problems`.

    Useful to edit a drawn problem before validating it (to make it invalid on purpose, say).

    >>> from hypothesis import find
    >>> data = find(problem_dicts(), lambda d: True)
    >>> sorted(data)
    ['capacities', 'contracts', 'hub', 'members', 'policy', 'top_slice']
    """
    _check_sizes(min_members, max_members, max_contracts, max_lots, robust, max_lot_value)
    chosen_rules = _rules(rules)
    any_side, side_names = _side(side_constraints, max_members)
    options = _Options(
        min_members=min_members,
        max_members=max_members,
        max_contracts=max_contracts,
        max_lots=max_lots,
        rules=tuple(chosen_rules),
        any_side=any_side,
        side_names=tuple(side_names),
        top_policies=top_slice_policies(_methods(top_slice_methods), max_rate=max_rate),
        unit_priced=unit_priced,
        ineligible=ineligible,
        feasible=feasible or robust,
        robust=robust,
        max_lot_value=max_lot_value,
    )

    return st.composite(_draw_problem)(options)


def _draw_problem(draw: st.DrawFn, options: _Options) -> dict[str, Any]:
    """One problem, part by part; every part after the members may depend on the ones before."""
    side = set(options.side_names)
    if options.any_side:
        side = set(_subset(draw, options.side_names))
    draft = _Draft(side=side, policy={})
    _draw_members(draw, options, draft)
    _draw_lots(draw, options, draft)
    if families.CASE_MIX.switch in side:
        _draw_client_groups(draw, draft.lots)
    if families.EXCLUSIONS.switch in side:
        _draw_exclusions(draw, options, draft)
    _draw_capacities(draw, options, draft)
    if families.POOLED_CAPACITY.switch in side:
        _draw_pools(draw, draft)
    contracts = _draw_contracts(draw, draft)
    top_slice = draw(options.top_policies)
    annual = sum(int(Decimal(c["value"]) * 100) // int(c["term_years"]) for c in contracts)
    hub = {"name": "hub", "annual_cost": _money(max(1, annual * _int(draw, 0, 250) // 1000))}
    _side_policy(draw, side, draft.policy, draft.lots, draft.members)
    return {
        "members": draft.members,
        "contracts": contracts,
        "capacities": draft.capacities,
        "hub": hub,
        "top_slice": top_slice.model_dump(mode="json"),
        "policy": draft.policy,
    }


def _draw_members(draw: st.DrawFn, options: _Options, draft: _Draft) -> None:
    """The rule, the thresholds, then the members: the first always a potential provider."""
    # an exclusion needs another potential provider to fall back on, as does robustness
    pair = options.robust or families.EXCLUSIONS.switch in draft.side
    n = _int(draw, max(options.min_members, 2 if pair else 1), options.max_members)
    rule = _pick(draw, options.rules)
    draft.policy["rule"] = rule.value
    if rule.is_weighted:
        draft.policy["weight_factor"] = _pick(draw, _FACTORS).value
    if options.ineligible and draw(_BOOL):
        draft.q_min = _int(draw, 0, 12) / 20
        draft.r_min = _int(draw, 0, 12) / 20
        draft.policy["quality_threshold"] = draft.q_min
        draft.policy["reporting_threshold"] = draft.r_min
    for i in range(n):
        able = i == 0 or (pair and i == 1) or not options.ineligible or _int(draw, 0, 3) < 3
        m = _draw_member(draw, i, draft.q_min if able else None, draft.r_min)
        draft.members.append(m)
        passes = m["quality_score"] >= draft.q_min and m["reporting_compliance"] >= draft.r_min
        if m["membership"] == "full" and m["qa_passed"] and passes:
            draft.core.append(i)


def _draw_member(draw: st.DrawFn, i: int, q_min: float | None, r_min: float) -> dict[str, Any]:
    """Member ``m<i>``: able (``q_min`` given) passes every member-level test, others may not."""
    if q_min is not None:
        quality = _score(draw, max(q_min, 0.05))
        reporting = _score(draw, max(r_min, 0.05))
        membership, qa = "full", True
    else:
        quality = _score(draw)
        reporting = _score(draw)
        membership = _pick(draw, ("full", "associate"))
        qa = draw(_BOOL)
    m: dict[str, Any] = {
        "id": f"m{i}",
        "membership": membership,
        "annual_income": str(draw(_INCOMES)),
        "quality_score": quality,
        "qa_passed": qa,
        "reporting_compliance": reporting,
        "themes": _subset(draw, THEMES, 2),
        "areas": _subset(draw, AREAS, 2),
    }
    if draw(_BOOL):
        m["impact_score"] = _score(draw)
    return m


def _draw_lots(draw: st.DrawFn, options: _Options, draft: _Draft) -> None:
    """Lots, grouped into contracts (each contract at least one lot)."""
    n_lots = _int(draw, 1, options.max_lots)
    n_contracts = _int(draw, 1, min(options.max_contracts, n_lots))
    draft.sizes = [1] * n_contracts
    for _ in range(n_lots - n_contracts):
        draft.sizes[_int(draw, 0, n_contracts - 1)] += 1
    for c, size in enumerate(draft.sizes):
        for _ in range(size):
            j = len(draft.lots)
            lot: dict[str, Any] = {
                "id": f"c{c}-l{j}",
                "theme": _pick(draw, THEMES),
                "area": _pick(draw, AREAS),
            }
            if options.unit_priced and _int(draw, 0, 3) == 3:
                price = _int(draw, 100, 50_000)
                top_units = max(1, min(500, options.max_lot_value * 100 // price))
                units = _int(draw, 1, top_units)
                lot.update(value=_money(units * price), unit="client", unit_price=_money(price))
            else:
                lot["value"] = _money(_int(draw, 100, options.max_lot_value * 100))
            draft.lots.append(lot)
            draft.lot_contract.append(c)


def _draw_client_groups(draw: st.DrawFn, lots: list[dict[str, Any]]) -> None:
    """Client groups and services for the case mix, one service with both groups."""
    for lot in lots:
        group = _pick(draw, (None, "standard", "hard_to_help"))
        if group is not None:
            lot["client_group"] = group
            if draw(_BOOL):
                lot["service"] = "casework"
    if len(lots) >= 2:  # make sure one service has both client groups
        lots[0].update(client_group="standard", service="casework")
        lots[1].update(client_group="hard_to_help", service="casework")


def _draw_exclusions(draw: st.DrawFn, options: _Options, draft: _Draft) -> None:
    """Exclusions from a lot or a contract, never of a lot's last potential provider."""
    n, n_lots, n_contracts = len(draft.members), len(draft.lots), len(draft.sizes)
    exclusions: list[dict[str, Any]] = []
    for _ in range(_int(draw, 1, 3)):
        i = _int(draw, 0, n - 1)
        if draw(_BOOL):
            j = _int(draw, 0, n_lots - 1)
            hit = {j}
            target: dict[str, str] = {"lot": draft.lots[j]["id"]}
        else:
            c = _int(draw, 0, n_contracts - 1)
            hit = {j for j in range(n_lots) if draft.lot_contract[j] == c}
            target = {"contract": f"c{c}"}
        keep = 2 if options.robust else 1  # potential providers each lot must keep
        if all(
            sum(1 for k in draft.core if k != i and (k, j) not in draft.excluded) >= keep
            for j in hit
        ):
            draft.excluded |= {(i, j) for j in hit}
            exclusions.append({"member": f"m{i}", **target, "reason": "conflict of interest"})
    draft.policy["exclusions"] = exclusions


def _draw_capacities(draw: st.DrawFn, options: _Options, draft: _Draft) -> None:
    """Per-lot capacities: providers eligible by construction that cover the lot, and others.

    Under a share cap, two providers where possible (one alone would have to exceed the cap).
    """
    spread = families.MAX_MEMBER_SHARE.switch in draft.side
    n = len(draft.members)
    for j, lot in enumerate(draft.lots):
        unit = int(Decimal(lot["unit_price"]) * 100) if "unit_price" in lot else None
        value = int(Decimal(lot["value"]) * 100)
        need = value // unit if unit else value
        candidates = [i for i in draft.core if (i, j) not in draft.excluded]
        least = 2 if options.robust or (len(candidates) > 1 and spread) else 1
        providers = _subset(draw, candidates)
        for i in candidates:  # top up to the least number, in order
            if len(providers) < least and i not in providers:
                providers.append(i)
        providers.sort()
        others = [i for i in range(n) if i not in providers and _int(draw, 0, 2) == 2]
        quantity: dict[int, int] = {}
        for i in providers + others:
            permille = _int(draw, 0 if i in others else 1, 1500)
            quantity[i] = max(0 if i in others else 1, need * permille // 1000)
        if options.feasible:
            _cover(quantity, providers, need, options.robust or (spread and len(providers) > 1))
        for i in providers:
            _serve(draft.members[i], lot)
        for i in others:
            if not options.ineligible or draw(_BOOL):
                _serve(draft.members[i], lot)
        for i in sorted(quantity):
            cap: dict[str, Any] = {"member": f"m{i}", "lot": lot["id"]}
            if unit is None:
                cap["amount"] = _money(quantity[i])
            elif _int(draw, 0, 3) == 3:  # an amount buys its whole units
                cap["amount"] = _money(quantity[i] * unit + _int(draw, 0, unit - 1))
            else:
                cap["units"] = quantity[i]
            draft.capacities.append(cap)


def _draw_pools(draw: st.DrawFn, draft: _Draft) -> None:
    """One or two pooled capacities by theme, area or both (never two alike for a member)."""
    for _ in range(_int(draw, 1, 2)):
        i = _int(draw, 0, len(draft.members) - 1)
        j = _int(draw, 0, len(draft.lots) - 1)
        key = _pick(draw, ("theme", "area", "both"))
        pool: dict[str, Any] = {"member": f"m{i}"}
        if key in ("theme", "both"):
            pool["theme"] = draft.lots[j]["theme"]
        if key in ("area", "both"):
            pool["area"] = draft.lots[j]["area"]
        if any(
            p["member"] == pool["member"]
            and p.get("theme") == pool.get("theme")
            and p.get("area") == pool.get("area")
            for p in draft.capacities
            if "lot" not in p
        ):
            continue
        pool["amount"] = _money(
            int(Decimal(draft.lots[j]["value"]) * 100) * _int(draw, 500, 2000) // 1000
        )
        draft.capacities.append(pool)


def _draw_contracts(draw: st.DrawFn, draft: _Draft) -> list[dict[str, Any]]:
    """The contracts, each worth the sum of its lots, with a term and a year within it."""
    contracts: list[dict[str, Any]] = []
    for c in range(len(draft.sizes)):
        own = [lot for j, lot in enumerate(draft.lots) if draft.lot_contract[j] == c]
        term = _int(draw, 1, 5)
        contracts.append(
            {
                "id": f"c{c}",
                "commissioner": "Luton BC",
                "value": _money(sum(int(Decimal(lot["value"]) * 100) for lot in own)),
                "year": _int(draw, 1, term),
                "term_years": term,
                "lots": own,
            }
        )
    return contracts


def _serve(member: dict[str, Any], lot: dict[str, Any]) -> None:
    member["themes"] = sorted({*member["themes"], lot["theme"]})
    member["areas"] = sorted({*member["areas"], lot["area"]})


def _cover(quantity: dict[int, int], providers: list[int], need: int, robust: bool) -> None:
    """Top up providers so that they cover the lot (without any one of them, when robust)."""

    def short() -> int:
        caps = [quantity[i] for i in providers]
        return need - (sum(caps) - (max(caps) if robust else 0))

    while short() > 0:
        smallest = min(providers, key=lambda i: (quantity[i], i))
        quantity[smallest] += short()


def _side_policy(
    draw: st.DrawFn,
    side: set[str],
    policy: dict[str, Any],
    lots: list[dict[str, Any]],
    members: list[dict[str, Any]],
) -> None:
    """Parameters of the side-constraints switched on, in ranges where they often bind.

    In the registry's order, each family's value in whole steps of its ``draw`` range; a family
    without one (the minimum award) is drawn from the lots' values.
    """
    for family in families.policy_settings():
        if family.switch not in side or family.setting is None:
            continue
        if family.draw is None:
            # a share of the smallest lot, so that the minimum award can bind
            smallest = min(int(Decimal(lot["value"]) * 100) for lot in lots)
            policy[family.setting] = _money(max(1, smallest * _int(draw, 1, 300) // 1000))
            continue
        low, high = family.draw.values()
        per_unit = int(1 / family.draw.step)  # steps in a whole: every range's step divides 1
        if family is families.MAX_MEMBER_SHARE:
            # never below an equal split between all members: a lower cap leaves money to nobody
            low = max(low, -(-per_unit // len(members)))
        steps = _int(draw, low, high)
        # a count as an int; a share or multiple divided by the whole number of steps in 1, which
        # keeps the shortest exact decimal ("0.5", not "0.50")
        policy[family.setting] = steps if per_unit == 1 else str(Decimal(steps) / per_unit)
        if family is families.CASH_FLOW:
            # the condition needs every member's reserves: one to twelve months of income
            for m in members:
                months = _int(draw, 1, 12)
                m["reserves"] = _money(int(Decimal(m["annual_income"]) * 100) * months // 12)
        if family is families.SMALL_ORG_SHARE and draw(_BOOL):
            bands = _subset(draw, _BANDS_ALL) or [SizeBand.MICRO]
            policy["small_org_bands"] = sorted(b.value for b in bands)


def _validated(data: dict[str, Any]) -> Problem:
    problem = Problem.model_validate(data)
    # outside a test (find(), example()) there is nothing to note into
    with contextlib.suppress(InvalidArgument):
        note(
            "problem (save as problem.json; replay with `allocate solve problem.json`):\n"
            + problem.model_dump_json(indent=2)
        )
    return problem


def problems(
    *,
    min_members: int = 1,
    max_members: int = 6,
    max_contracts: int = 2,
    max_lots: int = 4,
    rules: Rule | str | Iterable[Rule | str] | None = None,
    side_constraints: Iterable[str] | Literal["any"] = (),
    top_slice_methods: Iterable[TopSliceMethod | str] | None = None,
    max_rate: float = 0.2,
    unit_priced: bool = True,
    ineligible: bool = True,
    feasible: bool = True,
    robust: bool = False,
    max_lot_value: int = 2_000_000,
) -> st.SearchStrategy[Problem]:
    """Valid :class:`~allocate.Problem` instances, built so that no draw is ever rejected.

    Parameters
    ----------
    min_members, max_members
        How many members (potential providers and others).
    max_contracts, max_lots
        At most this many contracts and lots in all (every contract has at least one lot).
    rules
        A rule or rules to draw from (all six when None).
    side_constraints
        Names from :data:`SIDE_CONSTRAINTS` switched **on** in every problem, or ``"any"`` to
        draw a subset.  Their parameters are drawn in ranges where they often bind; such
        problems may then have no allocation (``solve`` says ``infeasible``).
    top_slice_methods
        Top-slice methods to draw from (all when None).
    max_rate
        The largest top-slice ``max_rate`` drawn.
    unit_priced
        Whether some lots are priced per unit (capacities then in units or in money).
    ineligible
        Whether some members are associates, failed QA, fall below the drawn thresholds, or
        declare capacity on lots outside their themes and areas.  With False every member that
        declares capacity on a lot is eligible for it (unless an exclusion says otherwise).
    feasible
        Every lot's providers can absorb it (eligible capacity ≥ lot value, or its units).
    robust
        Moreover, any one member may leave and every lot stays covered (for population
        monotonicity); implies ``feasible`` and at least two members.
    max_lot_value
        Largest value of a money lot, in pounds (lots are at least £1).

    Returns
    -------
    SearchStrategy[Problem]
        Members ``m0, m1, …``, contracts ``c0, c1, …``, lots ``c<k>-l<j>``.  Each drawn problem
        is noted (:func:`hypothesis.note`) as JSON for replay.

    Examples
    --------
    >>> from hypothesis import find
    >>> p = find(problems(), lambda p: True)
    >>> len(p.members), len(p.contracts), len(p.lots)
    (1, 1, 1)
    >>> p = find(problems(min_members=3, max_members=3, max_lots=2, rules="talmud"),
    ...          lambda p: len(p.lots) == 2)
    >>> len(p.members), len(p.lots), p.policy.rule.value
    (3, 2, 'talmud')
    """
    return problem_dicts(
        min_members=min_members,
        max_members=max_members,
        max_contracts=max_contracts,
        max_lots=max_lots,
        rules=rules,
        side_constraints=side_constraints,
        top_slice_methods=top_slice_methods,
        max_rate=max_rate,
        unit_priced=unit_priced,
        ineligible=ineligible,
        feasible=feasible,
        robust=robust,
        max_lot_value=max_lot_value,
    ).map(_validated)


# -- sub-tendered problems ----------------------------------------------------------------------

#: The award criteria a tender policy weighs (``price`` only in ``price_quality`` competitions).
TENDER_CRITERIA: tuple[str, ...] = ("quality", "social_value", "impact", "capacity", "price")


def tender_problem_dicts(
    *,
    min_members: int = 2,
    max_members: int = 5,
    max_contracts: int = 2,
    max_lots: int = 3,
    competitions: Iterable[str] = ("fixed_price", "price_quality"),
    max_winners: Iterable[int | None] = (1, 2, None),
    splits: Iterable[str] = ("rank_order", "score_proportional"),
    savings: Iterable[str] = ("more_units", "other_winners"),
    side_constraints: Iterable[str] | Literal["any"] = (),
    unit_priced: bool = True,
    feasible: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Problems with sub-tendered lots, as JSON-ready dicts; see :func:`tender_problems`.

    >>> from hypothesis import find
    >>> data = find(tender_problem_dicts(), lambda d: True)
    >>> data["contracts"][0]["lots"][0]["award"], sorted(data["bids"][0])
    ('sub_tender', ['impact', 'lot', 'member', 'quality', 'social_value'])
    """
    chosen = {
        "competitions": tuple(competitions),
        "max_winners": tuple(max_winners),
        "splits": tuple(splits),
        "savings": tuple(savings),
    }
    if not all(chosen.values()):
        raise InvalidArgument("give at least one competition, max_winners, split and saving")
    base = problem_dicts(
        min_members=max(1, min_members),
        max_members=max_members,
        max_contracts=max_contracts,
        max_lots=max_lots,
        side_constraints=[s for s in side_constraints if s != families.POOLED_CAPACITY.switch]
        if side_constraints != "any"
        else "any",
        unit_priced=unit_priced,
        feasible=feasible,
    )

    @st.composite
    def draw_tender(draw: st.DrawFn) -> dict[str, Any]:
        data = draw(base)
        # pooled capacities bound a bidder's whole pool; keep the bid's claim on its lot plain
        data["capacities"] = [c for c in data["capacities"] if c.get("lot") is not None]
        lots = [lot for c in data["contracts"] for lot in c["lots"]]
        tendered = [lots[0], *(lot for lot in lots[1:] if draw(_BOOL))]
        competition = _pick(draw, chosen["competitions"])
        on_price = competition == "price_quality"
        criteria = [c for c in TENDER_CRITERIA if c != "price" or on_price]
        # weights in twentieths summing to 20, quality (and price, when bid) always weighed
        parts = [1] + [0] * (len(criteria) - 1)
        if on_price:
            parts[-1] = 1
        for _ in range(20 - sum(parts)):
            parts[_int(draw, 0, len(criteria) - 1)] += 1
        weights = {c: str(Decimal(k) / 20) for c, k in zip(criteria, parts, strict=True)}
        weights.update({c: "0" for c in TENDER_CRITERIA if c not in weights})
        min_quality = _int(draw, 0, 8) / 20
        data["policy"]["tender"] = {
            "competition": competition,
            "weights": weights,
            "min_quality": min_quality,
            "max_winners": _pick(draw, chosen["max_winners"]),
            "split": _pick(draw, chosen["splits"]),
            "saving": _pick(draw, chosen["savings"]),
        }
        bids = []
        for lot in tendered:
            lot["award"] = "sub_tender"
            declared = {c["member"] for c in data["capacities"] if c["lot"] == lot["id"]}
            unit = lot.get("unit_price")
            whole = Decimal(unit) if unit else Decimal(lot["value"])
            for m in data["members"]:
                # a member that declared capacity on the lot bids at least the minimum quality,
                # so the providers still cover the lot; every price is 70-80% of the lot's (never
                # above its member pot, as the top-slice is at most 20%, and never abnormally low
                # against the others), so no bid fails on price
                safe = m["id"] in declared
                if not safe and not draw(_BOOL):
                    continue
                bid: dict[str, Any] = {
                    "member": m["id"],
                    "lot": lot["id"],
                    "quality": _score(draw, min_quality) if safe else _score(draw),
                    "social_value": _int(draw, 0, 20) / 20,
                    "impact": _int(draw, 0, 20) / 20,
                }
                if on_price:
                    permille = _int(draw, 700, 800)
                    bid["price"] = _money(max(1, int(whole * 100) * permille // 1000))
                if not safe and draw(_BOOL):
                    bid["capacity"] = _money(_int(draw, 0, int(Decimal(lot["value"]) * 100)))
                bids.append(bid)
        data["bids"] = bids
        return data

    return draw_tender()


def tender_problems(
    *,
    min_members: int = 2,
    max_members: int = 5,
    max_contracts: int = 2,
    max_lots: int = 3,
    competitions: Iterable[str] = ("fixed_price", "price_quality"),
    max_winners: Iterable[int | None] = (1, 2, None),
    splits: Iterable[str] = ("rank_order", "score_proportional"),
    savings: Iterable[str] = ("more_units", "other_winners"),
    side_constraints: Iterable[str] | Literal["any"] = (),
    unit_priced: bool = True,
    feasible: bool = True,
) -> st.SearchStrategy[Problem]:
    """Valid problems with at least one sub-tendered lot, valid by construction.

    Built on :func:`problem_dicts` (members, lots, capacities and side-constraints as there;
    pooled capacities are left out): its first lot, and any other drawn, is awarded by
    sub-tender under a drawn ``policy.tender`` (the competition, weights in steps of 0.05, a
    minimum quality, the number of winners, the split and the use of savings, each from the
    choices given).  Every member that declared capacity on a tendered lot bids at least the
    minimum quality, so with ``feasible=True`` the lot's providers still qualify and cover it;
    other members bid sometimes, with any score and capacity (some do not qualify: not
    eligible, below the minimum quality).  Prices are 70–80% of the lot's value (or unit
    price): never above the member pot nor abnormally low, so whether a bid qualifies is
    decided from the input alone (:func:`~allocate.testing.is_eligible`); price qualification
    is for hand-written cases.
    Quality, and price in a price competition, are always weighed.

    Examples
    --------
    >>> from hypothesis import find
    >>> p = find(tender_problems(competitions=["price_quality"]), lambda p: True)
    >>> sorted(p.tendered) == [p.lots[0].id], p.policy.tender.competition.value
    (True, 'price_quality')
    """
    return tender_problem_dicts(
        min_members=min_members,
        max_members=max_members,
        max_contracts=max_contracts,
        max_lots=max_lots,
        competitions=competitions,
        max_winners=max_winners,
        splits=splits,
        savings=savings,
        side_constraints=side_constraints,
        unit_priced=unit_priced,
        feasible=feasible,
    ).map(_validated)
