"""Rich display in Jupyter: the HTML behind ``_repr_html_`` of a problem, allocation and audit.

:func:`problem_html`, :func:`allocation_html` and :func:`audit_html` each return a fragment
(a ``<div class="allocate">`` with its own scoped styles): summary tables, a status badge, long
tables cut short after ``max_rows`` rows.  Each is a few small sections put together; every
piece of text from the input is escaped (see :mod:`allocate.report.markup`).
"""

from __future__ import annotations

from decimal import Decimal

from allocate.core.model import Problem, declared_capacity
from allocate.core.money import format_money
from allocate.core.outcome import Allocation, Audit
from allocate.report.common import (
    CONTRACT_HEADERS,
    CONTRACT_NUMERIC,
    contract_rows,
    count,
    money_or_dash,
    percent,
)
from allocate.report.headline import headline, status_badge
from allocate.report.markup import Markup, concat, element, format_html
from allocate.report.styles import NOTEBOOK_CSS, style_element
from allocate.report.table import html_table

__all__ = ["MAX_ROWS", "allocation_html", "audit_html", "problem_html"]

#: Rows shown per table in a notebook before "... and N more".
MAX_ROWS = 25


def _fragment(*sections: Markup) -> Markup:
    """The sections in one ``<div class="allocate">`` with the notebook styles."""
    return format_html(
        '<div class="allocate">{}{}</div>', style_element(NOTEBOOK_CSS), concat(sections)
    )


def _heading(words: str) -> Markup:
    return element("h4", words)


# -- the problem -----------------------------------------------------------------------------


def problem_html(problem: Problem, *, max_rows: int = MAX_ROWS) -> str:
    """A notebook view of a problem: headline, contracts and lots, members, policy.

    >>> from allocate.examples import demo_problem
    >>> html = problem_html(demo_problem())
    >>> "Luton Advice Centre" in html and "advice-luton" in html
    True
    """
    return _fragment(
        _problem_head(problem),
        _heading("Contracts and lots"),
        _lots_table(problem, max_rows),
        _heading("Members"),
        _members_table(problem, max_rows),
        _heading("Policy"),
        _policy_table(problem),
    )


def _problem_head(problem: Problem) -> Markup:
    total = sum((c.value for c in problem.contracts), Decimal(0))
    full = sum(1 for m in problem.members if m.membership.value == "full")
    ts = problem.top_slice
    return format_html(
        "<h3>{}</h3><div>{} ({} full), {}, {}, <b>{}</b> in all · "
        "rule <b>{}</b> · top-slice <b>{}</b> (max {}, target {})</div>",
        problem.name or "Problem",
        count(len(problem.members), "member"),
        full,
        count(len(problem.contracts), "contract"),
        count(sum(len(c.lots) for c in problem.contracts), "lot"),
        format_money(total),
        problem.policy.rule.value,
        ts.method.value,
        percent(ts.max_rate),
        percent(ts.target_rate),
    )


def _lots_table(problem: Problem, max_rows: int) -> Markup:
    rows = [
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
        for c in problem.contracts
        for lot in c.lots
    ]
    return html_table(
        ["contract", "commissioner", "lot", "theme", "area", "value", "units", "year"],
        rows,
        numeric=[5],
        max_rows=max_rows,
    )


_MEMBER_HEADERS = [
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
]


def _members_table(problem: Problem, max_rows: int) -> Markup:
    declared = declared_capacity(problem)
    rows = [
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
            money_or_dash(declared.get(m.id)),
        ]
        for m in problem.members
    ]
    return html_table(_MEMBER_HEADERS, rows, numeric=[4, 5, 7, 10], max_rows=max_rows)


def _policy_table(problem: Problem) -> Markup:
    pol = problem.policy
    settings = [
        ["fairness rule", pol.rule.value],
        ["quality threshold", f"{pol.quality_threshold:g}"],
        ["reporting threshold", f"{pol.reporting_threshold:g}"],
    ]
    settings += [[name, str(getattr(pol, name))] for name in pol.side_constraints]
    if pol.exclusions:
        settings.append(["exclusions", count(len(pol.exclusions), "member/lot pair")])
    return html_table(["policy", "setting"], settings)


# -- the allocation --------------------------------------------------------------------------


