"""Side-constrained county consortia, drawn independently of ``allocate.synthetic``.

A county consortium as its hub would write it down, in the input format of ``docs/format.md`` (a
JSON-ready dict): members of every size band with incomes, quality and reporting scores, the
themes they deliver and the districts they serve; contracts split into lots with values (some
priced per client); capacities on the lots each member can deliver, some of them pooled across a
theme; and a policy with a member share cap, a dependency limit, a small-organisation
ring-fence, conflict-of-interest exclusions and, optionally, a minimum award.  It shares no code
with ``allocate`` (not even its money helpers), so it can feed the independent oracle
(``tests/support/oracle.py``) on problems ``allocate.synthetic`` never draws.

Every choice comes from a :class:`~tests.support.boundary.Source` of integers: a seeded
:class:`~tests.support.boundary.RandomSource` (``benchmarks/county.py``; the same seed, the same
problem) or Hypothesis' draws (``tests/property/test_leximin_oracle.py``, which shrink).

How each part is drawn
----------------------
**Members.**  Size band by :data:`BAND_WEIGHTS` (a consortium of delivery charities: fewer micro
and more medium members than the sector at large), income log-uniform in the band
(:data:`BAND_INCOME`, whole pounds).  About 1 in 12 is an associate, 1 in 25 has not passed
quality assurance; quality scores 0.40–1.00 and reporting compliance 0.50–1.00 against thresholds
of 0.5 and 0.6.  Each delivers one to three themes and serves more districts the larger it is.

**Contracts and lots.**  Money lots (values log-uniform, £20,000–£2,000,000 in whole pounds) in
contracts of one to three lots, one theme and district each; about one lot in seven is priced
per client (£50–£500 a unit, a multiple of £10, 40–4,000 units) and is a contract of its own, so
that the 10% fixed top-slice leaves whole pence per unit.  Every lot has at least
:data:`MIN_ELIGIBLE` eligible members: where coverage leaves it short, eligible members are given
its theme and district.

**Capacities.**  A member's capacity is its income times a ratio (0.3–1.5), spread over the lots
it can deliver with noise (0.5–1.5), in whole pounds (or units); where the eligible capacity on a
lot falls short of :data:`SLACK` × its value, every eligible capacity there is scaled up to it
(rounded up).  With ``pools``, a member delivering two or more lots of one theme also declares a
pooled capacity over the theme worth 75–95% of its capacities there.

**Policy.**  Proportional (or another rule of the oracle's class), a fixed top-slice of 10%;
``max_member_share`` the least of 0.30, 0.35 ... 1, and then ``max_dependency`` the least of 0.5,
1, 1.5, 2, 3, 5, 10, 25 and 100 times income, under which the members' capacities, so capped,
still fill every lot, every contract and the portfolio with 30% to spare (necessary for an
allocation, not sufficient: the caps then bind); ``small_org_share`` (micro and small members)
half of what they can take of the tightest contract, capped at 10% and omitted below 1%;
exclusions of about 1 in 50 eligible member-contract pairs, never leaving a lot short; and with
``min_award`` a minimum award of £250 (at most a fortieth of the smallest lot's value).
Feasibility is likely, not guaranteed: ``allocate.solve`` and the oracle must agree either way.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.support.boundary import RandomSource, Source

__all__ = [
    "AREAS",
    "BAND_INCOME",
    "BAND_WEIGHTS",
    "MIN_ELIGIBLE",
    "SLACK",
    "THEMES",
    "county",
    "seeded",
]

#: The districts of a county (Norfolk's seven).
AREAS: tuple[str, ...] = (
    "Breckland",
    "Broadland",
    "Great Yarmouth",
    "King's Lynn and West Norfolk",
    "North Norfolk",
    "Norwich",
    "South Norfolk",
)
THEMES: tuple[str, ...] = ("advice", "health", "housing", "employment", "youth")
#: Size bands in per mille: micro, small, medium, large, major.
BAND_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("micro", 300),
    ("small", 380),
    ("medium", 230),
    ("large", 75),
    ("major", 15),
)
#: Annual income drawn in each band, whole pounds ``[low, high)`` (docs/format.md's bands).
BAND_INCOME: dict[str, tuple[int, int]] = {
    "micro": (2_000, 10_000),
    "small": (10_000, 100_000),
    "medium": (100_000, 1_000_000),
    "large": (1_000_000, 10_000_000),
    "major": (10_000_000, 30_000_000),
}
#: Eligible members every lot has at least (or every eligible member, when fewer).
MIN_ELIGIBLE = 3
#: Eligible capacity on every lot is at least this times its value.
SLACK = 2.0
QUALITY_THRESHOLD, REPORTING_THRESHOLD = 50, 60  # hundredths
TOP_SLICE_PERCENT = 10
MIN_AWARD = 250  # pounds
DEPENDENCY_STEPS = ("0.5", "1", "1.5", "2", "3", "5", "10", "25", "100")


@dataclass
class _Member:
    id: str
    band: str
    income: int  # pounds
    full: bool
    qa: bool
    quality: int  # hundredths
    reporting: int  # hundredths
    themes: list[str]
    areas: list[str]

    @property
    def can_hold(self) -> bool:
        """Eligible wherever it delivers the theme and serves the area."""
        return (
            self.full
            and self.qa
            and self.quality >= QUALITY_THRESHOLD
            and self.reporting >= REPORTING_THRESHOLD
        )

    def delivers(self, lot: _Lot) -> bool:
        return lot.theme in self.themes and lot.area in self.areas

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "membership": "full" if self.full else "associate",
            "annual_income": str(self.income),
            "quality_score": self.quality / 100,
            "qa_passed": self.qa,
            "reporting_compliance": self.reporting / 100,
            "themes": sorted(self.themes),
            "areas": sorted(self.areas),
        }


@dataclass
class _Lot:
    id: str
    contract: str
    theme: str
    area: str
    value: int  # pounds
    unit_price: int | None = None  # pounds

    @property
    def units(self) -> int | None:
        return None if self.unit_price is None else self.value // self.unit_price

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "value": str(self.value),
            "theme": self.theme,
            "area": self.area,
        }
        if self.unit_price is not None:
            out |= {"unit": "client", "unit_price": str(self.unit_price)}
        return out


def _pick(source: Source, items: Sequence[Any]) -> Any:
    return items[source.integer(0, len(items) - 1)]


def _log_uniform(source: Source, low: int, high: int) -> int:
    """A whole number log-uniform in ``[low, high)``, from a thousandth-step draw."""
    u = source.integer(0, 999) / 1000
    return min(high - 1, max(low, round(float(low * (high / low) ** u))))


def _band(source: Source) -> str:
    x = source.integer(0, 999)
    for name, weight in BAND_WEIGHTS:
        if x < weight:
            return str(name)
        x -= weight
    return "major"


def _members(source: Source, n: int, themes: Sequence[str], areas: Sequence[str]) -> list[_Member]:
    width = len(str(n))
    out = []
    reach = {"micro": 1, "small": 2, "medium": 3, "large": 5, "major": len(areas)}
    for i in range(n):
        band = _band(source)
        income = _log_uniform(source, *BAND_INCOME[band])
        mine_t = [_pick(source, themes)]
        for odds in (2, 5):  # a second theme one time in three, a third one time in six
            if len(mine_t) < len(themes) and source.integer(0, odds) == 0:
                mine_t.append(_pick(source, [t for t in themes if t not in mine_t]))
        k = min(len(areas), source.integer(1, reach[band]))
        mine_a: list[str] = []
        while len(mine_a) < k:
            a = _pick(source, areas)
            if a not in mine_a:
                mine_a.append(a)
        out.append(
            _Member(
                id=f"m{i + 1:0{width}d}",
                band=band,
                income=income,
                full=source.integer(0, 11) != 0,
                qa=source.integer(0, 24) != 0,
                quality=source.integer(40, 100),
                reporting=source.integer(50, 100),
                themes=mine_t,
                areas=mine_a,
            )
        )
    return out


def _lots(source: Source, n: int, themes: Sequence[str], areas: Sequence[str]) -> list[_Lot]:
    width = len(str(n))
    lots: list[_Lot] = []
    contract = 0
    while len(lots) < n:
        contract += 1
        cid = f"C{contract:02d}"
        theme = _pick(source, themes)
        if source.integer(0, 6) == 0:  # a lot priced per client, a contract of its own
            price = 10 * source.integer(5, 50)
            units = _log_uniform(source, 40, 4000)
            lots.append(
                _Lot(
                    f"L{len(lots) + 1:0{width}d}",
                    cid,
                    theme,
                    _pick(source, areas),
                    units * price,
                    price,
                )
            )
            continue
        for _ in range(min(n - len(lots), source.integer(1, 3))):
            lots.append(
                _Lot(
                    f"L{len(lots) + 1:0{width}d}",
                    cid,
                    theme,
                    _pick(source, areas),
                    _log_uniform(source, 20_000, 2_000_000),
                )
            )
    return lots


def _pot(lot: _Lot) -> int:
    """The member pot in pounds, near enough for drawing the policy (value less 10%)."""
    return lot.value * (100 - TOP_SLICE_PERCENT) // 100


@dataclass
class _Draft:
    members: list[_Member]
    lots: list[_Lot]
    caps: dict[tuple[str, str], int]
    """(member, lot) -> pounds (money lots) or units."""
    excluded: set[tuple[str, str]]
    """(member, contract)."""
    cache: dict[str, list[_Member]] | None = None

    def eligible(self, lot: _Lot) -> list[_Member]:
        """The members eligible on ``lot`` (cached; :meth:`changed` forgets)."""
        if self.cache is None:
            self.cache = {}
        if lot.id not in self.cache:
            self.cache[lot.id] = [
                m
                for m in self.members
                if m.can_hold
                and m.delivers(lot)
                and self.caps.get((m.id, lot.id), 0) > 0
                and (m.id, lot.contract) not in self.excluded
            ]
        return self.cache[lot.id]

    def changed(self, lots: Sequence[_Lot] | None = None) -> None:
        """Forget the eligible members of ``lots`` (of every lot by default)."""
        if lots is None or self.cache is None:
            self.cache = None
            return
        for lot in lots:
            self.cache.pop(lot.id, None)

    def money(self, member: str, lot: _Lot) -> int:
        """A capacity in pounds."""
        cap = self.caps.get((member, lot.id), 0)
        return cap * lot.unit_price if lot.unit_price is not None else cap


def _capacities(source: Source, d: _Draft) -> None:
    for m in d.members:
        mine = [lot for lot in d.lots if m.delivers(lot)]
        if not mine:
            continue
        total = m.income * source.integer(30, 150) / 100
        for lot in mine:
            pounds = max(1, round(total / len(mine) * source.integer(50, 150) / 100))
            if lot.unit_price is not None:
                d.caps[m.id, lot.id] = max(1, pounds // lot.unit_price)
            else:
                d.caps[m.id, lot.id] = pounds


def _cover(source: Source, d: _Draft) -> None:
    """Every lot has :data:`MIN_ELIGIBLE` eligible members (or every one that can hold)."""
    holders = [m for m in d.members if m.can_hold]
    for lot in d.lots:
        have = list(d.eligible(lot))
        if len(have) >= MIN_ELIGIBLE:
            continue
        mine = {m.id for m in have}
        others = [m for m in holders if m.id not in mine and (m.id, lot.contract) not in d.excluded]
        while len(have) < MIN_ELIGIBLE and others:
            m = others.pop(source.integer(0, len(others) - 1))
            if lot.theme not in m.themes:
                m.themes.append(lot.theme)
            if lot.area not in m.areas:
                m.areas.append(lot.area)
            pounds = max(1, m.income // 4)
            d.caps[m.id, lot.id] = (
                max(1, pounds // lot.unit_price) if lot.unit_price is not None else pounds
            )
            have.append(m)
        d.changed()


def _slack(d: _Draft) -> None:
    """Scale eligible capacity on each lot up to :data:`SLACK` × its value (rounded up)."""
    for lot in d.lots:
        have = d.eligible(lot)
        total = sum(d.caps[m.id, lot.id] for m in have)
        need = SLACK * (lot.units if lot.units is not None else lot.value)
        if have and total < need:
            factor = need / total
            for m in have:
                d.caps[m.id, lot.id] = math.ceil(d.caps[m.id, lot.id] * factor)


def _exclusions(source: Source, d: _Draft) -> list[dict[str, Any]]:
    out = []
    contracts = sorted({lot.contract for lot in d.lots})
    for c in contracts:
        lots = [lot for lot in d.lots if lot.contract == c]
        inside = {m.id for lot in lots for m in d.eligible(lot)}
        for m in d.members:
            if m.id not in inside or source.integer(0, 49) != 0:
                continue
            d.excluded.add((m.id, c))
            d.changed(lots)
            fine = all(
                sum(d.money(x.id, lot) for x in d.eligible(lot)) >= 1.3 * lot.value
                and len(d.eligible(lot)) >= 2
                for lot in lots
            )
            if fine:
                out.append({"member": m.id, "contract": c, "reason": "conflict of interest"})
            else:
                d.excluded.discard((m.id, c))
                d.changed(lots)
    return out


def _pools(source: Source, d: _Draft) -> list[dict[str, Any]]:
    """Pooled capacities over a theme: 75–95% of the member's capacities there."""
    out = []
    for m in d.members:
        for theme in sorted(m.themes):
            covered = [lot for lot in d.lots if lot.theme == theme and (m.id, lot.id) in d.caps]
            if len(covered) < 2 or source.integer(0, 2) != 0:
                continue
            total = sum(d.money(m.id, lot) for lot in covered)
            amount = max(1, total * source.integer(75, 95) // 100)
            out.append({"member": m.id, "theme": theme, "amount": str(amount)})
            break  # one pool a member
    return out


def _contract_pots(d: _Draft) -> dict[str, float]:
    pots: dict[str, float] = defaultdict(float)
    for lot in d.lots:
        pots[lot.contract] += _pot(lot)
    return pots


def _fills(d: _Draft, share: float, multiple: float) -> bool:
    """Whether capped capacity fills every lot, contract and the portfolio with 30% to spare.

    Each member's capacity capped by ``share`` of each contract's pot and ``multiple`` of its
    income: necessary for an allocation to exist, not sufficient.
    """
    pots = _contract_pots(d)
    cap = {c: share * pot for c, pot in pots.items()}
    income = {m.id: m.income for m in d.members}
    per: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for lot in d.lots:
        room = 0.0
        for m in d.eligible(lot):
            money = d.money(m.id, lot)
            room += min(money, cap[lot.contract], multiple * m.income)
            per[m.id][lot.contract] += money
        if room < 1.3 * _pot(lot):
            return False
    on: dict[str, float] = defaultdict(float)
    total = 0.0
    for i, contracts in per.items():
        mine = {c: min(v, cap[c], multiple * income[i]) for c, v in contracts.items()}
        for c, v in mine.items():
            on[c] += v
        total += min(sum(mine.values()), multiple * income[i])
    return all(on[c] >= 1.3 * pot for c, pot in pots.items()) and total >= 1.3 * sum(pots.values())


def _share_cap(d: _Draft) -> str:
    """The least of 0.30, 0.35 ... 1 under which capacity still fills everything."""
    for step in range(30, 101, 5):
        if _fills(d, step / 100, math.inf):
            return f"{step / 100:.2f}"
    return "1.00"


def _dependency(d: _Draft, share: str) -> str | None:
    """The tightest listed multiple of income under which capacity still fills everything."""
    for step in DEPENDENCY_STEPS:
        if _fills(d, float(share), float(step)):
            return step
    return None


def _ring_fence(d: _Draft, dependency: str | None) -> str | None:
    """Half of what micro and small members can take of the tightest contract, at most 10%."""
    multiple = float(dependency) if dependency is not None else math.inf
    contracts = sorted({lot.contract for lot in d.lots})
    in_contracts: dict[str, set[str]] = defaultdict(set)
    for lot in d.lots:
        for m in d.eligible(lot):
            in_contracts[m.id].add(lot.contract)
    income = {m.id: m.income for m in d.members}
    shares = []
    for c in contracts:
        lots = [lot for lot in d.lots if lot.contract == c]
        small: dict[str, float] = defaultdict(float)
        for lot in lots:
            for m in d.eligible(lot):
                if m.band in ("micro", "small"):
                    small[m.id] += d.money(m.id, lot)
        # a small member's whole dependency allowance, shared by every contract it is in
        contracts_of = {i: len(in_contracts[i]) for i in small}
        can = sum(min(v, multiple * income[i] / contracts_of[i]) for i, v in small.items())
        shares.append(can / sum(_pot(lot) for lot in lots))
    share = min(0.10, 0.5 * min(shares, default=0.0))
    return None if share < 0.01 else f"{math.floor(share * 100) / 100:.2f}"


def county(
    source: Source,
    members: int,
    lots: int,
    *,
    min_award: bool = False,
    pools: bool = True,
    exclusions: bool = True,
    rule: str = "proportional",
    themes: int | None = None,
    areas: int | None = None,
) -> dict[str, Any]:
    """A county consortium of ``members`` and ``lots``, every choice drawn from ``source``.

    ``themes`` and ``areas`` default to one per five and per four lots (at least one): about
    one member-lot pair in eight is eligible at 20 lots, most of them on a small problem.
    """
    if members < 1 or lots < 1:
        raise ValueError(f"a consortium has members and lots, not {members} × {lots}")
    n_themes = themes or max(1, min(len(THEMES), lots // 5))
    n_areas = areas or max(1, min(len(AREAS), lots // 4))
    themes_used, areas_used = THEMES[:n_themes], AREAS[:n_areas]
    d = _Draft(
        members=_members(source, members, themes_used, areas_used),
        lots=_lots(source, lots, themes_used, areas_used),
        caps={},
        excluded=set(),
    )
    _capacities(source, d)
    _cover(source, d)
    _slack(d)
    d.changed()
    excluded = _exclusions(source, d) if exclusions else []
    pooled = _pools(source, d) if pools else []
    share = _share_cap(d)
    dependency = _dependency(d, share)
    policy: dict[str, Any] = {
        "rule": rule,
        "quality_threshold": QUALITY_THRESHOLD / 100,
        "reporting_threshold": REPORTING_THRESHOLD / 100,
        "max_member_share": share,
        "exclusions": excluded,
    }
    if dependency is not None:
        policy["max_dependency"] = dependency
    ring = _ring_fence(d, dependency)
    if ring is not None:
        policy["small_org_share"] = ring
        policy["small_org_bands"] = ["micro", "small"]
    if min_award:
        least = min(lot.value for lot in d.lots) // 40
        policy["min_award"] = str(min(MIN_AWARD, max(1, least)))
    contracts: dict[str, list[_Lot]] = defaultdict(list)
    for lot in d.lots:
        contracts[lot.contract].append(lot)
    capacities: list[dict[str, Any]] = []
    for (mid, lid), cap in sorted(d.caps.items()):
        lot = next(x for x in d.lots if x.id == lid)
        key = "units" if lot.unit_price is not None else "amount"
        capacities.append({"member": mid, "lot": lid, key: cap if key == "units" else str(cap)})
    capacities += pooled
    percent = f"0.{TOP_SLICE_PERCENT:02d}"
    return {
        "name": f"County consortium, {members} members × {lots} lots",
        "members": [m.row() for m in d.members],
        "contracts": [
            {
                "id": cid,
                "commissioner": "Norfolk County Council",
                "value": str(sum(lot.value for lot in ls)),
                "lots": [lot.row() for lot in ls],
            }
            for cid, ls in contracts.items()
        ],
        "capacities": capacities,
        "hub": {"name": "Consortium hub"},
        "top_slice": {
            "method": "fixed",
            "max_rate": percent,
            "target_rate": "0.05",
            "rate": percent,
        },
        "policy": policy,
    }


def seeded(members: int, lots: int, seed: int = 0, **options: Any) -> dict[str, Any]:
    """:func:`county` from a seeded generator: the same arguments, the same problem."""
    return county(RandomSource(seed), members, lots, **options)
