"""Over the life of a contract: a reallocation, a trade decision and a year plan as reports.

Markdown (:func:`life_markdown`) and a stand-alone HTML page (:func:`life_html`, inline CSS,
no script, every text from the input escaped) for the three documents of
:mod:`allocate.review`, one small function a section, as in :mod:`allocate.report.markdown` and
:mod:`allocate.report.html`.  :func:`life_report_for` picks the format by a file's suffix, as
:func:`allocate.report.report_for` does for an allocation (``allocate review ... --report``).

Examples
--------
>>> from pathlib import Path
>>> life_report_for(Path("review.md")) is life_markdown
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import PurePath

from allocate.core.money import format_money
from allocate.core.outcome import Check, ContractResult, Diagnosis
from allocate.core.review import Reallocation, TradeDecision
from allocate.core.years import YearPlan
from allocate.report.common import money_or_dash, percent
from allocate.report.headline import status_badge
from allocate.report.markup import Markup, concat, element, format_html
from allocate.report.styles import REPORT_CSS, style_element
from allocate.report.table import html_table, markdown_table

__all__ = [
    "LIFE_FORMATS",
    "LifeDocument",
    "life_html",
    "life_markdown",
    "life_report_for",
]

#: A document of a contract's life.
LifeDocument = Reallocation | TradeDecision | YearPlan

_REALLOCATION_HEADERS = [
    "member",
    "lot",
    "as made",
    "delivered",
    "remaining before",
    "remaining after",
    "change",
    "award",
    "why",
]


def _signed(x: Decimal | None) -> str:
    if x is None:
        return "—"
    return ("+" if x > 0 else "") + format_money(x) if x else "0"


def _reallocation_rows(r: Reallocation) -> list[list[str]]:
    return [
        [
            row.member,
            row.lot,
            format_money(row.as_made),
            format_money(row.delivered),
            format_money(row.remaining_before),
            format_money(row.remaining_after),
            _signed(row.moved),
            format_money(row.award),
            row.reason,
        ]
        for row in r.rows
    ]


def _trade_lines(t: TradeDecision) -> list[str]:
    q = f"{t.trade.units} units" if t.trade.units is not None else money_or_dash(t.trade.amount)
    head = f"{t.trade.seller} → {t.trade.buyer}, lot {t.trade.lot}: {q}"
    if t.approved:
        assert t.version is not None
        return [f"{head}: approved as version {t.version.number} (revises {t.version.revises})"]
    return [f"{head}: refused", *t.reasons]


def _years_table(p: YearPlan) -> tuple[list[str], list[list[str]]]:
    """The years × members table: each member's award per year, then top-slice and value."""
    years = [y.year for y in p.years if y.status.is_ok]
    members = sorted({m.member for y in p.years for m in y.members})
    got = {(m.year, m.member): m for y in p.years for m in y.members}
    rows = []
    for member in members:
        cells = [member]
        for year in years:
            m = got.get((year, member))
            if m is None:
                cells.append("—")
                continue
            mark = " ⚖" if m.held and m.award in (m.low, m.high) else ""
            cells.append(format_money(m.award) + mark)
        rows.append(cells)
    by_year = {y.year: y for y in p.years}
    rows.append(
        ["top-slice"]
        + [
            format_money(sum((c.top_slice for c in by_year[y].contracts), Decimal(0)))
            for y in years
        ]
    )
    rows.append(
        ["value"]
        + [format_money(sum((c.value for c in by_year[y].contracts), Decimal(0))) for y in years]
    )
    return ["member", *(f"year {y}" for y in years)], rows


def _year_contract_rows(p: YearPlan) -> list[list[str]]:
    return [
        [
            str(y.year),
            c.id,
            format_money(c.value),
            percent(c.rate, 2),
            format_money(c.top_slice),
            format_money(c.members_total),
            c.delivery_ratio,
        ]
        for y in p.years
        for c in y.contracts
    ]


_YEAR_CONTRACT_HEADERS = ["year", "contract", "value", "rate", "top-slice", "members", "ratio"]

_HELD_HEADERS = ["year", "member", "award", "last year", "change", "low", "high", "why"]


