r"""Seeded synthetic consortia with the sector's size bands and contract values.

:func:`consortium` draws a realistic consortium: members, contracts split into lots, capacities
and a policy, deterministic for a seed.  :func:`consortium_dict` returns the same as plain
JSON-ready data (build it, then :meth:`Problem.model_validate <allocate.Problem.model_validate>`
it, so the validation can be timed on its own).  Both are vectorised with NumPy: 12,000 members
× 20 lots generate in a fraction of a second.

How each part is drawn
----------------------
**Size bands.**  Each member's band is drawn from ``band_weights``, by default the share of
general charities by annual income in the NCVO Civil Society Almanac 2011/12 (:data:`NCVO_BANDS`:
micro < £10k 51.1%, small £10k–£100k 32.8%, medium £100k–£1m 13.2%, large £1m–£10m 2.6%,
major > £10m 0.3%).  A consortium may skew it, e.g. ``band_weights={"micro": 0, ...}`` to admit no
micro members.  The income is then log-uniform within the band (:data:`BAND_INCOME`).

**Themes and areas.**  Lots have a service theme and an area (by default the 13 districts of Kent
and Medway, the county the seed paper counts 12,000 frontline organisations in).  Each member
serves every theme, and every area, independently with a probability that grows with its size
(micro members are local and single-purpose, major ones county-wide), at least one of each, so
that the share of (member, lot) pairs where the member serves the lot's theme *and* area is
``eligibility_density`` on average.  A member declares capacity on every lot it serves.

**Status.**  ``associate_share`` of members are associates, ``qa_fail_share`` have not passed
quality assurance, quality and reporting scores are Beta-distributed (means about 0.76 and 0.86)
and the policy's thresholds (``quality_threshold``, ``reporting_threshold``) exclude the weakest.
At least ``min_eligible`` members (or all of them, when fewer) may hold sub-contracts, and every
lot has at least that many eligible members: where coverage leaves a lot short, eligible members
are drawn to serve its theme and area.

**Contract values.**  Lognormal with median £95,000 and 13% of contracts over £1m
(:data:`VALUE_MEDIAN`, :data:`VALUE_SIGMA`), clipped to £1,000–£250m (which moves neither the
median nor the share over £1m), in whole pounds.  Each contract is split into lots, bigger
contracts into more of them, none below £1,000: half of the
multi-lot contracts by area (one theme, several areas), the other half by client group (one
theme and area, alternating ``standard`` and ``hard_to_help`` lots of one service, which is what
the case-mix constraint works on).  ``unit_priced_share`` of the lots are priced per client or
session; their value is rounded down to whole units.

**Capacities.**  A member's capacity for new work is its annual income times a lognormal ratio
(median 0.5), spread over the lots it serves with lognormal noise: proportional to income and to
theme/area coverage.  On every lot where the eligible members' capacity falls short of
``capacity_slack`` × the lot value, all capacities on the lot are scaled up (keeping their
proportions) to reach it, and rounded *up* to whole pounds (or units): so with no side-constraint
every generated problem is feasible by construction.

**Side-constraints.**  ``side_constraints`` switches on the named :class:`~allocate.Policy`
fields, or sets them to given values (a mapping from name to value).  Named ones take the
realistic nominal values of :data:`SIDE_CONSTRAINT_DEFAULTS` (a £2,500 minimum award, 40% member
share cap, awards up to 1× annual income, 10% ring-fenced for micro and small members, a 0.1
case-mix tolerance, 3 providers per area), loosened just enough where the generated consortium
could not keep them at all, as a real consortium would set rules its members can keep: the
minimum award is at most a quarter of the smallest lot's pot; the share cap and the dependency
limit rise (with a margin) until every contract and lot can be filled; the ring-fence is at most
half of what eligible small members can take.  Two more names change the data, not the policy:
``exclusions`` (members barred from whole contracts for a conflict of interest, about this share
of eligible member-contract pairs, never leaving a lot short) and ``pooled_capacities`` (members
serving two or more lots of a theme get one pooled capacity across them, this share of their
per-lot total).  Switching side-constraints on never changes the rest of the problem: same seed,
same members, lots and capacities.  Feasibility with side-constraints is likely but not
guaranteed; :func:`allocate.solve` says so when not.

Examples
--------
>>> from allocate.analysis.synthetic import consortium
>>> p = consortium(members=40, lots=4, seed=7)
>>> len(p.members), len(p.lots)
(40, 4)
>>> consortium(members=40, lots=4, seed=7) == p   # deterministic for a seed
True
>>> import allocate
>>> allocate.solve(p).status.value
'optimal'
>>> q = consortium(members=40, lots=4, seed=7, side_constraints=["case_mix_tolerance"])
>>> str(q.policy.case_mix_tolerance), q.members == p.members
('0.1', True)
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from allocate.core import families
from allocate.core.model import Problem, SizeBand

__all__ = [
    "ALL_SIDE_CONSTRAINTS",
    "AREAS",
    "BAND_INCOME",
    "NCVO_BANDS",
    "PAYMENT_TERMS",
    "SIDE_CONSTRAINT_DEFAULTS",
    "THEMES",
    "VALUE_MEDIAN",
    "VALUE_SHARE_OVER_1M",
    "VALUE_SIGMA",
    "consortium",
    "consortium_dict",
]

#: Share of organisations by annual income (NCVO Civil Society Almanac 2011/12).
NCVO_BANDS: Final[Mapping[SizeBand, float]] = {
    SizeBand.MICRO: 0.511,
    SizeBand.SMALL: 0.328,
    SizeBand.MEDIUM: 0.132,
    SizeBand.LARGE: 0.026,
    SizeBand.MAJOR: 0.003,
}
#: Income range drawn (log-uniformly) for each band, in pounds: ``[low, high)``.
BAND_INCOME: Final[Mapping[SizeBand, tuple[int, int]]] = {
    SizeBand.MICRO: (500, 10_000),
    SizeBand.SMALL: (10_000, 100_000),
    SizeBand.MEDIUM: (100_000, 1_000_000),
    SizeBand.LARGE: (1_000_000, 10_000_000),
    SizeBand.MAJOR: (10_000_000, 100_000_000),
}
#: How much more widely than average a member of each band serves (themes and areas).
_BAND_REACH: Final[Mapping[SizeBand, float]] = {
    SizeBand.MICRO: 0.6,
    SizeBand.SMALL: 0.9,
    SizeBand.MEDIUM: 1.5,
    SizeBand.LARGE: 2.5,
    SizeBand.MAJOR: 3.5,
}
_BANDS: Final[tuple[SizeBand, ...]] = tuple(SizeBand)

#: Median contract value in pounds.
VALUE_MEDIAN: Final = 95_000.0
#: Share of contracts worth more than £1m.
VALUE_SHARE_OVER_1M: Final = 0.13
#: Sigma of the lognormal contract value: ``ln(1e6 / median) / z(0.87)`` (about 2.09).
VALUE_SIGMA: Final = math.log(1e6 / VALUE_MEDIAN) / NormalDist().inv_cdf(1 - VALUE_SHARE_OVER_1M)
_VALUE_RANGE: Final = (1_000, 250_000_000)
_MIN_LOT: Final = 1_000

#: Service themes, in the order ``themes=n`` takes them.
THEMES: Final[tuple[str, ...]] = (
    "advice",
    "health",
    "employment",
    "housing",
    "youth",
    "older-people",
    "carers",
    "mental-health",
    "volunteering",
    "families",
    "arts",
    "substance-misuse",
)
#: Areas, in the order ``areas=n`` takes them (the districts of Kent and Medway).
AREAS: Final[tuple[str, ...]] = (
    "Ashford",
    "Canterbury",
    "Dartford",
    "Dover",
    "Folkestone and Hythe",
    "Gravesham",
    "Maidstone",
    "Medway",
    "Sevenoaks",
    "Swale",
    "Thanet",
    "Tonbridge and Malling",
    "Tunbridge Wells",
)
_COMMISSIONERS: Final[tuple[str, ...]] = (
    "Kent County Council",
    "Medway Council",
    "NHS Kent and Medway Integrated Care Board",
    "Department for Work and Pensions",
    "Kent Police and Crime Commissioner",
    "National Lottery Community Fund",
)
_UNIT_PRICES: Final[tuple[int, ...]] = (25, 50, 100, 250, 500, 1000)

#: Values the side-constraints take when switched on by name: each family's ``synthetic`` value
#: in :mod:`allocate.core.families`, which says why it is realistic.
SIDE_CONSTRAINT_DEFAULTS: Final[Mapping[str, Any]] = {
    f.switch: f.synthetic for f in families.FAMILIES
}
#: Every name ``side_constraints`` accepts.
ALL_SIDE_CONSTRAINTS: Final[tuple[str, ...]] = tuple(SIDE_CONSTRAINT_DEFAULTS)
#: The names that set a policy value, each with the :class:`~allocate.Policy` field it sets.
_POLICY_SIDE_CONSTRAINTS: Final[Mapping[str, str]] = {
    f.switch: f.setting for f in families.policy_settings() if f.setting is not None
}
#: The names that change the data instead (exclusions, pooled capacities): their value is a share.
_DATA_SIDE_CONSTRAINTS: Final[tuple[str, ...]] = tuple(
    n for n in ALL_SIDE_CONSTRAINTS if n not in _POLICY_SIDE_CONSTRAINTS
)

_IntArray = npt.NDArray[np.int64]
_FloatArray = npt.NDArray[np.float64]
_BoolArray = npt.NDArray[np.bool_]


def consortium(
    members: int = 50,
    lots: int = 5,
    *,
    contracts: int | None = None,
    seed: int = 0,
    eligibility_density: float = 0.2,
    band_weights: Mapping[SizeBand | str, float] | None = None,
    capacity_slack: float = 2.0,
    side_constraints: Iterable[str] | Mapping[str, Any] | str = (),
    themes: int | Sequence[str] = 6,
    areas: int | Sequence[str] = len(AREAS),
    associate_share: float = 0.1,
    qa_fail_share: float = 0.05,
    unit_priced_share: float = 0.15,
    min_eligible: int = 5,
    quality_threshold: float = 0.5,
    reporting_threshold: float = 0.6,
    top_slice_rate: float = 0.1,
    payment_terms: str | Mapping[str, Any] | None = None,
) -> Problem:
    """A seeded synthetic consortium, validated.

    Parameters
    ----------
    members
        Number of member organisations (at least 1).
    lots
        Number of lots over all contracts (at least 1).
    contracts
        Number of contracts, between 1 and ``lots``; by default one per 2.5 lots.
    seed
        Seed of the random generator (a non-negative integer): the same arguments always give
        the same problem.
    eligibility_density
        Average share of (member, lot) pairs where the member serves the lot's theme and area,
        and so declares capacity (0 < density <= 1).  Membership, quality assurance and the
        thresholds then exclude some of them.
    band_weights
        Relative weight of each size band (keys :class:`~allocate.SizeBand` or their names;
        missing bands weigh 0).  Default :data:`NCVO_BANDS`.
    capacity_slack
        Minimum ratio of eligible capacity to lot value on every lot (at least 1).
    side_constraints
        Names of side-constraints to switch on with :data:`SIDE_CONSTRAINT_DEFAULTS`, or a mapping
        from name to value; one of :data:`ALL_SIDE_CONSTRAINTS`.
    themes, areas
        How many of :data:`THEMES` / :data:`AREAS` lots are drawn from, or the labels themselves.
    associate_share, qa_fail_share
        Share of members that are associates / have not passed quality assurance.
    unit_priced_share
        Share of lots priced per unit (client or session).
    min_eligible
        Every lot has at least this many eligible members (or all eligible members, when fewer).
    quality_threshold, reporting_threshold
        The policy's eligibility thresholds.
    top_slice_rate
        The hub's fixed top-slice rate, at most 0.10 (the founding rule).
    payment_terms
        Payment terms for the cash-flow forecast (off by default: no ``cash_flow`` block, the
        consortium exactly as before).  A name from :data:`PAYMENT_TERMS` (``monthly_arrears``,
        ``quarterly_arrears``, ``quarterly_by_results``, ``quarterly_with_advances``) or the
        ``cash_flow`` object itself.  Members then declare realistic reserves
        (:data:`RESERVE_MONTHS` of income), as with the ``max_reserves_share`` side-constraint.

    Returns
    -------
    Problem
        The validated problem (:func:`consortium_dict` gives the raw data).

    Raises
    ------
    ValueError, TypeError
        A parameter is out of range or of the wrong type; the message names it and its value.

    Examples
    --------
    >>> p = consortium(members=200, lots=6, seed=1, band_weights={"small": 1, "medium": 1})
    >>> sorted({m.size_band.value for m in p.members})
    ['medium', 'small']
    """
    return Problem.model_validate(
        consortium_dict(
            members,
            lots,
            contracts=contracts,
            seed=seed,
            eligibility_density=eligibility_density,
            band_weights=band_weights,
            capacity_slack=capacity_slack,
            side_constraints=side_constraints,
            themes=themes,
            areas=areas,
            associate_share=associate_share,
            qa_fail_share=qa_fail_share,
            unit_priced_share=unit_priced_share,
            min_eligible=min_eligible,
            quality_threshold=quality_threshold,
            reporting_threshold=reporting_threshold,
            top_slice_rate=top_slice_rate,
            payment_terms=payment_terms,
        )
    )


def consortium_dict(
    members: int = 50,
    lots: int = 5,
    *,
    contracts: int | None = None,
    seed: int = 0,
    eligibility_density: float = 0.2,
    band_weights: Mapping[SizeBand | str, float] | None = None,
    capacity_slack: float = 2.0,
    side_constraints: Iterable[str] | Mapping[str, Any] | str = (),
    themes: int | Sequence[str] = 6,
    areas: int | Sequence[str] = len(AREAS),
    associate_share: float = 0.1,
    qa_fail_share: float = 0.05,
    unit_priced_share: float = 0.15,
    min_eligible: int = 5,
    quality_threshold: float = 0.5,
    reporting_threshold: float = 0.6,
    top_slice_rate: float = 0.1,
    payment_terms: str | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The same consortium as :func:`consortium`, as plain JSON-ready data (not validated).

    Takes the same parameters as :func:`consortium`.

    Examples
    --------
    >>> import json
    >>> d = consortium_dict(members=3, lots=1, seed=2)
    >>> sorted(d)
    ['capacities', 'contracts', 'hub', 'members', 'name', 'policy', 'top_slice']
    >>> d == json.loads(json.dumps(d))
    True
    """
    # checked in the order of the signature, so that the first bad parameter is the one named
    n_m = _positive_int("members", members)
    n_l = _positive_int("lots", lots)
    settings = _Settings(
        members=n_m,
        lots=n_l,
        contracts=_contract_count(contracts, n_l),
        seed=_seed(seed),
        density=_fraction("eligibility_density", eligibility_density, open_low=True),
        weights=_band_weights(band_weights),
        slack=_slack(capacity_slack),
        side=_side_constraints(side_constraints),
        themes=_labels("themes", themes, THEMES, "theme"),
        areas=_labels("areas", areas, AREAS, "area"),
        associate_share=_fraction("associate_share", associate_share),
        qa_fail_share=_fraction("qa_fail_share", qa_fail_share),
        unit_priced_share=_fraction("unit_priced_share", unit_priced_share),
        need=_positive_int("min_eligible", min_eligible),
        quality_threshold=_fraction("quality_threshold", quality_threshold),
        reporting_threshold=_fraction("reporting_threshold", reporting_threshold),
        rate=_top_slice_rate(top_slice_rate),
        payment_terms=_payment_terms(payment_terms),
    )
    return _generate(settings)


