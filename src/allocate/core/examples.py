"""Built-in example consortia.

:func:`demo_problem` is modelled on a consortium prospectus: a hub serving
third-sector organisations across Bedfordshire and Luton, with members of every size from a
volunteer-led micro group to a large regional charity, full and associate members, and one member
that has not yet passed quality assurance.  All names are fictional.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from allocate.core.model import Problem

__all__ = ["demo_dict", "demo_problem", "example_dict", "money_demo_dict", "tender_demo_dict"]


def _member(
    id: str,
    name: str,
    income: str,
    *,
    themes: list[str],
    areas: list[str],
    quality: float,
    reporting: float,
    qa: bool = True,
    membership: str = "full",
) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "membership": membership,
        "annual_income": income,
        "quality_score": quality,
        "qa_passed": qa,
        "reporting_compliance": reporting,
        "themes": themes,
        "areas": areas,
    }


def demo_dict() -> dict[str, Any]:
    """The demo consortium as plain JSON-ready data."""
    beds_luton = ["Bedford", "Luton", "Central Bedfordshire"]
    members = [
        _member(
            "luton-advice",
            "Luton Advice Centre",
            "850000",
            themes=["advice"],
            areas=["Luton"],
            quality=0.86,
            reporting=0.95,
        ),
        _member(
            "beds-wellbeing",
            "Bedfordshire Wellbeing Trust",
            "2400000",
            themes=["health", "advice", "volunteering"],
            areas=beds_luton,
            quality=0.91,
            reporting=0.97,
        ),
        _member(
            "harpur-arts",
            "Harpur Community Arts",
            "62000",
            themes=["arts", "health"],
            areas=["Bedford"],
            quality=0.78,
            reporting=0.88,
        ),
        _member(
            "kempston-carers",
            "Kempston Carers Network",
            "140000",
            themes=["health"],
            areas=["Bedford", "Central Bedfordshire"],
            quality=0.82,
            reporting=0.9,
        ),
        _member(
            "luton-youth",
            "Luton Youth Voice",
            "310000",
            themes=["advice", "arts"],
            areas=["Luton"],
            quality=0.74,
            reporting=0.81,
        ),
        _member(
            "volunteer-beds",
            "Volunteer Centre Bedfordshire",
            "95000",
            themes=["volunteering", "advice"],
            areas=beds_luton,
            quality=0.8,
            reporting=0.93,
        ),
        _member(
            "dunstable-debt",
            "Dunstable Debt Advice",
            "8500",
            themes=["advice"],
            areas=["Central Bedfordshire"],
            quality=0.7,
            reporting=0.75,
        ),
        _member(
            "marston-green",
            "Marston Vale Green Spaces",
            "420000",
            themes=["health", "volunteering"],
            areas=["Central Bedfordshire"],
            quality=0.69,
            reporting=0.85,
            qa=False,
        ),
        _member(
            "bedford-refugee",
            "Bedford Refugee Welcome",
            "180000",
            themes=["advice"],
            areas=["Bedford", "Luton"],
            quality=0.88,
            reporting=0.92,
        ),
        _member(
            "leagrave-men",
            "Leagrave Men's Shed",
            "12000",
            themes=["health"],
            areas=["Luton"],
            quality=0.75,
            reporting=0.6,
            membership="associate",
        ),
        _member(
            "chiltern-mind",
            "Chiltern Mind",
            "1150000",
            themes=["health", "advice"],
            areas=["Luton", "Central Bedfordshire"],
            quality=0.84,
            reporting=0.89,
        ),
    ]
    contracts = [
        {
            "id": "advice-2026",
            "commissioner": "Luton Borough Council",
            "value": "480000",
            "year": 1,
            "term_years": 3,
            "lots": [
                {"id": "advice-luton", "value": "300000", "theme": "advice", "area": "Luton"},
                {"id": "advice-bedford", "value": "180000", "theme": "advice", "area": "Bedford"},
            ],
        },
        {
            "id": "wellbeing-2026",
            "commissioner": "Bedfordshire and Luton Integrated Care Board",
            "value": "650000",
            "year": 1,
            "term_years": 2,
            "lots": [
                {
                    "id": "social-prescribing-luton",
                    "value": "250000",
                    "theme": "health",
                    "area": "Luton",
                    "unit": "client",
                    "unit_price": "250",
                },
                {
                    "id": "social-prescribing-central",
                    "value": "250000",
                    "theme": "health",
                    "area": "Central Bedfordshire",
                    "unit": "client",
                    "unit_price": "250",
                },
                {"id": "carers-bedford", "value": "150000", "theme": "health", "area": "Bedford"},
            ],
        },
        {
            "id": "volunteering-2026",
            "commissioner": "Bedford Borough Council",
            "value": "90000",
            "year": 1,
            "term_years": 1,
            "lots": [
                {
                    "id": "volunteering-central",
                    "value": "90000",
                    "theme": "volunteering",
                    "area": "Central Bedfordshire",
                },
            ],
        },
    ]
    capacities = [
        {"member": "luton-advice", "lot": "advice-luton", "amount": "220000"},
        {"member": "beds-wellbeing", "lot": "advice-luton", "amount": "120000"},
        {"member": "beds-wellbeing", "lot": "advice-bedford", "amount": "90000"},
        {"member": "luton-youth", "lot": "advice-luton", "amount": "60000"},
        {"member": "volunteer-beds", "lot": "advice-luton", "amount": "15000"},
        {"member": "volunteer-beds", "lot": "advice-bedford", "amount": "20000"},
        {"member": "bedford-refugee", "lot": "advice-bedford", "amount": "70000"},
        {"member": "bedford-refugee", "lot": "advice-luton", "amount": "40000"},
        {"member": "chiltern-mind", "lot": "advice-luton", "amount": "50000"},
        {"member": "dunstable-debt", "lot": "advice-bedford", "amount": "5000"},
        {"member": "beds-wellbeing", "lot": "social-prescribing-luton", "units": 640},
        {"member": "chiltern-mind", "lot": "social-prescribing-luton", "units": 420},
        {"member": "leagrave-men", "lot": "social-prescribing-luton", "units": 60},
        {"member": "beds-wellbeing", "lot": "social-prescribing-central", "units": 400},
        {"member": "chiltern-mind", "lot": "social-prescribing-central", "units": 380},
        {"member": "kempston-carers", "lot": "social-prescribing-central", "units": 260},
        {"member": "marston-green", "lot": "social-prescribing-central", "units": 300},
        {"member": "kempston-carers", "lot": "carers-bedford", "amount": "110000"},
        {"member": "harpur-arts", "lot": "carers-bedford", "amount": "30000"},
        {"member": "beds-wellbeing", "lot": "carers-bedford", "amount": "90000"},
        {"member": "volunteer-beds", "lot": "volunteering-central", "amount": "70000"},
        {"member": "marston-green", "lot": "volunteering-central", "amount": "60000"},
        {"member": "beds-wellbeing", "lot": "volunteering-central", "amount": "40000"},
    ]
    return {
        "name": "Bedfordshire and Luton consortium (demo)",
        "members": members,
        "contracts": contracts,
        "capacities": capacities,
        "hub": {"name": "Consortium hub", "annual_cost": "95000"},
        "top_slice": {"max_rate": "0.10", "target_rate": "0.05", "method": "fixed"},
        "policy": {"rule": "proportional", "quality_threshold": 0.7, "reporting_threshold": 0.75},
    }


def demo_problem() -> Problem:
    """The demo consortium as a validated :class:`~allocate.Problem`.

    >>> p = demo_problem()
    >>> len(p.members), len(p.contracts)
    (11, 3)
    """
    return Problem.model_validate(demo_dict())


def tender_demo_dict() -> dict[str, Any]:
    """The demo consortium with a fourth contract whose lot is awarded by sub-tender.

    A £120,000 debt-advice lot in Luton, put to an open price-and-quality competition among the
    members (weights: quality 0.4, social value 0.2, impact 0.1, capacity 0.1, price 0.2; one
    winner; savings shared with any other winner).  Kept apart from :func:`demo_dict`, whose
    figures the documentation quotes.

    >>> p = Problem.model_validate(tender_demo_dict())
    >>> sorted(p.tendered), len(p.bids)
    (['debt-advice-luton'], 5)
    """
    data = demo_dict()
    data["name"] = "Bedfordshire and Luton consortium (demo, with a sub-tender)"
    data["contracts"].append(
        {
            "id": "debt-advice-2026",
            "commissioner": "Luton Borough Council",
            "value": "120000",
            "award": "sub_tender",
            "lots": [
                {"id": "debt-advice-luton", "value": "120000", "theme": "advice", "area": "Luton"}
            ],
        }
    )
    lot = "debt-advice-luton"
    data["bids"] = [
        {"member": "luton-advice", "lot": lot, "quality": 0.85, "social_value": 0.7,
         "impact": 0.8, "price": "100000", "capacity": "90000"},
        {"member": "bedford-refugee", "lot": lot, "quality": 0.8, "social_value": 0.9,
         "impact": 0.7, "price": "104000"},
        {"member": "chiltern-mind", "lot": lot, "quality": 0.75, "social_value": 0.6,
         "impact": 0.6, "price": "98000"},
        {"member": "luton-youth", "lot": lot, "quality": 0.7, "social_value": 0.8,
         "impact": 0.9, "price": "60000", "unit_cost": "75000"},
        {"member": "dunstable-debt", "lot": lot, "quality": 0.9, "social_value": 0.8,
         "impact": 0.8, "price": "95000"},
    ]  # fmt: skip
    data["policy"] = {
        **data.get("policy", {}),
        "tender": {
            "competition": "price_quality",
            "weights": {"quality": "0.4", "social_value": "0.2", "impact": "0.1",
                        "capacity": "0.1", "price": "0.2"},
            "min_quality": 0.7,
            "max_winners": 2,
            "split": "score_proportional",
            "saving": "other_winners",
        },
    }  # fmt: skip
    return data


def money_demo_dict() -> dict[str, Any]:
    """The demo consortium with money over time: payment terms, reserves, full costs, targets.

    The commissioners pay quarterly in arrears with 10% by results three months after each
    quarter; the hub pays members back to back 30 days later, micro members each month in
    advance.  Every member declares three months of its income as reserves and where it is
    based (its first area); no member's peak working capital may exceed its reserves.  On the
    social-prescribing lots (£250 a client, £225 to the members after the hub's 10%) two members
    declare unit costs, one above what a unit pays; one advice member costs £1.05 a pound.  The
    social value targets: 20% to micro and small organisations, half to local ones, at least
    four organisations, the hub at most 10%.  Kept apart from :func:`demo_dict`, whose figures
    the documentation quotes.

    >>> p = Problem.model_validate(money_demo_dict())
    >>> p.policy.max_reserves_share, p.cash_flow.commissioner.frequency.value
    (Decimal('1'), 'quarterly')
    """
    data = demo_dict()
    data["name"] = "Bedfordshire and Luton consortium (demo, money over time)"
    for m in data["members"]:
        m["reserves"] = str(Decimal(m["annual_income"]) * 3 / 12)
        m["based_in"] = m["areas"][0]
    costs = {
        ("beds-wellbeing", "social-prescribing-luton"): {"unit_cost": "200"},
        ("chiltern-mind", "social-prescribing-luton"): {"unit_cost": "240"},
        ("luton-youth", "advice-luton"): {"cost_ratio": "1.05"},
    }
    for cap in data["capacities"]:
        cap.update(costs.get((cap["member"], cap["lot"]), {}))
    data["cash_flow"] = {
        "commissioner": {"frequency": "quarterly", "results_share": "0.1",
                         "results_lag_months": 3},
        "members": {"basis": "back_to_back", "days": 30, "advance_bands": ["micro"]},
    }  # fmt: skip
    data["policy"] = {
        **data.get("policy", {}),
        "max_reserves_share": "1",
        "social_value": {"min_small_share": "0.2", "min_local_share": "0.5",
                         "min_organisations": 4, "max_hub_share": "0.1"},
    }  # fmt: skip
    return data


def example_dict() -> dict[str, Any]:
    """A tiny valid problem (one member, one contract of £1,000), for examples and doctests.

    >>> Problem.model_validate(example_dict()).members[0].id
    'a'
    """
    return {
        "members": [
            {
                "id": "a",
                "annual_income": "50000",
                "quality_score": 0.8,
                "qa_passed": True,
                "reporting_compliance": 0.9,
                "themes": ["advice"],
                "areas": ["Luton"],
            }
        ],
        "contracts": [
            {
                "id": "c1",
                "value": "1000",
                "lots": [{"id": "l1", "value": "1000", "theme": "advice", "area": "Luton"}],
            }
        ],
        "capacities": [{"member": "a", "lot": "l1", "amount": "2000"}],
    }