def allocation_html(allocation: Allocation, *, max_rows: int = MAX_ROWS) -> str:
    """A notebook view of an allocation: status badge, headline, contracts, members, fairness.

    >>> from allocate.examples import demo_problem
    >>> from allocate import solve
    >>> html = allocation_html(solve(demo_problem()))
    >>> "badge ok" in html and "Bedfordshire Wellbeing Trust" in html
    True
    """
    a = allocation
    return _fragment(
        format_html(
            "<h3>{} {}</h3><div>{}</div>",
            a.problem_name or "Allocation",
            status_badge(a.status.value),
            headline(a),
        ),
        _heading("Contracts"),
        html_table(CONTRACT_HEADERS, contract_rows(a), numeric=CONTRACT_NUMERIC, max_rows=max_rows),
        _heading("Members"),
        _awards_table(a, max_rows),
        _metrics_table(a.audit),
        _diagnosis_list(a),
    )


def _awards_table(a: Allocation, max_rows: int) -> Markup:
    members = sorted(a.audit.members, key=lambda m: (-m.award, m.member))
    rows = [
        [
            m.name,
            m.size_band,
            str(m.eligible_lots),
            format_money(m.capacity),
            format_money(m.fair_share),
            format_money(m.award),
            percent(m.share_of_awards),
        ]
        for m in members
    ]
    return html_table(
        ["member", "band", "eligible lots", "capacity", "fair share", "award", "share"],
        rows,
        numeric=[2, 3, 4, 5, 6],
        max_rows=max_rows,
    )


def _diagnosis_list(a: Allocation) -> Markup:
    if a.diagnosis is None:
        return Markup()
    items = [element("li", m) for m in [a.diagnosis.summary, *a.diagnosis.messages]]
    return concat([_heading("Diagnosis"), element("ul", *items)])


def _metrics_table(audit: Audit) -> Markup:
    mt = audit.metrics
    largest = (
        f"{mt.largest_member} ({percent(mt.largest_member_share)})" if mt.largest_member else "—"
    )
    rows = [
        ["award / fair share, lowest", str(mt.min_ratio) if mt.min_ratio is not None else "—"],
        ["award / fair share, highest", str(mt.max_ratio) if mt.max_ratio is not None else "—"],
        ["Gini of award / capacity", str(mt.gini) if mt.gini is not None else "—"],
        ["largest member", largest],
        ["moved from the rule by side-constraints", money_or_dash(mt.moved_from_rule)],
    ]
    return concat([_heading("Fairness"), html_table(["metric", "value"], rows, numeric=[1])])


# -- the audit -------------------------------------------------------------------------------


def audit_html(audit: Audit, *, max_rows: int = MAX_ROWS) -> str:
    """A notebook view of an audit: fairness, checks, solver, members and pairs in brief.

    >>> from allocate.examples import demo_problem
    >>> from allocate import solve
    >>> html = audit_html(solve(demo_problem()).audit)
    >>> "checks passed" in html
    True
    """
    checks = html_table(
        ["check", "", "detail"],
        [[c.name, "✔" if c.passed else "✘", c.detail] for c in audit.checks],
        max_rows=max_rows,
    )
    return _fragment(
        _audit_head(audit),
        _metrics_table(audit),
        _heading("Checks"),
        checks,
        _heading("Member–lot pairs with capacity"),
        _pairs_table(audit, max_rows),
    )


def _audit_head(audit: Audit) -> Markup:
    passed = sum(1 for c in audit.checks if c.passed)
    failed = len(audit.checks) - passed
    s = audit.solver
    t = audit.pairs
    return format_html(
        '<h3>Audit <span class="badge {}">{}</span></h3>'
        "<div>{} members, {:,} member–lot pairs ({:,} eligible) · method <b>{}</b> ({}, {}) · "
        "input <code>{}</code></div>",
        "ok" if failed == 0 else "bad",
        f"{passed} checks passed" + (f", {failed} failed" if failed else ""),
        len(audit.members),
        len(t),
        sum(1 for e in t.eligible if e),
        s.method,
        s.solver,
        s.status,
        audit.fingerprint[:16],
    )


def _pairs_table(audit: Audit, max_rows: int) -> Markup:
    """The member–lot pairs in which the member is eligible or declared capacity."""
    t = audit.pairs
    rows = [
        [
            t.member[k],
            t.lot[k],
            "yes" if t.eligible[k] else "no",
            money_or_dash(t.capacity[k]),
            format_money(t.fair_share[k]),
            format_money(t.award[k]),
            t.binding[k] or "",
        ]
        for k in range(len(t))
        if t.eligible[k] or t.capacity[k] is not None
    ]
    return html_table(
        ["member", "lot", "eligible", "capacity", "fair share", "award", "bound by"],
        rows,
        numeric=[3, 4, 5],
        max_rows=max_rows,
    )
