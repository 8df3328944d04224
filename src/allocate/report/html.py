"""The stand-alone HTML report: one page a board member can read, print, e-mail or archive.

:func:`html_report` is a complete HTML page — inline CSS, no script, no external asset — that
explains an allocation in plain words: the headline figures, the hub's top-slice and how it was
set, who receives what against their fair share and why, who receives nothing and why, how fair
the result is, the side-constraints, every lot, the checks and the provenance.

The page is a list of lines, one small function a section (each returns its lines); every piece
of text from the input is escaped (see :mod:`allocate.report.markup`).  The output depends only
on the allocation and the report's date (no randomness): the same allocation on the same date
always gives the same bytes.  The date is today's unless given, or unless ``SOURCE_DATE_EPOCH``
is set (the reproducible-builds convention: seconds since 1970, UTC), so archived reports and
golden files can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from decimal import Decimal

from allocate.core.money import format_money
from allocate.core.outcome import Allocation, ContractResult, PairTable, Relaxation
from allocate.report.common import (
    CASH_FLOW_HEADERS,
    CONTRACT_HEADERS,
    CONTRACT_NUMERIC,
    FULL_COST_HEADERS,
    SOCIAL_VALUE_HEADERS,
    TENDER_HEADERS,
    cash_flow_lines,
    cash_flow_rows,
    contract_rows,
    count,
    full_cost_lines,
    full_cost_rows,
    money_or_dash,
    percent,
    social_value_lines,
    social_value_rows,
    tender_lines,
    tender_rows,
    top_slice_rate,
    total_value,
)
from allocate.report.headline import headline, status_badge
from allocate.report.markup import Markup, concat, element, format_html
from allocate.report.styles import REPORT_CSS, style_element
from allocate.report.table import html_table

__all__ = ["REPORT_MAX_PAIRS", "html_report", "report_date"]

#: Rows of the every-member-and-lot tables in a report before they are cut short.
REPORT_MAX_PAIRS = 3000


def report_date(environ: dict[str, str] | None = None) -> dt.date:
    """The date a report is written: ``$SOURCE_DATE_EPOCH``'s (UTC) when set, else today.

    >>> report_date({"SOURCE_DATE_EPOCH": "1767225600"})
    datetime.date(2026, 1, 1)
    >>> report_date({"SOURCE_DATE_EPOCH": "soon"})
    Traceback (most recent call last):
    ...
    ValueError: SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01 UTC, not 'soon'
    """
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return dt.date.today()
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    except (ValueError, OverflowError, OSError):
        raise ValueError(
            f"SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01 UTC, not {epoch!r}"
        ) from None


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def html_report(allocation: Allocation, *, date: dt.date | None = None) -> str:
    """The audit as a complete, self-contained HTML page (inline CSS, no external assets).

    Written for a board member: headline figures first, then the top-slice and how it was set,
    each member's award against its fair share (with a bar), who received nothing and why,
    fairness in words, the side-constraints, every lot in detail, the checks and the
    provenance.  ``allocate solve FILE --report out.html`` writes it.  It is dated ``date``, by
    default :func:`report_date`'s (today, or ``$SOURCE_DATE_EPOCH``'s), and prints on A4.

    >>> import datetime
    >>> from allocate.examples import demo_problem
    >>> from allocate import solve
    >>> page = html_report(solve(demo_problem()), date=datetime.date(2026, 3, 1))
    >>> "<script" in page, "http://" in page or "https://" in page, "1 March 2026" in page
    (False, False, True)
    """
    a = allocation
    if date is None:
        date = report_date()
    elif not isinstance(date, dt.date):
        raise TypeError(f"date must be a datetime.date, not {type(date).__name__}: {date!r}")
    lines = [
        *_page_head(a, date),
        _cards(a),
        _diagnosis_section(a),
        *_contracts_section(a),
        *(_awards_section(a) if a.status.is_ok else []),
        _constraints_section(a),
        *_tenders_section(a),
        *_money_section(a),
        *_lots_section(a),
        *_checks_section(a),
        *_glossary_section(),
        _footer(a),
    ]
    # a section with nothing to say is empty, and leaves no blank line
    return "\n".join(line for line in lines if line) + "\n"


# -- the head of the page --------------------------------------------------------------------


def _page_head(a: Allocation, date: dt.date) -> list[Markup]:
    """The document's head, and the page's header: title, status, date, headline sentence."""
    title = a.problem_name or "Allocation"
    return [
        Markup("<!DOCTYPE html>"),
        Markup('<html lang="en"><head><meta charset="utf-8">'),
        Markup('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        format_html("<title>Allocation report: {}</title>", title),
        format_html("{}</head><body><main>", style_element(REPORT_CSS)),
        format_html("<header><h1>{}</h1>", title),
        format_html(
            "<div>{} <span class='muted small'>&nbsp;{} rule · {} · input <code>{}</code>"
            " · <time datetime='{}'>{}</time></span></div>",
            status_badge(a.status.value),
            a.rule,
            a.audit.solver.method.replace("_", " "),
            a.audit.fingerprint[:12],
            date.isoformat(),
            _long_date(date),
        ),
        format_html("<p class='lead'>{}</p></header>", headline(a)),
    ]


def _cards(a: Allocation) -> Markup:
    """The headline figures, each on a card: value, top-slice, to members, fairness."""
    total = total_value(a)
    funded = sum(1 for m in a.audit.members if m.award > 0)
    full = sum(1 for m in a.audit.members if m.membership == "full")
    mt = a.audit.metrics
    leverage = f" · {(total - a.top_slice) / a.top_slice:.3g}:1 to delivery" if a.top_slice else ""
    cards = [
        ("Contract value", format_money(total), count(len(a.contracts), "contract")),
        (
            "Hub top-slice",
            format_money(a.top_slice),
            f"{percent(top_slice_rate(a), 2)} of value{leverage}",
        ),
        (
            "To members",
            format_money(total - a.top_slice) if a.status.is_ok else "—",
            f"{funded} of {len(a.audit.members)} members funded ({full} full members)",
        ),
    ]
    if a.status.is_ok and mt.min_ratio is not None and mt.max_ratio is not None:
        cards.append(
            (
                "Fairness",
                f"{float(mt.min_ratio):.3f} – {float(mt.max_ratio):.3f}",
                "award ÷ fair share, lowest – highest (1 = exactly fair)",
            )
        )
    return element(
        "div",
        *(
            element(
                "div",
                element("div", k, class_="k"),
                element("div", v, class_="v"),
                element("div", s, class_="s"),
                class_="card",
            )
            for k, v, s in cards
        ),
        class_="cards",
    )


# -- why nothing was allocated ---------------------------------------------------------------


def _diagnosis_section(a: Allocation) -> Markup:
    """Why no allocation is possible, and the least change of each condition that would do."""
    d = a.diagnosis
    if d is None:
        return Markup()
    parts = [format_html("<h2>Why no allocation is possible</h2><p>{}.</p>", d.summary)]
    if d.messages:
        parts.append(element("ul", *(element("li", m) for m in d.messages)))
    if d.relaxations:
        parts.append(Markup("<h3>The smallest change of each condition, alone</h3>"))
        parts.append(
            html_table(
                ["condition", "change needed", "details"],
                [[r.condition, _change_needed(r), "; ".join(r.details)] for r in d.relaxations],
            )
        )
    return concat(parts)


def _change_needed(r: Relaxation) -> str:
    """The change of one condition that would make an allocation possible, in words."""
    if not r.possible:
        return "cannot make an allocation possible alone"
    if r.required:
        return f"{r.setting} {r.current} → {r.required}"
    return format_money(r.amount) if r.amount is not None else "possible"


# -- the contracts and the top-slice ---------------------------------------------------------


def _contracts_section(a: Allocation) -> list[Markup]:
    """The contracts with a total row, then the steps that set each top-slice."""
    total_members = sum((c.members_total for c in a.contracts), Decimal(0))
    total_row = [
        "Total",
        "",
        format_money(total_value(a)),
        format_money(a.top_slice),
        percent(top_slice_rate(a), 2),
        "",
        format_money(total_members),
    ]
    table = html_table(
        CONTRACT_HEADERS,
        [*contract_rows(a), total_row],
        numeric=CONTRACT_NUMERIC,
        row_classes=[""] * len(a.contracts) + ["total"],
    )
    return [
        Markup("<h2>Contracts and the hub's top-slice</h2>"),
        table,
        Markup("<details open><summary>How each top-slice was set</summary>"),
        *(line for c in a.contracts for line in _top_slice_steps(c)),
        Markup("</details>"),
    ]


def _top_slice_steps(c: ContractResult) -> list[Markup]:
    lines = [
        format_html("<h3>{}</h3><ol class='steps'>", c.id),
        *(element("li", step) for step in c.steps),
        Markup("</ol>"),
    ]
    if c.under_funded is not None:
        lines.append(
            format_html(
                "<p>The hub is under-funded by {} a year.</p>", format_money(c.under_funded)
            )
        )
    return lines


# -- who receives what -----------------------------------------------------------------------


def _awards_section(a: Allocation) -> list[Markup]:
    """Each funded member's award against its fair share, who gets nothing, how fair it is."""
    members = sorted(
        (m for m in a.audit.members if m.award > 0), key=lambda m: (-m.award, m.member)
    )
    scale = max((max(m.award, m.fair_share) for m in members), default=Decimal(0))
    rows = [
        [
            m.name,
            m.size_band,
            format_money(m.capacity),
            format_money(m.fair_share),
            format_money(m.award),
            percent(m.share_of_awards),
            format_money(m.top_slice_contribution),
            _bar(m.award, m.fair_share, scale),
        ]
        for m in members
    ]
    headers = ["member", "size", "capacity", "fair share", "award", "share", "top-slice part"]
    return [
        Markup("<h2>Who receives what</h2>"),
        Markup(
            "<p class='legend'><span class='sw'></span>award<span class='tick'></span>fair share "
            "under the rule · <em>share</em> is of all member awards · <em>top-slice part</em> "
            "is what the hub costs the member (each contract's top-slice in proportion to its "
            "awards).</p>"
        ),
        html_table([*headers, "award against fair share"], rows, numeric=[2, 3, 4, 5, 6]),
        *_not_funded_section(a),
        Markup("<h2>How fair is it?</h2>"),
        _fairness_words(a),
    ]