def _held_rows(p: YearPlan) -> list[list[str]]:
    return [
        [
            str(m.year),
            m.member,
            format_money(m.award),
            money_or_dash(m.previous),
            _signed(m.change),
            money_or_dash(m.low),
            money_or_dash(m.high),
            m.reason,
        ]
        for y in p.years
        for m in y.members
        if m.previous is not None
    ]


# -- Markdown ----------------------------------------------------------------------------------


def _section(title: str, body: Sequence[str]) -> list[str]:
    return ["", f"## {title}", "", *body]


def _checks_md(checks: Sequence[Check]) -> list[str]:
    return [f"- {'✔' if c.passed else '✘'} **{c.name}**: {c.detail}" for c in checks]


def _diagnosis_md(d: Diagnosis) -> list[str]:
    return [d.summary, "", *(f"- {m}" for m in d.messages)]


def _contracts_md(contracts: Sequence[ContractResult]) -> list[str]:
    return [
        f"- **{c.id}**: {format_money(c.value)}, top-slice {format_money(c.top_slice)} "
        f"({percent(c.rate, 2)}), members {format_money(c.members_total)}"
        for c in contracts
    ]


def life_markdown(doc: LifeDocument) -> str:
    """A reallocation, a trade decision or a year plan as Markdown."""
    if isinstance(doc, Reallocation):
        lines = [
            f"# Reallocation: {doc.version.label} (version {doc.version.number})",
            "",
            f"Status **{doc.status.value}**; {percent(doc.elapsed)} of the term elapsed; "
            f"{format_money(doc.moved)} moved from the awards as made "
            f"({doc.least_movement}).",
        ]
        if doc.left:
            lines += ["", f"Left the consortium: {', '.join(doc.left)}."]
        if doc.diagnosis is not None:
            lines += _section("Diagnosis", _diagnosis_md(doc.diagnosis))
        lines += _section("Contracts (unchanged)", _contracts_md(doc.contracts))
        lines += _section(
            "As made, delivered and reallocated",
            [markdown_table(_REALLOCATION_HEADERS, _reallocation_rows(doc))],
        )
        lines += _section("Checks", _checks_md(doc.checks))
    elif isinstance(doc, TradeDecision):
        lines = [f"# Trade: {doc.trade.label}", "", *_trade_lines(doc)]
        awards = [
            [a.member, a.lot, format_money(a.amount), "" if a.units is None else str(a.units)]
            for a in doc.awards
            if a.lot == doc.trade.lot
        ]
        lines += _section(
            f"Lot {doc.trade.lot} after the decision",
            [markdown_table(["member", "lot", "award", "units"], awards)],
        )
    else:
        rule = "off" if doc.stability is None else f"±{percent(doc.stability)}"
        lines = [
            f"# Year plan: {doc.label}",
            "",
            f"Status **{doc.status.value}**; {len(doc.years)} year(s); stability rule {rule}.",
        ]
        headers, rows = _years_table(doc)
        lines += _section(
            "Years × members",
            [markdown_table(headers, rows), "", "⚖: held at a stability bound."],
        )
        lines += _section(
            "The hub's top-slice each year",
            [markdown_table(_YEAR_CONTRACT_HEADERS, _year_contract_rows(doc))],
        )
        lines += _section(
            "From one year to the next", [markdown_table(_HELD_HEADERS, _held_rows(doc))]
        )
        for y in doc.years:
            if y.diagnosis is not None:
                lines += _section(f"Year {y.year}: no allocation", _diagnosis_md(y.diagnosis))
        checks = [c for y in doc.years for c in y.checks if not c.passed] + list(doc.checks)
        lines += _section(
            "Checks",
            [
                f"- every year's own checks: {sum(len(y.checks) for y in doc.years)} run",
                *_checks_md(checks),
            ],
        )
    return "\n".join(lines) + "\n"


# -- HTML --------------------------------------------------------------------------------------