# -- what is drawn ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Members:
    """The members drawn: each array has one entry per member."""

    band: _IntArray
    """Index of the size band in ``_BANDS``."""
    income: _IntArray
    associate: _BoolArray
    qa_passed: _BoolArray
    quality: _FloatArray
    reporting: _FloatArray
    impact: _FloatArray
    status_ok: _BoolArray
    """May hold sub-contracts: a full member, QA passed, at or above both thresholds."""


@dataclass(frozen=True, slots=True)
class _Contracts:
    """The contracts drawn: each array has one entry per contract."""

    value: _IntArray
    """Whole pounds: what its lots add up to, once unit-priced lots are whole units."""
    lots: _IntArray
    """How many lots it is split into."""
    first: _IntArray
    """The index of its first lot."""
    term: _IntArray
    commissioner: _IntArray


@dataclass(frozen=True, slots=True)
class _Lots:
    """The lots drawn: each array has one entry per lot."""

    contract: _IntArray
    theme: _IntArray
    area: _IntArray
    position: _IntArray
    """Its place in its contract, from 0."""
    client_split: _BoolArray
    """One of the contract's ``standard``/``hard_to_help`` lots of one service."""
    value: _IntArray
    unit_price: _IntArray
    """0 for a lot priced in money."""
    unit_kind: _IntArray
    """``client`` (0) or ``session`` (1), for a unit-priced lot."""