def _bar(award: Decimal, fair: Decimal, scale: Decimal) -> Markup:
    """A bar as long as the award, with a tick at the fair share; ``scale`` fills the bar."""
    if scale <= 0:
        return Markup()
    return format_html(
        '<div class="bar" role="img" aria-label="award {}, fair share {}">'
        '<div class="fill" style="width:{:.2f}%"></div>'
        '<div class="fair" style="left:calc({:.2f}% - 1px)"></div></div>',
        format_money(award),
        format_money(fair),
        float(award / scale) * 100,
        min(float(fair / scale) * 100, 100.0),
    )


def _not_funded(a: Allocation) -> list[tuple[str, list[str]]]:
    """Members with no award, each with the distinct reasons recorded on its lots."""
    t = a.audit.pairs
    reasons: dict[str, list[str]] = {}
    for k in range(len(t)):
        if t.capacity[k] is None and not t.eligible[k]:
            continue  # no capacity declared: not a reason worth a board's time
        text = f"{t.lot[k]}: {t.explanation[k].removeprefix('not eligible: ')}"
        found = reasons.setdefault(t.member[k], [])
        if t.award[k] == 0 and text not in found:
            found.append(text)
    out = []
    for m in a.audit.members:
        if m.award == 0:
            why = reasons.get(m.member) or ["declared no capacity on any lot"]
            out.append((m.name, why))
    return out


