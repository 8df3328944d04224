"""What every report format writes alike: percentages, missing amounts and the contract rows.

Plain text, no markup: the Markdown, HTML and text renderers each lay these out their own way
(see :mod:`allocate.report.table`).

Examples
--------
>>> from decimal import Decimal
>>> percent(Decimal("0.1234")), percent(Decimal("0.1"), 2), percent(None)
('12.3%', '10.00%', '—')
>>> money_or_dash(Decimal("1234.5")), money_or_dash(None)
('£1,234.50', '—')
>>> count(1, "contract"), count(3, "contract"), count(0, "lot"), count(2, "pair", "pairs of ids")
('1 contract', '3 contracts', '0 lots', '2 pairs of ids')
"""

from __future__ import annotations

from decimal import Decimal

from allocate.core.money import format_money
from allocate.core.outcome import (
    Allocation,
    AwardCost,
    CashFlowReport,
    SocialValueRow,
    TenderReport,
)

__all__ = [
    "CASH_FLOW_HEADERS",
    "CONTRACT_HEADERS",
    "CONTRACT_NUMERIC",
    "FULL_COST_HEADERS",
    "SOCIAL_VALUE_HEADERS",
    "TENDER_HEADERS",
    "cash_flow_lines",
    "cash_flow_rows",
    "contract_rows",
    "count",
    "full_cost_lines",
    "full_cost_rows",
    "money_or_dash",
    "percent",
    "social_value_lines",
    "social_value_rows",
    "tender_lines",
    "tender_rows",
    "top_slice_rate",
    "total_value",
]

#: Headings of the table of contracts and the hub's top-slice.
CONTRACT_HEADERS = ["contract", "commissioner", "value", "top-slice", "rate", "ratio", "to members"]
#: Its columns of amounts and rates.
CONTRACT_NUMERIC = [2, 3, 4, 6]


def count(n: int, word: str, plural: str | None = None) -> str:
    """``n`` and the word, singular for exactly one: "1 contract", "3 contracts".

    Thousands are separated; ``plural`` is for a word that does not just take an "s".
    """
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def percent(x: Decimal | float | None, places: int = 1) -> str:
    """A fraction as a percentage with ``places`` decimals; a dash for ``None``."""
    return "—" if x is None else f"{float(x) * 100:.{places}f}%"


def money_or_dash(x: Decimal | None) -> str:
    """An amount in pounds; a dash for ``None`` (nothing declared or computed)."""
    return "—" if x is None else format_money(x)


def contract_rows(a: Allocation) -> list[list[str]]:
    """One row per contract under :data:`CONTRACT_HEADERS`: value, top-slice, what is left."""
    return [
        [
            c.id,
            c.commissioner,
            format_money(c.value),
            format_money(c.top_slice),
            percent(c.effective_rate, 2),
            c.delivery_ratio,
            format_money(c.members_total),
        ]
        for c in a.contracts
    ]


def total_value(a: Allocation) -> Decimal:
    """The value of all the allocation's contracts together."""
    return sum((c.value for c in a.contracts), Decimal(0))


def top_slice_rate(a: Allocation) -> Decimal:
    """The hub's top-slice as a fraction of the total value (0 when there is no value)."""
    total = total_value(a)
    return a.top_slice / total if total else Decimal(0)


#: The columns of a sub-tender's evaluation matrix, in every format.
TENDER_HEADERS: tuple[str, ...] = (
    "rank",
    "member",
    "quality",
    "social value",
    "impact",
    "capacity",
    "price",
    "total",
    "qualified",
    "award",
    "score gap",
    "why not qualified",
)


def tender_rows(t: TenderReport) -> list[list[str]]:
    """One row per bid of a sub-tender: its scores, total, rank, qualification and award."""
    return [
        [
            str(b.rank) if b.rank is not None else "—",
            b.member,
            *(b.scores.get(c) or "—" for c in ("quality", "social_value", "impact", "capacity")),
            (b.scores.get("price") or "—")
            + (f" ({format_money(b.price)})" if b.price is not None else ""),
            b.total,
            "yes" if b.qualified else "no",
            format_money(b.award),
            b.gap if b.gap is not None else "—",
            "; ".join(b.reasons),
        ]
        for b in t.bids
    ]


