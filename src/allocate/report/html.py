"""HTML views: rich display in Jupyter and a stand-alone report a board member can read.

* :func:`problem_html`, :func:`allocation_html` and :func:`audit_html` are the fragments
  behind ``_repr_html_`` of :class:`~allocate.Problem`, :class:`~allocate.Allocation` and
  :class:`~allocate.result.Audit`: summary tables, a status badge, long tables cut short.
* :func:`html_report` is a complete HTML page — inline CSS, no script, no external asset, so
  it can be e-mailed, archived or printed — that explains an allocation in plain words: the
  headline figures, the hub's top-slice and how it was set, who receives what against their
  fair share and why, who receives nothing and why, how fair the result is, and the checks.

Every piece of text from the input is HTML-escaped.  The output depends only on the
allocation (no clock, no randomness): the same allocation always gives the same bytes.

Examples
--------
>>> from allocate import Problem
>>> from allocate.examples import example_dict
>>> from allocate import solve
>>> page = html_report(solve(Problem.model_validate(example_dict())))
>>> page.startswith("<!DOCTYPE html>") and "Allocated and verified" in page
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from html import escape

from allocate.core.model import Problem
from allocate.core.money import format_money
from allocate.core.outcome import Allocation, Audit
from allocate.report.styles import NOTEBOOK_CSS, REPORT_CSS, style_element

__all__ = ["allocation_html", "audit_html", "html_report", "problem_html", "status_badge"]

#: Rows shown per table in a notebook before "... and N more".
MAX_ROWS = 25
#: Rows of the every-member-and-lot table in a report before it is cut short.
REPORT_MAX_PAIRS = 3000

_STATUS_WORDS = {
    "optimal": ("Allocated and verified", "ok"),
    "infeasible": ("No allocation possible", "bad"),
    "time_limit": ("Solver stopped at its time limit", "warn"),
    "solver_error": ("Solver failed", "bad"),
    "unknown": ("Status unknown", "warn"),
}

# -- small helpers ---------------------------------------------------------------------------


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _pct(x: Decimal | float | None, places: int = 1) -> str:
    return "—" if x is None else f"{float(x) * 100:.{places}f}%"


def _money(x: Decimal | None) -> str:
    return "—" if x is None else format_money(x)


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Iterable[int] = (),
    max_rows: int | None = None,
    raw: bool = False,
    row_classes: Sequence[str] | None = None,
) -> str:
    """An HTML table; cells are escaped unless ``raw`` (then the caller escaped them)."""
    num = set(numeric)
    head = "".join(
        f'<th class="n">{_e(h)}</th>' if i in num else f"<th>{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    all_rows = list(rows)
    shown = all_rows if max_rows is None else all_rows[:max_rows]
    for r, row in enumerate(shown):
        cls = f' class="{row_classes[r]}"' if row_classes and row_classes[r] else ""
        cells = "".join(
            f"<td{' class="n"' if i in num else ''}>{c if raw else _e(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    hidden = len(all_rows) - len(shown)
    if hidden > 0:
        body.append(
            f'<tr class="more"><td colspan="{len(headers)}">… and {hidden:,} more '
            f"row{'s' if hidden != 1 else ''}</td></tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def status_badge(status: str) -> str:
    """An HTML badge for an allocation status, in words and colour.

    >>> status_badge("infeasible")
    '<span class="badge bad" title="status: infeasible">No allocation possible</span>'
    """
    words, tone = _STATUS_WORDS.get(status, (status, "warn"))
    return f'<span class="badge {tone}" title="status: {_e(status)}">{_e(words)}</span>'


def _fragment(body: str) -> str:
    return f'<div class="allocate">{style_element(NOTEBOOK_CSS)}{body}</div>'


# -- the problem -----------------------------------------------------------------------------


def problem_html(problem: Problem, *, max_rows: int = MAX_ROWS) -> str:
    """A notebook view of a problem: headline, contracts and lots, members, policy.

    >>> from allocate.examples import demo_problem
    >>> html = problem_html(demo_problem())
    >>> "Luton Advice Centre" in html and "advice-luton" in html
    True
    """
    lots = [(c, lot) for c in problem.contracts for lot in c.lots]
    total = sum((c.value for c in problem.contracts), Decimal(0))
    full = sum(1 for m in problem.members if m.membership.value == "full")
    ts = problem.top_slice
    pol = problem.policy
    declared: dict[str, Decimal] = {}
    for cap in problem.capacities:
        if cap.amount is not None:
            amount = cap.amount
        else:
            price = problem.lot_index[cap.lot][1].unit_price if cap.lot else None
            amount = (price or Decimal(0)) * (cap.units or 0)
        declared[cap.member] = declared.get(cap.member, Decimal(0)) + amount
    title = _e(problem.name) if problem.name else "Problem"
    head = (
        f"<h3>{title}</h3><div>{len(problem.members)} members ({full} full), "
        f"{len(problem.contracts)} contract(s), {len(lots)} lot(s), "
        f"<b>{format_money(total)}</b> in all · rule <b>{_e(pol.rule.value)}</b> · "
        f"top-slice <b>{_e(ts.method.value)}</b> (max {_pct(ts.max_rate)}, "
        f"target {_pct(ts.target_rate)})</div>"
    )
    lot_rows = [
        [
            c.id,
            c.commissioner,
            lot.id,
            lot.theme,
            lot.area,
            format_money(lot.value),
            f"{lot.units} × {format_money(lot.unit_price)} per {lot.unit}"
            if lot.unit_price is not None and lot.units is not None
            else "",
            f"{c.year} of {c.term_years}",
        ]
        for c, lot in lots
    ]
    contracts = _table(
        ["contract", "commissioner", "lot", "theme", "area", "value", "units", "year"],
        lot_rows,
        numeric=[5],
        max_rows=max_rows,
    )
    member_rows = [
        [
            m.id,
            m.label,
            m.membership.value,
            m.size_band.value,
            format_money(m.annual_income),
            f"{m.quality_score:.2f}",
            "yes" if m.qa_passed else "no",
            f"{m.reporting_compliance:.2f}",
            ", ".join(m.themes),
            ", ".join(m.areas),
            _money(declared.get(m.id)),
        ]
        for m in problem.members
    ]
    members = _table(
        [
            "id",
            "name",
            "membership",
            "band",
            "income",
            "quality",
            "QA",
            "reporting",
            "themes",
            "areas",
            "capacity",
        ],
        member_rows,
        numeric=[4, 5, 7, 10],
        max_rows=max_rows,
    )
    settings = [
        ["fairness rule", pol.rule.value],
        ["quality threshold", f"{pol.quality_threshold:g}"],
        ["reporting threshold", f"{pol.reporting_threshold:g}"],
    ]
    settings += [[name, str(getattr(pol, name))] for name in pol.side_constraints]
    if pol.exclusions:
        settings.append(["exclusions", f"{len(pol.exclusions)} member/lot pair(s)"])
    policy = _table(["policy", "setting"], settings)
    return _fragment(
        head
        + "<h4>Contracts and lots</h4>"
        + contracts
        + "<h4>Members</h4>"
        + members
        + "<h4>Policy</h4>"
        + policy
    )


# -- the allocation --------------------------------------------------------------------------


def _headline(a: Allocation) -> str:
    total = sum((c.value for c in a.contracts), Decimal(0))
    funded = sum(1 for m in a.audit.members if m.award > 0)
    if not a.status.is_ok:
        summary = a.diagnosis.summary if a.diagnosis is not None else a.audit.solver.status
        return f"No allocation was made: {_e(summary)}."
    rate = a.top_slice / total if total else Decimal(0)
    return (
        f"{format_money(total)} across {len(a.contracts)} contract(s): the hub keeps "
        f"<b>{format_money(a.top_slice)}</b> ({_pct(rate, 2)}) and "
        f"<b>{format_money(total - a.top_slice)}</b> goes to {funded} of "
        f"{len(a.audit.members)} members, by the <b>{_e(a.rule)}</b> rule."
    )


def _contract_rows(a: Allocation) -> list[list[str]]:
    return [
        [
            c.id,
            c.commissioner,
            format_money(c.value),
            format_money(c.top_slice),
            _pct(c.effective_rate, 2),
            c.delivery_ratio,
            format_money(c.members_total),
        ]
        for c in a.contracts
    ]


_CONTRACT_HEADERS = [
    "contract",
    "commissioner",
    "value",
    "top-slice",
    "rate",
    "ratio",
    "to members",
]


def allocation_html(allocation: Allocation, *, max_rows: int = MAX_ROWS) -> str:
    """A notebook view of an allocation: status badge, headline, contracts, members, fairness.

    >>> from allocate.examples import demo_problem
    >>> from allocate import solve
    >>> html = allocation_html(solve(demo_problem()))
    >>> "badge ok" in html and "Bedfordshire Wellbeing Trust" in html
    True
    """
    a = allocation
    title = _e(a.problem_name) if a.problem_name else "Allocation"
    head = f"<h3>{title} {status_badge(a.status.value)}</h3><div>{_headline(a)}</div>"
    contracts = _table(
        _CONTRACT_HEADERS, _contract_rows(a), numeric=[2, 3, 4, 6], max_rows=max_rows
    )
    members = sorted(a.audit.members, key=lambda m: (-m.award, m.member))
    member_table = _table(
        ["member", "band", "eligible lots", "capacity", "fair share", "award", "share"],
        [
            [
                m.name,
                m.size_band,
                str(m.eligible_lots),
                format_money(m.capacity),
                format_money(m.fair_share),
                format_money(m.award),
                _pct(m.share_of_awards),
            ]
            for m in members
        ],
        numeric=[2, 3, 4, 5, 6],
        max_rows=max_rows,
    )
    body = head + "<h4>Contracts</h4>" + contracts + "<h4>Members</h4>" + member_table
    body += _metrics_table(a.audit)
    if a.diagnosis is not None:
        body += "<h4>Diagnosis</h4><ul>" + "".join(
            f"<li>{_e(m)}</li>" for m in [a.diagnosis.summary, *a.diagnosis.messages]
        )
        body += "</ul>"
    return _fragment(body)


def _metrics_table(audit: Audit) -> str:
    mt = audit.metrics
    rows = [
        ["award / fair share, lowest", str(mt.min_ratio) if mt.min_ratio is not None else "—"],
        ["award / fair share, highest", str(mt.max_ratio) if mt.max_ratio is not None else "—"],
        ["Gini of award / capacity", str(mt.gini) if mt.gini is not None else "—"],
        [
            "largest member",
            f"{mt.largest_member} ({_pct(mt.largest_member_share)})" if mt.largest_member else "—",
        ],
        ["moved from the rule by side-constraints", _money(mt.moved_from_rule)],
    ]
    return "<h4>Fairness</h4>" + _table(["metric", "value"], rows, numeric=[1])


def audit_html(audit: Audit, *, max_rows: int = MAX_ROWS) -> str:
    """A notebook view of an audit: fairness, checks, solver, members and pairs in brief.

    >>> from allocate.examples import demo_problem
    >>> from allocate import solve
    >>> html = audit_html(solve(demo_problem()).audit)
    >>> "checks passed" in html
    True
    """
    passed = sum(1 for c in audit.checks if c.passed)
    failed = len(audit.checks) - passed
    tone = "ok" if failed == 0 else "bad"
    words = f"{passed} checks passed" + (f", {failed} failed" if failed else "")
    s = audit.solver
    t = audit.pairs
    eligible = sum(1 for e in t.eligible if e)
    head = (
        f'<h3>Audit <span class="badge {tone}">{_e(words)}</span></h3>'
        f"<div>{len(audit.members)} members, {len(t):,} member–lot pairs ({eligible:,} eligible)"
        f" · method <b>{_e(s.method)}</b> ({_e(s.solver)}, {_e(s.status)}) · input "
        f"<code>{_e(audit.fingerprint[:16])}</code></div>"
    )
    checks = _table(
        ["check", "", "detail"],
        [[c.name, "✔" if c.passed else "✘", c.detail] for c in audit.checks],
        max_rows=max_rows,
    )
    rows = [
        [
            t.member[k],
            t.lot[k],
            "yes" if t.eligible[k] else "no",
            _money(t.capacity[k]),
            format_money(t.fair_share[k]),
            format_money(t.award[k]),
            t.binding[k] or "",
        ]
        for k in range(len(t))
        if t.eligible[k] or t.capacity[k] is not None
    ]
    pairs = _table(
        ["member", "lot", "eligible", "capacity", "fair share", "award", "bound by"],
        rows,
        numeric=[3, 4, 5],
        max_rows=max_rows,
    )
    body = head + _metrics_table(audit) + "<h4>Checks</h4>" + checks
    body += "<h4>Member–lot pairs with capacity</h4>" + pairs
    return _fragment(body)


# -- the stand-alone report ------------------------------------------------------------------


def _bar(award: Decimal, fair: Decimal, scale: Decimal) -> str:
    if scale <= 0:
        return ""
    width = float(award / scale) * 100
    tick = min(float(fair / scale) * 100, 100.0)
    return (
        f'<div class="bar" role="img" aria-label="award {_e(format_money(award))}, fair share '
        f'{_e(format_money(fair))}"><div class="fill" style="width:{width:.2f}%"></div>'
        f'<div class="fair" style="left:calc({tick:.2f}% - 1px)"></div></div>'
    )


def _cards(a: Allocation) -> str:
    total = sum((c.value for c in a.contracts), Decimal(0))
    funded = sum(1 for m in a.audit.members if m.award > 0)
    full = sum(1 for m in a.audit.members if m.membership == "full")
    mt = a.audit.metrics
    rate = a.top_slice / total if total else Decimal(0)
    cards = [
        ("Contract value", format_money(total), f"{len(a.contracts)} contract(s)"),
        (
            "Hub top-slice",
            format_money(a.top_slice),
            f"{_pct(rate, 2)} of value"
            + (
                f" · {(total - a.top_slice) / a.top_slice:.3g}:1 to delivery" if a.top_slice else ""
            ),
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
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div>'
            f'<div class="s">{_e(s)}</div></div>'
            for k, v, s in cards
        )
        + "</div>"
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


def _fairness_words(a: Allocation) -> str:
    mt = a.audit.metrics
    parts = []
    if mt.min_ratio is not None and mt.max_ratio is not None:
        lo, hi = float(mt.min_ratio), float(mt.max_ratio)
        if hi - lo < 0.01:
            parts.append(
                "Every member received its fair share under the rule, up to rounding to the "
                "penny (or to whole clients or sessions on lots priced per unit)."
            )
        else:
            parts.append(
                f"Awards range from {lo:.3f} to {hi:.3f} times the fair share: the "
                "side-constraints moved money between members (see below)."
            )
    if mt.gini is not None:
        parts.append(
            f"The Gini coefficient of award relative to capacity is {float(mt.gini):.3f} "
            "(0 would mean every member receives the same share of what it can deliver)."
        )
    if mt.largest_member is not None and mt.largest_member_share is not None:
        name = next((m.name for m in a.audit.members if m.member == mt.largest_member), "")
        parts.append(
            f"The largest award goes to {_e(name or mt.largest_member)}, "
            f"{_pct(mt.largest_member_share)} of all member awards."
        )
    if mt.moved_from_rule is not None and a.audit.constraints:
        parts.append(
            f"Money moved away from the rule's fair shares by side-constraints: "
            f"{format_money(mt.moved_from_rule)}."
        )
    return "<p>" + " ".join(parts) + "</p>"


def _lot_sections(a: Allocation) -> str:
    t = a.audit.pairs
    by_lot: dict[str, list[int]] = {}
    for k in range(len(t)):
        if t.eligible[k] or t.capacity[k] is not None:
            by_lot.setdefault(t.lot[k], []).append(k)
    names = {m.member: m.name for m in a.audit.members}
    out = []
    shown = 0
    for c in a.contracts:
        for lot, top in c.lot_top_slices.items():
            ks = by_lot.get(lot, [])
            if not ks:
                continue
            pot = sum((t.award[k] for k in ks), Decimal(0))
            rows, classes = [], []
            for k in sorted(ks, key=lambda k: (not t.eligible[k], -t.award[k], t.member[k])):
                if shown >= REPORT_MAX_PAIRS:
                    break
                shown += 1
                units = f" ({t.award_units[k]} units)" if t.award_units[k] else ""
                rows.append(
                    [
                        _e(names.get(t.member[k], t.member[k])),
                        _e(_money(t.capacity[k])),
                        _e(format_money(t.fair_share[k])) if t.eligible[k] else "—",
                        _e(format_money(t.award[k]) + units),
                        _e(t.binding[k] or "—"),
                        _e(t.explanation[k]),
                    ]
                )
                classes.append("" if t.eligible[k] else "none")
            split = (
                f"members {format_money(pot)}, hub {format_money(top)}"
                if a.status.is_ok
                else f"hub's entitlement {format_money(top)}; nothing awarded"
            )
            head = f"<h3>{_e(lot)} <span class='muted small'>({_e(c.id)}): {split}</span></h3>"
            out.append(
                head
                + _table(
                    ["member", "capacity", "fair share", "award", "bound by", "why"],
                    rows,
                    numeric=[1, 2, 3],
                    raw=True,
                    row_classes=classes,
                )
            )
    if shown >= REPORT_MAX_PAIRS:
        out.append(
            f"<p class='muted'>Cut short after {REPORT_MAX_PAIRS:,} rows: the full table is "
            "<code>allocation.pairs_frame()</code> and the JSON output.</p>"
        )
    return "".join(out)


def _diagnosis_section(a: Allocation) -> str:
    d = a.diagnosis
    if d is None:
        return ""
    items = "".join(f"<li>{_e(m)}</li>" for m in d.messages)
    out = f"<h2>Why no allocation is possible</h2><p>{_e(d.summary)}.</p>"
    if items:
        out += f"<ul>{items}</ul>"
    relaxations = getattr(d, "relaxations", [])
    if relaxations:
        rows = []
        for r in relaxations:
            what = (
                "cannot make an allocation possible alone"
                if not r.possible
                else (r.required and f"{r.setting} {r.current} → {r.required}")
                or (format_money(r.amount) if r.amount is not None else "possible")
            )
            rows.append([r.condition, what, "; ".join(r.details)])
        out += "<h3>The smallest change of each condition, alone</h3>" + _table(
            ["condition", "change needed", "details"], rows
        )
    return out


def _constraints_section(a: Allocation) -> str:
    audit = a.audit
    out = ""
    binding = [c for c in getattr(audit, "constraints", []) if c.binding]
    prices = getattr(audit, "prices", [])
    decisions = getattr(audit, "decisions", [])
    if not (binding or prices or decisions):
        return ""
    out += "<h2>Side-constraints</h2>"
    if prices:
        out += "<p>What each policy constraint costs in fairness: the money it moves away from "
        out += "the rule's fair shares, compared with solving without it.</p>"
        out += _table(
            ["constraint", "moved from the rule", "without it", "its price", "lowest ratio"],
            [
                [
                    p.setting,
                    format_money(p.moved_from_rule),
                    _money(p.moved_without),
                    _money(p.price),
                    str(p.min_ratio) if p.min_ratio is not None else "—",
                ]
                for p in prices
            ],
            numeric=[1, 2, 3, 4],
        )
    if binding:
        out += "<h3>Constraints that bind</h3>" + _table(
            ["constraint", "meaning", "bound", "value"],
            [
                [c.name, c.description, format_money(c.bound), format_money(c.value)]
                for c in binding
            ],
            numeric=[2, 3],
            max_rows=200,
        )
    if decisions:
        out += "<h3>Sub-contracts not made or kept</h3><ul>"
        out += "".join(f"<li>{_e(d)}</li>" for d in decisions) + "</ul>"
    return out


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


def html_report(allocation: Allocation) -> str:
    """The audit as a complete, self-contained HTML page (inline CSS, no external assets).

    Written for a board member: headline figures first, then the top-slice and how it was set,
    each member's award against its fair share (with a bar), who received nothing and why,
    fairness in words, the side-constraints, every lot in detail, the checks and the
    provenance.  ``allocate solve FILE --report out.html`` writes it.

    >>> from allocate.examples import demo_problem
    >>> from allocate import solve
    >>> page = html_report(solve(demo_problem()))
    >>> "<script" in page, "http://" in page or "https://" in page
    (False, False)
    """
    a = allocation
    title = a.problem_name or "Allocation"
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Allocation report: {_e(title)}</title>",
        f"{style_element(REPORT_CSS)}</head><body><main>",
        f"<header><h1>{_e(title)}</h1>",
        f"<div>{status_badge(a.status.value)} <span class='muted small'>&nbsp;{_e(a.rule)} "
        f"rule · {_e(a.audit.solver.method.replace('_', ' '))} · input "
        f"<code>{_e(a.audit.fingerprint[:12])}</code></span></div>",
        f"<p class='lead'>{_headline(a)}</p></header>",
        _cards(a),
    ]
    parts.append(_diagnosis_section(a))

    parts.append("<h2>Contracts and the hub's top-slice</h2>")
    rows = _contract_rows(a)
    total_value = sum((c.value for c in a.contracts), Decimal(0))
    total_members = sum((c.members_total for c in a.contracts), Decimal(0))
    rate = a.top_slice / total_value if total_value else Decimal(0)
    rows.append(
        [
            "Total",
            "",
            format_money(total_value),
            format_money(a.top_slice),
            _pct(rate, 2),
            "",
            format_money(total_members),
        ]
    )
    parts.append(
        _table(
            _CONTRACT_HEADERS,
            rows,
            numeric=[2, 3, 4, 6],
            row_classes=[""] * len(a.contracts) + ["total"],
        )
    )
    parts.append("<details open><summary>How each top-slice was set</summary>")
    for c in a.contracts:
        parts.append(f"<h3>{_e(c.id)}</h3><ol class='steps'>")
        parts += [f"<li>{_e(s)}</li>" for s in c.steps]
        parts.append("</ol>")
        if c.under_funded is not None:
            parts.append(
                f"<p>The hub is under-funded by {format_money(c.under_funded)} a year.</p>"
            )
    parts.append("</details>")

    if a.status.is_ok:
        members = sorted(
            (m for m in a.audit.members if m.award > 0), key=lambda m: (-m.award, m.member)
        )
        scale = max((max(m.award, m.fair_share) for m in members), default=Decimal(0))
        parts.append("<h2>Who receives what</h2>")
        parts.append(
            "<p class='legend'><span class='sw'></span>award<span class='tick'></span>fair share "
            "under the rule · <em>share</em> is of all member awards · <em>top-slice part</em> "
            "is what the hub costs the member (each contract's top-slice in proportion to its "
            "awards).</p>"
        )
        member_rows = [
            [
                _e(m.name),
                _e(m.size_band),
                _e(format_money(m.capacity)),
                _e(format_money(m.fair_share)),
                _e(format_money(m.award)),
                _e(_pct(m.share_of_awards)),
                _e(format_money(m.top_slice_contribution)),
                _bar(m.award, m.fair_share, scale),
            ]
            for m in members
        ]
        parts.append(
            _table(
                [
                    "member",
                    "size",
                    "capacity",
                    "fair share",
                    "award",
                    "share",
                    "top-slice part",
                    "award against fair share",
                ],
                member_rows,
                numeric=[2, 3, 4, 5, 6],
                raw=True,
            )
        )
        nothing = _not_funded(a)
        if nothing:
            parts.append("<h3>Members who receive nothing, and why</h3><ul>")
            for name, why in nothing:
                parts.append(f"<li><b>{_e(name)}</b>: {_e('; '.join(why))}</li>")
            parts.append("</ul>")
        parts.append("<h2>How fair is it?</h2>")
        parts.append(_fairness_words(a))
    parts.append(_constraints_section(a))
    parts.append("<h2>Every lot in detail</h2>")
    parts.append(
        "<p class='muted small'>Each member with capacity on the lot: its fair share, its award, "
        "what bound it, and why — greyed rows are members that may not receive the lot.</p>"
    )
    parts.append(_lot_sections(a))

    parts.append("<h2>Independent checks</h2>")
    checks = a.audit.checks
    if checks:
        failed = [c for c in checks if not c.passed]
        verdict = (
            f"All {len(checks)} checks passed: the allocation was re-checked from the input "
            "alone after rounding."
            if not failed
            else f"{len(failed)} of {len(checks)} checks FAILED."
        )
        parts.append(f"<p>{_e(verdict)}</p><ul class='checks'>")
        for check in checks:
            mark = "<span class='pass'>✔</span>" if check.passed else "<span class='fail'>✘</span>"
            parts.append(f"<li>{mark} <b>{_e(check.name)}</b>: {_e(check.detail)}</li>")
        parts.append("</ul>")
    else:
        parts.append("<p class='muted'>No checks were run (no allocation was made).</p>")

    parts.append("<h2>Words used</h2><dl class='glossary'>")
    parts += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in _GLOSSARY]
    parts.append("</dl>")

    s = a.audit.solver
    versions = ", ".join(f"{k} {v}" for k, v in sorted(a.audit.versions.items()))
    if s.method == "closed_form":
        how = "Computed exactly by the rule's closed form (provably what the solver would give)"
    else:
        how = (
            f"Computed by {_e(s.solver)}: status {_e(s.status)}, {s.stages} leximin stage(s), "
            f"{s.variables:,} variables, {s.constraints:,} constraints"
        )
    parts.append(
        f"<footer>{how}; rounded by the {_e(a.audit.rounding.replace('_', ' '))} method."
        f"<br>Input fingerprint (SHA-256): <code>{_e(a.audit.fingerprint)}</code>"
        f"<br>Versions: {_e(versions)}</footer></main></body></html>"
    )
    return "\n".join(p for p in parts if p) + "\n"