def _page(title: str, status: str, body: list[Markup]) -> str:
    lines = [
        Markup("<!DOCTYPE html>"),
        Markup('<html lang="en"><head><meta charset="utf-8">'),
        Markup('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        format_html("<title>{}</title>", title),
        format_html("{}</head><body><main>", style_element(REPORT_CSS)),
        format_html("<header><h1>{}</h1><div>{}</div></header>", title, status_badge(status)),
        *body,
        Markup("</main></body></html>"),
    ]
    return "\n".join(line for line in lines if line) + "\n"


def _checks_html(checks: Sequence[Check]) -> Markup:
    return concat(
        [
            Markup("<h2>Independent checks</h2><ul class='checks'>"),
            *(
                format_html(
                    "<li><span class='{}'>{}</span> <b>{}</b>: {}</li>",
                    "pass" if c.passed else "fail",
                    "✔" if c.passed else "✘",
                    c.name,
                    c.detail,
                )
                for c in checks
            ),
            Markup("</ul>"),
        ]
    )


def _diagnosis_html(title: str, d: Diagnosis) -> Markup:
    return concat(
        [
            format_html("<h2>{}</h2><p>{}</p>", title, d.summary),
            element("ul", *(element("li", m) for m in d.messages)) if d.messages else Markup(),
        ]
    )


def life_html(doc: LifeDocument) -> str:
    """A reallocation, a trade decision or a year plan as a stand-alone HTML page."""
    body: list[Markup] = []
    if isinstance(doc, Reallocation):
        title = f"Reallocation: {doc.version.label} (version {doc.version.number})"
        body.append(
            format_html(
                "<p class='lead'>{} of the term elapsed; {} moved from the awards as made "
                "({}).</p>",
                percent(doc.elapsed),
                format_money(doc.moved),
                doc.least_movement,
            )
        )
        if doc.diagnosis is not None:
            body.append(_diagnosis_html("Why nothing was reallocated", doc.diagnosis))
        body.append(Markup("<h2>As made, delivered and reallocated</h2>"))
        body.append(
            html_table(
                _REALLOCATION_HEADERS, _reallocation_rows(doc), numeric=range(2, 8), max_rows=3000
            )
        )
        body.append(_checks_html(doc.checks))
        status = doc.status.value
    elif isinstance(doc, TradeDecision):
        title = f"Trade: {doc.trade.label}"
        body.append(element("ul", *(element("li", line) for line in _trade_lines(doc))))
        status = "optimal" if doc.approved else "infeasible"
    else:
        title = f"Year plan: {doc.label}"
        rule = "off" if doc.stability is None else f"±{percent(doc.stability)}"
        body.append(
            format_html("<p class='lead'>{} year(s); stability rule {}.</p>", len(doc.years), rule)
        )
        headers, rows = _years_table(doc)
        body.append(Markup("<h2>Years × members</h2>"))
        body.append(html_table(headers, rows, numeric=range(1, len(headers)), max_rows=3000))
        body.append(Markup("<p class='muted small'>⚖: held at a stability bound.</p>"))
        body.append(Markup("<h2>The hub's top-slice each year</h2>"))
        body.append(
            html_table(_YEAR_CONTRACT_HEADERS, _year_contract_rows(doc), numeric=range(2, 6))
        )
        body.append(Markup("<h2>From one year to the next</h2>"))
        body.append(html_table(_HELD_HEADERS, _held_rows(doc), numeric=range(2, 7), max_rows=3000))
        for y in doc.years:
            if y.diagnosis is not None:
                body.append(_diagnosis_html(f"Year {y.year}: no allocation", y.diagnosis))
        body.append(_checks_html([c for y in doc.years for c in y.checks] + list(doc.checks)))
        status = doc.status.value
    return _page(title, status, body)


#: The report of a contract's-life document for a file name, by its suffix in lower case.
LIFE_FORMATS: dict[str, Callable[[LifeDocument], str]] = {
    ".md": life_markdown,
    ".html": life_html,
    ".htm": life_html,
}


def life_report_for(path: PurePath) -> Callable[[LifeDocument], str]:
    """The renderer for ``path`` by its suffix; any other suffix is a ``ValueError`` naming it."""
    render = LIFE_FORMATS.get(path.suffix.lower())
    if render is None:
        suffix = repr(path.suffix) if path.suffix else "a file with no suffix"
        raise ValueError(
            f"cannot write a report as {suffix} ({path}): the supported suffixes are "
            f"{', '.join(LIFE_FORMATS)}"
        )
    return render