def tender_lines(t: TenderReport) -> list[str]:
    """What a sub-tender decided, in words: the evaluation, winners, savings, moves."""
    weights = ", ".join(f"{c} {w}" for c, w in t.weights.items() if Decimal(w))
    lines = [
        f"{t.lot} ({t.contract}): {t.competition.replace('_', ' ')} competition; weights "
        f"{weights}; minimum quality {t.min_quality}; "
        + (
            f"at most {count(t.max_winners, 'winner')}, "
            if t.max_winners is not None
            else "every qualifying bid may win, "
        )
        + f"split {t.split.replace('_', ' ')}; savings: {t.saving.replace('_', ' ')}.",
        *t.decisions,
    ]
    for b in t.bids:
        if b.abnormally_low:
            lines.append(f"{b.member}: abnormally low price, {b.abnormally_low}")
    for s in t.savings:
        where = f"went to {s.to}" if s.to else "stayed with it for more units"
        if s.units is not None:
            where += f" ({s.units:,} more {'unit' if s.units == 1 else 'units'} at its price)"
        lines.append(f"{s.source}: its saving of {format_money(s.amount)} {where}")
    return lines


#: The columns of the cash-flow section (numeric: 2 to 7).
CASH_FLOW_HEADERS: tuple[str, ...] = (
    "member",
    "size band",
    "awards",
    "full cost",
    "peak need",
    "peak month",
    "reserves",
    "flag limit",
    "flagged",
)


def cash_flow_rows(r: CashFlowReport) -> list[list[str]]:
    """One row per member with an award: its peak working capital against its reserves."""
    return [
        [
            m.member,
            m.size_band,
            format_money(m.awards),
            format_money(m.full_cost),
            format_money(m.peak_need),
            str(m.peak_month) if m.peak_month is not None else "—",
            money_or_dash(m.reserves),
            money_or_dash(m.limit),
            "yes" if m.flagged else "no",
        ]
        for m in r.members
    ]


def cash_flow_lines(r: CashFlowReport) -> list[str]:
    """The cash flow in words: the hub's peak and the members flagged."""
    hub = (
        f"The hub's peak working capital is {format_money(r.hub_peak_need)} in month "
        f"{r.hub_peak_month}"
        if r.hub_peak_month is not None
        else "The hub never needs working capital"
    )
    advances = (
        f"; its advances to members add {format_money(r.hub_advance_cost)} to it"
        if r.hub_advance_cost
        else ""
    )
    flagged = (
        f"Members whose peak working capital is above their flag limit: {', '.join(r.flagged)}."
        if r.flagged
        else "No member's peak working capital is above its flag limit."
    )
    return [
        f"Forecast month by month over {count(r.horizon, 'month')} (month 1: the first month "
        f"of delivery). {hub}{advances}.",
        flagged,
    ]


#: The columns of the full-cost section (numeric: 2 to 4).
FULL_COST_HEADERS: tuple[str, ...] = ("member", "lot", "award", "full cost", "margin", "covered")


def full_cost_rows(costs: list[AwardCost]) -> list[list[str]]:
    """One row per award on a capacity that declares its full cost."""
    return [
        [
            c.member,
            c.lot,
            format_money(c.award),
            format_money(c.full_cost),
            format_money(c.surplus) if c.covered else "−" + format_money(c.subsidy),
            "yes" if c.covered else "no",
        ]
        for c in costs
    ]


def full_cost_lines(costs: list[AwardCost]) -> list[str]:
    """Full-cost recovery in words: the awards below cost and what their members would subsidise."""
    below = [c for c in costs if not c.covered]
    if not below:
        return [f"Every one of the {count(len(costs), 'award')} with a declared cost covers it."]
    total = sum((c.subsidy for c in below), Decimal(0))
    who = ", ".join(f"{c.member} on {c.lot} {format_money(c.subsidy)}" for c in below)
    return [
        f"{count(len(below), 'award')} below full cost: the members would subsidise "
        f"{format_money(total)} in all ({who})."
    ]


#: The columns of the social-value section (numeric: 1 to 6).
SOCIAL_VALUE_HEADERS: tuple[str, ...] = (
    "contract",
    "value",
    "hub share",
    "awards",
    "micro and small",
    "local",
    "organisations",
    "targets missed",
)


def social_value_rows(rows: list[SocialValueRow]) -> list[list[str]]:
    """One row per contract, then the total: where the money goes."""
    return [
        [
            r.contract,
            format_money(r.value),
            percent(r.hub_share),
            format_money(r.awards),
            percent(r.small_share),
            percent(r.local_share),
            str(r.organisations),
            ", ".join(r.targets_missed) or "—",
        ]
        for r in rows
    ]


def social_value_lines(rows: list[SocialValueRow]) -> list[str]:
    """The social value in words: the totals, and the targets missed overall."""
    total = rows[-1]
    line = (
        f"In all, {percent(total.small_share)} of the members' awards go to micro and small "
        f"organisations and {percent(total.local_share)} to organisations based in the lot's "
        f"area; {count(total.organisations, 'organisation')} funded; the hub keeps "
        f"{percent(total.hub_share)}."
    )
    missed = (
        f"Targets missed in total: {', '.join(total.targets_missed)}."
        if total.targets_missed
        else "No target is missed in total."
    )
    return [line, missed]