def _not_funded_section(a: Allocation) -> list[Markup]:
    nothing = _not_funded(a)
    if not nothing:
        return []
    return [
        Markup("<h3>Members who receive nothing, and why</h3><ul>"),
        *(format_html("<li><b>{}</b>: {}</li>", name, "; ".join(why)) for name, why in nothing),
        Markup("</ul>"),
    ]


def _fairness_words(a: Allocation) -> Markup:
    """How fair the allocation is, in a paragraph of plain words."""
    mt = a.audit.metrics
    parts: list[Markup] = []
    if mt.min_ratio is not None and mt.max_ratio is not None:
        lo, hi = float(mt.min_ratio), float(mt.max_ratio)
        if hi - lo < 0.01:
            parts.append(
                Markup(
                    "Every member received its fair share under the rule, up to rounding to the "
                    "penny (or to whole clients or sessions on lots priced per unit)."
                )
            )
        else:
            parts.append(
                format_html(
                    "Awards range from {:.3f} to {:.3f} times the fair share: the "
                    "side-constraints moved money between members (see below).",
                    lo,
                    hi,
                )
            )
    if mt.gini is not None:
        parts.append(
            format_html(
                "The Gini coefficient of award relative to capacity is {:.3f} "
                "(0 would mean every member receives the same share of what it can deliver).",
                float(mt.gini),
            )
        )
    if mt.largest_member is not None and mt.largest_member_share is not None:
        name = next((m.name for m in a.audit.members if m.member == mt.largest_member), "")
        parts.append(
            format_html(
                "The largest award goes to {}, {} of all member awards.",
                name or mt.largest_member,
                percent(mt.largest_member_share),
            )
        )
    if mt.moved_from_rule is not None and a.audit.constraints:
        parts.append(
            format_html(
                "Money moved away from the rule's fair shares by side-constraints: {}.",
                format_money(mt.moved_from_rule),
            )
        )
    return format_html("<p>{}</p>", concat(parts, " "))