@dataclass(frozen=True, slots=True)
class _Coverage:
    """Which themes and areas each member serves, and so which lots ([member, lot])."""

    themes: _BoolArray
    areas: _BoolArray
    covers: _BoolArray


class _Ids(NamedTuple):
    """The ids of members, lots and contracts: numbered from 1, zero-padded to one width each."""

    members: list[str]
    lots: list[str]
    contracts: list[str]


def _generate(s: _Settings) -> dict[str, Any]:
    """The consortium of checked settings, as plain data."""
    # independent streams, so that e.g. switching exclusions on leaves the rest unchanged
    rng_m, rng_c, rng_cov, rng_cap, rng_side = (
        np.random.default_rng(x) for x in np.random.SeedSequence(s.seed).spawn(5)
    )
    members = _draw_members(rng_m, s)
    contracts, lots = _draw_contracts(rng_c, s)
    coverage = _draw_coverage(rng_cov, s, members, lots)
    cap_units = _draw_capacities(rng_cap, s, members, lots, coverage.covers)
    cap_pounds = cap_units * np.where(lots.unit_price > 0, lots.unit_price, 1)[None, :]
    ids = _ids(s)
    lot_rows = _lot_rows(s, ids, lots)
    capacity_rows = _capacity_rows(ids, lots, coverage.covers, cap_units)
    policy = _policy(s, rng_side, ids, members, lots, coverage.covers, cap_pounds)
    if families.POOLED_CAPACITY.switch in s.side:
        share = s.side[families.POOLED_CAPACITY.switch]
        share = float(families.POOLED_CAPACITY.synthetic if share is None else share)
        capacity_rows.extend(_pooled(share, coverage.covers, cap_pounds, lots.theme, s.themes, ids))
    annual = float(np.sum(contracts.value / contracts.term))
    return {
        "name": f"Synthetic consortium ({s.members} members, {s.lots} lots, seed {s.seed})",
        "members": _with_reserves(s, _member_rows(s, ids, members, coverage)),
        "contracts": _contract_rows(ids, contracts, lot_rows),
        "capacities": capacity_rows,
        "hub": {"name": "Consortium hub", "annual_cost": str(round(annual * s.rate * 0.8))},
        "top_slice": {
            "method": "fixed",
            "max_rate": "0.10",
            "target_rate": str(min(Decimal("0.05"), Decimal(repr(s.rate)))),
            "rate": repr(s.rate),
        },
        "policy": policy,
        **({"cash_flow": s.payment_terms} if s.payment_terms is not None else {}),
    }


