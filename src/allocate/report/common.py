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
from allocate.core.outcome import Allocation, TenderReport

__all__ = [
    "CONTRACT_HEADERS",
    "CONTRACT_NUMERIC",
    "TENDER_HEADERS",
    "contract_rows",
    "count",
    "money_or_dash",
    "percent",
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
        lines.append(f"{s.source}: its saving of {format_money(s.amount)} {where}")
    return lines