# -- the side-constraints --------------------------------------------------------------------


def _constraints_section(a: Allocation) -> Markup:
    """What each side-constraint costs, which bind, and the sub-contracts not made or kept."""
    audit = a.audit
    binding = [c for c in audit.constraints if c.binding]
    if not (binding or audit.prices or audit.decisions):
        return Markup()
    parts = [Markup("<h2>Side-constraints</h2>")]
    if audit.prices:
        parts.append(
            Markup(
                "<p>What each policy constraint costs in fairness: the money it moves away from "
                "the rule's fair shares, compared with solving without it.  Both are measured "
                "on the exact optimum, before rounding to whole pence and units, so that "
                "rounding is not counted as a price.</p>"
            )
        )
        rows = [
            [
                p.setting,
                format_money(p.moved_from_rule),
                money_or_dash(p.moved_without),
                money_or_dash(p.price),
                str(p.min_ratio) if p.min_ratio is not None else "—",
            ]
            for p in audit.prices
        ]
        headers = ["constraint", "moved from the rule", "without it", "its price", "lowest ratio"]
        parts.append(html_table(headers, rows, numeric=[1, 2, 3, 4]))
    if binding:
        rows = [
            [c.name, c.description, format_money(c.bound), format_money(c.value)] for c in binding
        ]
        parts.append(Markup("<h3>Constraints that bind</h3>"))
        parts.append(
            html_table(
                ["constraint", "meaning", "bound", "value"], rows, numeric=[2, 3], max_rows=200
            )
        )
    if audit.decisions:
        parts.append(Markup("<h3>Sub-contracts not made or kept</h3>"))
        parts.append(element("ul", *(element("li", d) for d in audit.decisions)))
    return concat(parts)


# -- every lot -------------------------------------------------------------------------------


def _lots_section(a: Allocation) -> list[Markup]:
    """Every lot: each member with capacity on it, its fair share, award, and why.

    The reason most rows share (on most lots, how a fair share became an award) is said once,
    above the tables, and left out of the rows it would repeat on.
    """
    usual = _usual_reason(a.audit.pairs)
    said_once = (
        format_html(" Where a row gives no reason, the award is {}.", usual) if usual else ""
    )
    return [
        Markup("<h2>Every lot in detail</h2>"),
        format_html(
            "<p class='muted small'>Each member with capacity on the lot: its fair share, its "
            "award, what bound it, and why — greyed rows are members that may not receive the "
            "lot.{}</p>",
            said_once,
        ),
        _lot_tables(a, usual),
    ]