#: Named payment terms for :func:`consortium` (``payment_terms=``), as ``cash_flow`` objects:
#: what commissioners commonly offer, and a hub that pays its micro and small members ahead.
PAYMENT_TERMS: Final[Mapping[str, Mapping[str, Any]]] = {
    "monthly_arrears": {},
    "quarterly_arrears": {"commissioner": {"frequency": "quarterly"}},
    "quarterly_by_results": {
        "commissioner": {"frequency": "quarterly", "results_share": "0.2", "results_lag_months": 3}
    },
    "quarterly_with_advances": {
        "commissioner": {"frequency": "quarterly"},
        "members": {"advance_bands": ["micro", "small"]},
    },
}


def _payment_terms(terms: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    if isinstance(terms, str):
        if terms not in PAYMENT_TERMS:
            known = ", ".join(PAYMENT_TERMS)
            raise ValueError(f"payment_terms must be one of {known} or a mapping, not {terms!r}")
        return copy.deepcopy(dict(PAYMENT_TERMS[terms]))
    if isinstance(terms, Mapping):
        return copy.deepcopy(dict(terms))
    raise TypeError(f"payment_terms must be a name or a mapping, not {terms!r}")


def _draw_members(rng: np.random.Generator, s: _Settings) -> _Members:
    """Size bands, incomes log-uniform within the band, statuses and scores."""
    n_m = s.members
    band = rng.choice(len(_BANDS), size=n_m, p=s.weights)
    low = np.array([BAND_INCOME[b][0] for b in _BANDS], dtype=np.float64)[band]
    high = np.array([BAND_INCOME[b][1] for b in _BANDS], dtype=np.float64)[band]
    income = np.exp(rng.uniform(np.log(low), np.log(high)))
    income = np.clip(np.floor(income), low, high - 1).astype(np.int64)
    associate = rng.random(n_m) < s.associate_share
    qa_passed = rng.random(n_m) >= s.qa_fail_share
    quality = np.round(rng.beta(8.0, 2.5, n_m), 2)
    reporting = np.round(rng.beta(9.0, 1.5, n_m), 2)
    impact = np.maximum(np.round(rng.beta(4.0, 2.0, n_m), 2), 0.01)
    q_thr, r_thr = s.quality_threshold, s.reporting_threshold
    status_ok = ~associate & qa_passed & (quality >= q_thr) & (reporting >= r_thr)
    short = min(s.need, n_m) - int(status_ok.sum())
    if short > 0:  # too few may hold sub-contracts: admit some, as a hub recruiting would
        fix = rng.choice(np.flatnonzero(~status_ok), size=short, replace=False)
        associate[fix] = False
        qa_passed[fix] = True
        quality[fix] = np.maximum(quality[fix], math.ceil(q_thr * 100) / 100)
        reporting[fix] = np.maximum(reporting[fix], math.ceil(r_thr * 100) / 100)
        status_ok = ~associate & qa_passed & (quality >= q_thr) & (reporting >= r_thr)
    return _Members(band, income, associate, qa_passed, quality, reporting, impact, status_ok)


def _draw_contracts(rng: np.random.Generator, s: _Settings) -> tuple[_Contracts, _Lots]:
    """Lognormal contract values, each contract split into lots: bigger ones into more."""
    n_c = s.contracts
    raw_value = rng.lognormal(math.log(VALUE_MEDIAN), VALUE_SIGMA, n_c)
    value = np.clip(np.round(raw_value), *_VALUE_RANGE).astype(np.int64)
    # bigger contracts are split into more lots
    lot_weight = np.maximum(np.log(value / 10_000), 0.25)
    lots_per = 1 + rng.multinomial(s.lots - n_c, lot_weight / lot_weight.sum())
    value = np.maximum(value, _MIN_LOT * lots_per)
    theme = rng.integers(0, len(s.themes), n_c)
    area = rng.integers(0, len(s.areas), n_c)
    by_client_group = rng.random(n_c) < 0.5
    term = rng.integers(1, 4, n_c)
    commissioner = rng.integers(0, len(_COMMISSIONERS), n_c)
    first = np.concatenate(([0], np.cumsum(lots_per)[:-1]))
    contract = np.repeat(np.arange(n_c), lots_per)
    position = np.arange(s.lots) - first[contract]
    several = lots_per[contract] > 1
    lot_area = area[contract].copy()
    # geographic lots: consecutive areas from the contract's own, wrapping round
    geographic = ~by_client_group[contract] & several
    lot_area[geographic] = (lot_area[geographic] + position[geographic]) % len(s.areas)
    lot_value = _split(rng, value, lots_per)
    lot_value, unit_price, unit_kind = _unit_prices(rng, lot_value, s.unit_priced_share)
    client_split = by_client_group[contract] & several
    lots = _Lots(
        contract,
        theme[contract],
        lot_area,
        position,
        client_split,
        lot_value,
        unit_price,
        unit_kind,
    )
    total = np.bincount(contract, weights=lot_value, minlength=n_c).astype(np.int64)
    return _Contracts(total, lots_per, first, term, commissioner), lots


def _unit_prices(
    rng: np.random.Generator, value: _IntArray, share: float
) -> tuple[_IntArray, _IntArray, _IntArray]:
    """About ``share`` of the lots priced per unit: their values rounded down to whole units.

    Returns the lots' values, unit prices (0 for a lot priced in money) and kinds of unit.
    """
    value = value.copy()
    unit_price = np.zeros(value.size, dtype=np.int64)
    priced = rng.random(value.size) < share
    unit_kind = rng.integers(0, 2, value.size)
    prices = np.array(_UNIT_PRICES, dtype=np.int64)
    for j in np.flatnonzero(priced):
        # the dearest price that still leaves the lot at least 20 units
        fits = prices[prices * 20 <= value[j]]
        if fits.size:
            unit_price[j] = fits[-1]
            value[j] -= value[j] % fits[-1]
    return value, unit_price, unit_kind


def _draw_coverage(
    rng: np.random.Generator, s: _Settings, members: _Members, lots: _Lots
) -> _Coverage:
    """Themes and areas served, more widely by bigger members; every lot kept open."""
    reach = np.array([_BAND_REACH[b] for b in _BANDS])[members.band]
    target = np.minimum(s.density * reach / reach.mean(), 1.0)
    themes = _cover(rng, np.sqrt(target), len(s.themes))
    areas = _cover(rng, np.sqrt(target), len(s.areas))
    eligible = np.flatnonzero(members.status_ok)
    covers = themes[:, lots.theme] & areas[:, lots.area]
    for j in range(s.lots):
        missing = min(s.need, eligible.size) - int(covers[eligible, j].sum())
        if missing > 0:
            pool = eligible[~covers[eligible, j]]
            pick = rng.choice(pool, size=missing, replace=False)
            covers = _serve(themes, areas, lots, pick, j)
    # a consortium of small charities: every lot open to at least one small member, if any
    small = eligible[members.band[eligible] <= _BANDS.index(SizeBand.SMALL)]
    for j in range(s.lots):
        if small.size and not covers[small, j].any():
            covers = _serve(themes, areas, lots, int(rng.choice(small)), j)
    return _Coverage(themes, areas, covers)


def _serve(
    themes: _BoolArray, areas: _BoolArray, lots: _Lots, pick: _IntArray | int, j: int
) -> _BoolArray:
    """Members ``pick`` now serve lot ``j``'s theme and area (in place); the new coverage."""
    themes[pick, lots.theme[j]] = True
    areas[pick, lots.area[j]] = True
    return themes[:, lots.theme] & areas[:, lots.area]


def _draw_capacities(
    rng: np.random.Generator, s: _Settings, members: _Members, lots: _Lots, covers: _BoolArray
) -> _IntArray:
    """Capacity per [member, lot]: whole pounds, or whole units on unit-priced lots."""
    spare = members.income * rng.lognormal(math.log(0.5), 0.4, s.members)
    n_cov = np.maximum(covers.sum(axis=1), 1)
    noise = rng.lognormal(0.0, 0.25, (s.members, s.lots))
    cap = np.where(covers, (spare / n_cov)[:, None] * noise, 0.0)
    eligible_cap = (cap * members.status_ok[:, None]).sum(axis=0)
    scale = np.maximum(1.0, s.slack * lots.value / np.maximum(eligible_cap, 1e-9))
    cap *= scale[None, :]
    price = lots.unit_price
    cap_units = np.where(price > 0, np.ceil(cap / np.maximum(price, 1)), np.ceil(cap))
    return np.where(covers, np.maximum(cap_units.astype(np.int64), 1), 0)


# -- plain data ------------------------------------------------------------------------------


def _ids(s: _Settings) -> _Ids:
    return _Ids(
        [f"M{i:0{len(str(s.members))}d}" for i in range(1, s.members + 1)],
        [f"L{j:0{len(str(s.lots))}d}" for j in range(1, s.lots + 1)],
        [f"C{k:0{len(str(s.contracts))}d}" for k in range(1, s.contracts + 1)],
    )


def _member_rows(
    s: _Settings, ids: _Ids, members: _Members, coverage: _Coverage
) -> list[dict[str, Any]]:
    band_values = [b.value for b in _BANDS]
    columns = zip(
        ids.members,
        members.band.tolist(),
        members.associate.tolist(),
        members.income.tolist(),
        members.quality.tolist(),
        members.qa_passed.tolist(),
        members.reporting.tolist(),
        members.impact.tolist(),
        _label_lists(coverage.themes, s.themes),
        _label_lists(coverage.areas, s.areas),
        strict=True,
    )
    return [
        {
            "id": mid,
            "name": f"{band_values[b].title()} organisation {mid}",
            "membership": "associate" if assoc else "full",
            "annual_income": str(inc),
            "quality_score": q,
            "qa_passed": qa,
            "reporting_compliance": r,
            "impact_score": imp,
            "themes": ts,
            "areas": ar,
        }
        for mid, b, assoc, inc, q, qa, r, imp, ts, ar in columns
    ]


#: Months of income a member of each band holds as unrestricted reserves: a few months, fewer
#: for the smallest (the sector's usual reserves policies aim at three to six months).
RESERVE_MONTHS: Final[Mapping[SizeBand, int]] = {
    SizeBand.MICRO: 1,
    SizeBand.SMALL: 2,
    SizeBand.MEDIUM: 3,
    SizeBand.LARGE: 4,
    SizeBand.MAJOR: 6,
}


def _with_reserves(s: _Settings, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """With the cash-flow condition or payment terms, each member's reserves (months of income).

    Off by default: a consortium without it is generated exactly as before.
    """
    if families.CASH_FLOW.switch not in s.side and s.payment_terms is None:
        return rows
    for row in rows:
        pence = int(Decimal(row["annual_income"]) * 100)
        months = RESERVE_MONTHS[SizeBand.of(Decimal(row["annual_income"]))]
        row["reserves"] = f"{pence * months // 12 // 100}.{pence * months // 12 % 100:02d}"
    return rows


def _lot_rows(s: _Settings, ids: _Ids, lots: _Lots) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for j in range(s.lots):
        row: dict[str, Any] = {
            "id": ids.lots[j],
            "value": str(int(lots.value[j])),
            "theme": s.themes[lots.theme[j]],
            "area": s.areas[lots.area[j]],
        }
        if lots.unit_price[j]:
            row["unit"] = "session" if lots.unit_kind[j] else "client"
            row["unit_price"] = str(int(lots.unit_price[j]))
        if lots.client_split[j]:
            k = int(lots.contract[j])
            row["client_group"] = "hard_to_help" if lots.position[j] % 2 else "standard"
            row["service"] = f"{ids.contracts[k]}/{s.themes[lots.theme[j]]}"
        rows.append(row)
    return rows


def _contract_rows(
    ids: _Ids, contracts: _Contracts, lot_rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {
            "id": ids.contracts[k],
            "commissioner": _COMMISSIONERS[contracts.commissioner[k]],
            "value": str(int(contracts.value[k])),
            "year": 1,
            "term_years": int(contracts.term[k]),
            "lots": lot_rows[int(first) : int(first + contracts.lots[k])],
        }
        for k, first in enumerate(contracts.first)
    ]


def _capacity_rows(
    ids: _Ids, lots: _Lots, covers: _BoolArray, cap_units: _IntArray
) -> list[dict[str, Any]]:
    # capacities lot by lot, members in id order
    lot_of, member_of = np.nonzero(covers.T)
    amounts = cap_units[member_of, lot_of].tolist()
    kinds = np.where(lots.unit_price[lot_of] > 0, "units", "amount").tolist()
    return [
        {"member": ids.members[i], "lot": ids.lots[j], kind: a if kind == "units" else str(a)}
        for i, j, kind, a in zip(member_of.tolist(), lot_of.tolist(), kinds, amounts, strict=True)
    ]


def _policy(
    s: _Settings,
    rng: np.random.Generator,
    ids: _Ids,
    members: _Members,
    lots: _Lots,
    covers: _BoolArray,
    cap_pounds: _IntArray,
) -> dict[str, Any]:
    """The rule, the thresholds, the exclusions and the side-constraints switched on."""
    policy: dict[str, Any] = {
        "rule": "proportional",
        "quality_threshold": s.quality_threshold,
        "reporting_threshold": s.reporting_threshold,
    }
    open_pairs = covers & members.status_ok[:, None]
    if families.EXCLUSIONS.switch in s.side:
        share = s.side[families.EXCLUSIONS.switch]
        if share is None:
            share = families.EXCLUSIONS.synthetic
        exclusions, barred = _exclusions(rng, float(share), open_pairs, cap_pounds, lots, s, ids)
        policy["exclusions"] = exclusions
        open_pairs &= ~barred
    room = _Room(
        can=np.where(open_pairs, cap_pounds, 0).astype(np.float64),
        pot=np.asarray(lots.value * (1 - s.rate), dtype=np.float64),
        contract=lots.contract,
        income=members.income,
        band=members.band,
    )
    policy.update(_policy_side_constraints(s.side, room))
    return policy


# -- drawing helpers -------------------------------------------------------------------------


def _split(rng: np.random.Generator, values: _IntArray, parts: _IntArray) -> _IntArray:
    """Split each value into ``parts`` whole-pound lots of at least £1,000 each."""
    out: list[int] = []
    for value, n in zip(values.tolist(), parts.tolist(), strict=True):
        if n == 1:
            out.append(value)
            continue
        shares = 0.25 / n + 0.75 * rng.dirichlet(np.full(n, 2.0))
        whole = _MIN_LOT + np.floor(shares * (value - _MIN_LOT * n)).astype(np.int64)
        whole[np.argmax(whole)] += value - int(whole.sum())  # exact total
        out.extend(whole.tolist())
    return np.array(out, dtype=np.int64)


def _cover(rng: np.random.Generator, prob: _FloatArray, n: int) -> _BoolArray:
    """Which of ``n`` labels each member serves: each with a chance, at least one.

    Forcing one label raises the chance of serving a given label to ``a + (1 - a)**n / n``; the
    per-label chance ``a`` is solved (by bisection) so that this equals ``prob``.
    """
    lo = np.zeros_like(prob)
    hi = np.ones_like(prob)
    for _ in range(40):
        mid = (lo + hi) / 2
        too_high = mid + (1 - mid) ** n / n > prob
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    chance = (lo + hi) / 2
    served = rng.random((prob.size, n)) < chance[:, None]
    none = ~served.any(axis=1)
    served[np.flatnonzero(none), rng.integers(0, n, int(none.sum()))] = True
    return served


def _label_lists(served: _BoolArray, labels: Sequence[str]) -> list[list[str]]:
    """Each member's labels; few distinct combinations, so each is spelled out once."""
    codes = served.astype(np.int64) @ (np.int64(1) << np.arange(served.shape[1], dtype=np.int64))
    unique, inverse = np.unique(codes, return_inverse=True)
    spelled = [[labels[k] for k in range(len(labels)) if code >> k & 1] for code in unique.tolist()]
    return [list(spelled[u]) for u in inverse.tolist()]


def _exclusions(
    rng: np.random.Generator,
    share: float,
    eligible: _BoolArray,
    cap_pounds: _IntArray,
    lots: _Lots,
    s: _Settings,
    ids: _Ids,
) -> tuple[list[dict[str, str]], _BoolArray]:
    """Bar members from whole contracts (a conflict of interest with the commissioner).

    About ``share`` of the eligible (member, contract) pairs are drawn; a bar is skipped when it
    would leave any lot of the contract below its value in capacity or below ``min_eligible``
    members.
    """
    out: list[dict[str, str]] = []
    barred = np.zeros_like(eligible)
    left_cap = np.where(eligible, cap_pounds, 0).sum(axis=0)
    left_n = eligible.sum(axis=0)
    for k in range(s.contracts):
        on = np.flatnonzero(lots.contract == k)
        on_contract = eligible[:, on].any(axis=1)
        candidates = np.flatnonzero(on_contract & (rng.random(eligible.shape[0]) < share))
        for i in candidates.tolist():
            hit = on[eligible[i, on]]
            cap = cap_pounds[i, hit]
            if (left_n[hit] - 1 < s.need).any() or (left_cap[hit] - cap < lots.value[hit]).any():
                continue
            left_n[hit] -= 1
            left_cap[hit] -= cap
            barred[i, on] = True
            out.append(
                {
                    "member": ids.members[i],
                    "contract": ids.contracts[k],
                    "reason": "conflict of interest with the commissioner",
                }
            )
    return out, barred


@dataclass(frozen=True, slots=True)
class _Room:
    """What the members can take, which the side-constraints' defaults are fitted to."""

    can: _FloatArray
    """[member, lot]: capacity in pounds where the member may receive the lot, else 0."""
    pot: _FloatArray
    """[lot]: the members' pot, the lot's value less the top-slice."""
    contract: _IntArray
    """[lot]: its contract."""
    income: _IntArray
    """[member]: annual income."""
    band: _IntArray
    """[member]: index of the size band in ``_BANDS``."""


def _policy_side_constraints(side: Mapping[str, Any], room: _Room) -> dict[str, Any]:
    """The policy's side-constraint values: given ones as they are, defaults fitted to the data.

    A default is the nominal value of :data:`SIDE_CONSTRAINT_DEFAULTS`, loosened just enough
    (with a margin) where the generated consortium could not meet it at all: a consortium sets
    rules its members can keep.  A minimum award and a dependency limit, given or fitted, narrow
    what the members can take before the share cap and the ring-fence are fitted.
    """
    wanted = [n for n in side if n in _POLICY_SIDE_CONSTRAINTS]
    out = {n: side[n] for n in wanted if side[n] is not None}
    auto = {n for n in wanted if side[n] is None}
    can = room.can
    if families.MIN_AWARD.switch in side:
        floor = side[families.MIN_AWARD.switch]
        if floor is None:
            floor = out[families.MIN_AWARD.switch] = _fit_min_award(room.pot)
        can = np.where(can < float(floor), 0.0, can)  # nothing, or at least the floor
    if families.MAX_DEPENDENCY.switch in side:
        dep = side[families.MAX_DEPENDENCY.switch]
        if dep is None:
            dep = _fit_max_dependency(can, room)
            out[families.MAX_DEPENDENCY.switch] = _plain(dep)
        can = np.minimum(can, _spread(can) * (float(dep) * room.income)[:, None])
    n_c = int(room.contract.max()) + 1
    pot_c = np.bincount(room.contract, weights=room.pot, minlength=n_c)
    can_c = np.stack([can[:, room.contract == k].sum(axis=1) for k in range(n_c)], axis=1)
    if families.MAX_MEMBER_SHARE.switch in auto:
        out[families.MAX_MEMBER_SHARE.switch] = _fit_max_member_share(can_c, pot_c)
    if families.SMALL_ORG_SHARE.switch in auto:
        out[families.SMALL_ORG_SHARE.switch] = _fit_small_org_share(can_c, pot_c, room.band)
    for name in auto - set(out):  # the rest keep their nominal value
        out[name] = SIDE_CONSTRAINT_DEFAULTS[name]
    return {_POLICY_SIDE_CONSTRAINTS[k]: out[k] for k in wanted}


def _fit_min_award(pot: _FloatArray) -> str:
    """The nominal minimum award, or a quarter of the smallest pot when less (at least £10)."""
    nominal = float(families.MIN_AWARD.synthetic)
    quarter = math.floor(float(pot.min()) / 4 / 10) * 10
    return str(int(max(10, min(nominal, quarter))))


def _fit_max_dependency(can: _FloatArray, room: _Room) -> float:
    """The nominal dependency limit, or 1.5 times the least that lets every lot be filled."""
    # each member's allowance spread over its lots in proportion to capacity
    spread = _spread(can)

    def filled(multiple: float) -> float:  # the least filled lot, as a share of its pot
        return float(_fill(can, spread * (multiple * room.income)[:, None], room.pot).min())

    lo, hi = 0.0, 1.0
    while filled(hi) < 1.0 and hi < 100:
        lo, hi = hi, hi * 2
    least = _least(lambda multiple: filled(multiple) >= 1.0, lo, hi)
    nominal = float(families.MAX_DEPENDENCY.synthetic)
    return min(100.0, max(nominal, math.ceil(least * 1.5 * 2) / 2))


def _fit_max_member_share(can_c: _FloatArray, pot_c: _FloatArray) -> str:
    """The nominal share cap, or 1.25 times the least that lets every contract be filled."""
    need_share = max([0.0, *(_least_share(can_c[:, k], pot_c[k]) for k in range(pot_c.size))])
    nominal = float(families.MAX_MEMBER_SHARE.synthetic)
    return _plain(min(1.0, max(nominal, math.ceil(need_share * 1.25 * 20) / 20)))


def _least_share(can: _FloatArray, pot: np.float64) -> float:
    """The smallest share s of a contract with sum_i min(can_i, s * pot) >= pot."""
    return _least(lambda share: bool(np.minimum(can, share * pot).sum() >= pot), 0.0, 1.0)


def _fit_small_org_share(can_c: _FloatArray, pot_c: _FloatArray, band: _IntArray) -> str:
    """The nominal ring-fence, or half of what eligible small members can take when less."""
    small = band <= _BANDS.index(SizeBand.SMALL)
    ratio = float((can_c[small].sum(axis=0) / np.maximum(pot_c, 1.0)).min())
    nominal = float(families.SMALL_ORG_SHARE.synthetic)
    return _plain(max(0.001, min(nominal, math.floor(ratio / 2 * 1000) / 1000)))


def _least(ok: Callable[[float], bool], lo: float, hi: float) -> float:
    """The least value in ``[lo, hi]`` that is ``ok`` (``hi`` is), to 30 halvings."""
    for _ in range(30):
        mid = (lo + hi) / 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _spread(can: _FloatArray) -> _FloatArray:
    """Each member's share of its capacity on each lot."""
    return can / np.maximum(can.sum(axis=1, keepdims=True), 1.0)


def _fill(can: _FloatArray, allowance: _FloatArray, pot: _FloatArray) -> _FloatArray:
    """Per lot: what members can deliver within their allowance, over the lot's pot."""
    return np.minimum(can, allowance).sum(axis=0) / np.maximum(pot, 1.0)


def _plain(x: float) -> str:
    """A short exact decimal string for a policy value (0.45, not 0.45000000000000001)."""
    return format(Decimal(repr(round(x, 6))).normalize(), "f")


def _pooled(
    share: float,
    covers: _BoolArray,
    cap_pounds: _IntArray,
    lot_theme: _IntArray,
    theme_labels: Sequence[str],
    ids: _Ids,
) -> list[dict[str, Any]]:
    """One pooled capacity per member and theme served on at least two lots."""
    out: list[dict[str, Any]] = []
    for t in np.unique(lot_theme).tolist():
        on = lot_theme == t
        if int(on.sum()) < 2:
            continue
        several = covers[:, on].sum(axis=1) >= 2
        totals = cap_pounds[:, on].sum(axis=1)
        for i in np.flatnonzero(several).tolist():
            out.append(
                {
                    "member": ids.members[i],
                    "theme": theme_labels[t],
                    "amount": str(max(1, math.ceil(share * int(totals[i])))),
                }
            )
    return out


# -- parameter checks ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Settings:
    """The parameters of :func:`consortium_dict`, checked (see :func:`consortium`)."""

    members: int
    lots: int
    contracts: int
    seed: int
    density: float
    weights: _FloatArray
    slack: float
    side: dict[str, Any]
    themes: list[str]
    areas: list[str]
    associate_share: float
    qa_fail_share: float
    unit_priced_share: float
    need: int
    """``min_eligible``."""
    quality_threshold: float
    reporting_threshold: float
    rate: float
    """``top_slice_rate``."""
    payment_terms: dict[str, Any] | None = None
    """``payment_terms`` as the problem's ``cash_flow`` object (None: none)."""


def _contract_count(contracts: int | None, n_l: int) -> int:
    if contracts is None:
        return max(1, round(n_l / 2.5))
    n_c = _positive_int("contracts", contracts)
    if n_c > n_l:
        raise ValueError(f"contracts must be at most lots ({n_l}), not {contracts!r}")
    return n_c


def _seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    return int(seed)


def _slack(value: object) -> float:
    slack = _real("capacity_slack", value)
    if not slack >= 1.0:
        raise ValueError(f"capacity_slack must be at least 1, not {value!r}")
    return slack


def _top_slice_rate(value: object) -> float:
    rate = _fraction("top_slice_rate", value)
    if rate > 0.1:
        raise ValueError(f"top_slice_rate must be at most 0.10 (the founding rule), not {rate!r}")
    return rate


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value!r}")
    return int(value)


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, not {value!r}")
    return result


def _fraction(name: str, value: object, *, open_low: bool = False) -> float:
    result = _real(name, value)
    if not (0.0 < result <= 1.0 if open_low else 0.0 <= result <= 1.0):
        interval = "above 0 and at most 1" if open_low else "between 0 and 1"
        raise ValueError(f"{name} must be {interval}, not {value!r}")
    return result


def _band_weights(weights: Mapping[SizeBand | str, float] | None) -> _FloatArray:
    if weights is None:
        return np.array([NCVO_BANDS[b] for b in _BANDS]) / sum(NCVO_BANDS.values())
    if not isinstance(weights, Mapping):
        raise TypeError(f"band_weights must be a mapping from size band to weight, not {weights!r}")
    out = np.zeros(len(_BANDS))
    for key, w in weights.items():
        try:
            band = SizeBand(key)
        except ValueError:
            names = ", ".join(b.value for b in _BANDS)
            raise ValueError(
                f"band_weights has unknown size band {key!r} (expected one of {names})"
            ) from None
        weight = _real(f"band_weights[{band.value!r}]", w)
        if weight < 0:
            raise ValueError(f"band_weights[{band.value!r}] must not be negative, not {w!r}")
        out[_BANDS.index(band)] = weight
    if out.sum() <= 0:
        raise ValueError(f"band_weights must give some band a positive weight, not {weights!r}")
    return out / out.sum()


def _labels(name: str, value: int | Sequence[str], pool: Sequence[str], what: str) -> list[str]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        n = _positive_int(name, value)
        return [*pool[:n], *(f"{what}-{k}" for k in range(len(pool) + 1, n + 1))]
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a count or a sequence of labels, not {value!r}")
    labels = list(value)
    if not labels:
        raise ValueError(f"{name} must not be empty")
    for label in labels:
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{name} has an invalid label {label!r}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"{name} has duplicate labels: {labels!r}")
    return labels


def _side_constraints(value: Iterable[str] | Mapping[str, Any] | str) -> dict[str, Any]:
    if isinstance(value, str):
        value = (value,)
    if isinstance(value, Mapping):
        chosen = dict(value)
    else:
        try:
            names = list(value)
        except TypeError:
            raise TypeError(
                f"side_constraints must be names or a mapping of name to value, not {value!r}"
            ) from None
        chosen = {}
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"side_constraints has a non-string name {name!r}")
            chosen[name] = None  # the default, fitted to the data
    unknown = [n for n in chosen if n not in SIDE_CONSTRAINT_DEFAULTS]
    if unknown:
        raise ValueError(
            f"side_constraints has unknown name(s) {unknown!r} "
            f"(expected some of {', '.join(ALL_SIDE_CONSTRAINTS)})"
        )
    for key in _DATA_SIDE_CONSTRAINTS:
        if chosen.get(key) is not None:
            chosen[key] = _fraction(f"side_constraints[{key!r}]", chosen[key], open_low=True)
    return chosen