def _usual_reason(t: PairTable) -> str | None:
    """The explanation of an eligible pair that repeats most, if any repeats at all."""
    counts = Counter(t.explanation[k] for k in range(len(t)) if t.eligible[k])
    if not counts:
        return None
    reason, times = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return reason if times > 1 else None


def _lot_tables(a: Allocation, usual: str | None) -> Markup:
    """A heading and a table a lot, at most :data:`REPORT_MAX_PAIRS` rows in all."""
    t = a.audit.pairs
    by_lot: dict[str, list[int]] = {}
    for k in range(len(t)):
        if t.eligible[k] or t.capacity[k] is not None:
            by_lot.setdefault(t.lot[k], []).append(k)
    names = {m.member: m.name for m in a.audit.members}
    out = []
    left = REPORT_MAX_PAIRS  # rows still to show
    for c in a.contracts:
        for lot, top in c.lot_top_slices.items():
            ks = by_lot.get(lot, [])
            if not ks:
                continue
            pot = sum((t.award[k] for k in ks), Decimal(0))
            split = (
                format_html("members {}, hub {}", format_money(pot), format_money(top))
                if a.status.is_ok
                else format_html("hub's entitlement {}; nothing awarded", format_money(top))
            )
            # once the rows run out, later lots keep their heading over an empty table
            shown = sorted(ks, key=lambda k: (not t.eligible[k], -t.award[k], t.member[k]))[:left]
            left -= len(shown)
            out.append(
                format_html(
                    "<h3>{} <span class='muted small'>({}): {}</span></h3>",
                    lot,
                    c.id,
                    split,
                )
            )
            out.append(_lot_table(t, shown, names, usual))
    if left <= 0:
        out.append(
            format_html(
                "<p class='muted'>Cut short after {:,} rows: the full table is "
                "<code>allocation.pairs_frame()</code> and the JSON output.</p>",
                REPORT_MAX_PAIRS,
            )
        )
    return concat(out)


def _lot_table(t: PairTable, ks: list[int], names: dict[str, str], usual: str | None) -> Markup:
    """The pairs ``ks`` of one lot; members that may not receive it are greyed.

    The ``usual`` reason, said once above the tables, is left out of eligible rows.
    """
    rows = [
        [
            names.get(t.member[k], t.member[k]),
            money_or_dash(t.capacity[k]),
            format_money(t.fair_share[k]) if t.eligible[k] else "—",
            format_money(t.award[k]) + (f" ({t.award_units[k]} units)" if t.award_units[k] else ""),
            t.binding[k] or "—",
            "" if t.eligible[k] and t.explanation[k] == usual else t.explanation[k],
        ]
        for k in ks
    ]
    return html_table(
        ["member", "capacity", "fair share", "award", "bound by", "why"],
        rows,
        numeric=[1, 2, 3],
        row_classes=["" if t.eligible[k] else "none" for k in ks],
    )


# -- the checks, the words used and the provenance -------------------------------------------


def _tenders_section(a: Allocation) -> list[Markup]:
    """Each sub-tendered lot: what was decided, in words, and the evaluation matrix."""
    out: list[Markup] = []
    names = {m.member: m.name for m in a.audit.members}
    for t in a.audit.tenders:
        first, *rest = tender_lines(t)
        # members by name, as in every other table (an id wraps at its hyphens)
        rows = [[r[0], names.get(r[1], r[1]), *r[2:]] for r in tender_rows(t)]
        out += [
            format_html("<h2>Sub-tender: {}</h2>", t.lot),
            format_html("<p>{}</p>", first),
            Markup("<ul>"),
            concat(format_html("<li>{}</li>", line) for line in rest),
            Markup("</ul>"),
            html_table(TENDER_HEADERS, rows, numeric=(0, 2, 3, 4, 5, 6, 7, 9, 10)),
        ]
    return out


def _money_section(a: Allocation) -> list[Markup]:
    """Cash flow, full cost and social value: each only when the problem uses it."""
    audit, out = a.audit, []
    if audit.cash_flow is not None:
        out += [
            Markup("<h2>Cash flow</h2>"),
            concat(format_html("<p>{}</p>", line) for line in cash_flow_lines(audit.cash_flow)),
            html_table(
                CASH_FLOW_HEADERS, cash_flow_rows(audit.cash_flow), numeric=(2, 3, 4, 5, 6, 7)
            ),
        ]
    if audit.full_cost:
        out += [
            Markup("<h2>Full cost</h2>"),
            concat(format_html("<p>{}</p>", line) for line in full_cost_lines(audit.full_cost)),
            html_table(FULL_COST_HEADERS, full_cost_rows(audit.full_cost), numeric=(2, 3, 4)),
        ]
    if audit.social_value is not None:
        rows = audit.social_value
        out += [
            Markup("<h2>Social value</h2>"),
            concat(format_html("<p>{}</p>", line) for line in social_value_lines(rows)),
            html_table(SOCIAL_VALUE_HEADERS, social_value_rows(rows), numeric=(1, 2, 3, 4, 5, 6)),
        ]
    return out


def _checks_section(a: Allocation) -> list[Markup]:
    """The independent checks, each passed or failed, and a verdict on them all."""
    checks = a.audit.checks
    if not checks:
        return [
            Markup("<h2>Independent checks</h2>"),
            Markup("<p class='muted'>No checks were run (no allocation was made).</p>"),
        ]
    failed = [c for c in checks if not c.passed]
    verdict = (
        f"All {len(checks)} checks passed: the allocation was re-checked from the input "
        "alone after rounding."
        if not failed
        else f"{len(failed)} of {len(checks)} checks FAILED."
    )
    return [
        Markup("<h2>Independent checks</h2>"),
        format_html("<p>{}</p><ul class='checks'>", verdict),
        *(
            format_html(
                "<li><span class='{}'>{}</span> <b>{}</b>: {}</li>",
                "pass" if check.passed else "fail",
                "✔" if check.passed else "✘",
                check.name,
                check.detail,
            )
            for check in checks
        ),
        Markup("</ul>"),
    ]


_GLOSSARY = [
    (
        "Top-slice",
        "The share of each contract the hub keeps to run itself: no more than 10%, "
        "aiming to fall to 5% over time. It is rounded down to the penny.",
    ),
    (
        "Fair share",
        "What the fairness rule would give a member if no policy constraint bound; "
        "for the proportional rule, the lot's pot times the member's share of eligible capacity.",
    ),
    (
        "Award",
        "The money (and, on lots priced per client or session, the whole units) a member "
        "receives. Awards and the top-slice add up to each contract's value exactly.",
    ),
    (
        "Bound by",
        "What stopped an award from being higher: capacity (the member receives all it "
        "can deliver), budget (the pot is shared by the rule), or a named policy constraint.",
    ),
    (
        "Gini coefficient",
        "A measure of inequality between 0 (everyone alike) and 1 (one member "
        "has everything), here of awards relative to capacity.",
    ),
]


def _glossary_section() -> list[Markup]:
    return [
        Markup("<h2>Words used</h2><dl class='glossary'>"),
        *(concat([element("dt", word), element("dd", meaning)]) for word, meaning in _GLOSSARY),
        Markup("</dl>"),
    ]


def _footer(a: Allocation) -> Markup:
    """How the allocation was computed and rounded, the input's fingerprint, the versions."""
    s = a.audit.solver
    if s.method == "closed_form":
        how = Markup(
            "Computed exactly by the rule's closed form (provably what the solver would give)"
        )
    else:
        how = format_html(
            "Computed by {}: status {}, {}, {}, {}",
            s.solver,
            s.status,
            count(s.stages, "leximin stage"),
            count(s.variables, "variable"),
            count(s.constraints, "constraint"),
        )
    return format_html(
        "<footer>{}; rounded by the {} method.<br>Input fingerprint (SHA-256): <code>{}</code>"
        "<br>Versions: {}</footer></main></body></html>",
        how,
        a.audit.rounding.replace("_", " "),
        a.audit.fingerprint,
        ", ".join(f"{k} {v}" for k, v in sorted(a.audit.versions.items())),
    )
