"""The whole audit as Markdown: top-slice reasoning, awards, eligibility, metrics, checks.

The report is a list of lines, one small function a section; :func:`markdown_report` puts
them in order.  Text from the input is written as it is (Markdown has no escaping that every
reader honours), in tables laid out by :func:`allocate.report.table.markdown_table`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from allocate.core.money import format_money
from allocate.core.outcome import Allocation, Diagnosis, Relaxation
from allocate.report.common import (
    CASH_FLOW_HEADERS,
    CONTRACT_HEADERS,
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
)
from allocate.report.table import markdown_table

__all__ = ["markdown_report"]

_PENNY = Decimal("0.01")


def markdown_report(a: Allocation) -> str:
    """The whole audit as Markdown: top-slice reasoning, awards, eligibility, metrics, checks."""
    audit = a.audit
    lines = [*_title(a), *_section("Contracts and the hub's top-slice", _contracts(a))]
    if a.diagnosis is not None:
        lines += _section("Diagnosis", _diagnosis(a.diagnosis))
    lines += _section("Members", [_members_table(a)])
    lines += _section("Every member and lot", [_pairs_table(a)])
    lines += _section("Fairness", _fairness(a))
    if audit.constraints:
        lines += _section("Side-constraints", [_constraints_table(a)])
    if audit.prices:
        lines += _section("The price of each side-constraint", [_prices_table(a)])
    if audit.decisions:
        lines += _section("Sub-contracts not made or kept", [f"- {d}" for d in audit.decisions])
    for t in audit.tenders:
        body = [f"- {line}" for line in tender_lines(t)]
        lines += _section(
            f"Sub-tender: {t.lot}", [*body, "", markdown_table(TENDER_HEADERS, tender_rows(t))]
        )
    lines += _money_over_time(a)
    checks = [f"- {'✔' if c.passed else '✘'} **{c.name}**: {c.detail}" for c in audit.checks]
    lines += _section("Checks", checks)
    lines += _section("Provenance", _provenance(a))
    return "\n".join(lines) + "\n"


def _money_over_time(a: Allocation) -> list[str]:
    """The cash-flow, full-cost and social-value sections the problem uses (none otherwise)."""
    audit, lines = a.audit, []
    if audit.cash_flow is not None:
        body = [f"- {line}" for line in cash_flow_lines(audit.cash_flow)]
        table = markdown_table(CASH_FLOW_HEADERS, cash_flow_rows(audit.cash_flow))
        lines += _section("Cash flow", [*body, "", table])
    if audit.full_cost is not None and audit.full_cost:
        body = [f"- {line}" for line in full_cost_lines(audit.full_cost)]
        table = markdown_table(FULL_COST_HEADERS, full_cost_rows(audit.full_cost))
        lines += _section("Full cost", [*body, "", table])
    if audit.social_value is not None:
        body = [f"- {line}" for line in social_value_lines(audit.social_value)]
        table = markdown_table(SOCIAL_VALUE_HEADERS, social_value_rows(audit.social_value))
        lines += _section("Social value", [*body, "", table])
    return lines


def _section(title: str, body: Sequence[str]) -> list[str]:
    """A second-level heading set apart by blank lines, then the section's lines."""
    return ["", f"## {title}", "", *body]


def _title(a: Allocation) -> list[str]:
    s = a.audit.solver
    return [
        f"# Allocation report{': ' + a.problem_name if a.problem_name else ''}",
        "",
        f"**Status:** {a.status.value} · **rule:** {a.rule} · **method:** {s.method}"
        f" ({s.solver}) · **input fingerprint:** `{a.audit.fingerprint[:16]}`",
    ]


def _contracts(a: Allocation) -> list[str]:
    """The contracts table, then the steps that set each contract's top-slice."""
    lines = [markdown_table(CONTRACT_HEADERS, contract_rows(a))]
    for c in a.contracts:
        lines += ["", f"**{c.id}** — how the top-slice was set:", ""]
        lines += [f"{n}. {s}" for n, s in enumerate(c.steps, 1)]
        if c.under_funded is not None:
            lines.append(f"\nThe hub is under-funded by {format_money(c.under_funded)} a year.")
    return lines


def _diagnosis(d: Diagnosis) -> list[str]:
    """Why nothing was allocated, and the smallest relaxation of each condition."""
    lines = [d.summary, "", *(f"- {m}" for m in d.messages)]
    if d.relaxations:
        lines += ["", "The smallest relaxation of each condition alone:", ""]
        for r in d.relaxations:
            lines.append(f"- **{r.condition}**: {_relaxation(r)}")
            lines += [f"  - {detail}" for detail in r.details]
    return lines


def _relaxation(r: Relaxation) -> str:
    if not r.possible:
        return "cannot make an allocation possible alone"
    return format_money(r.amount) if r.amount is not None else "possible"


def _members_table(a: Allocation) -> str:
    headers = ["member", "band", "eligible lots", "capacity", "fair share", "award", "share"]
    rows = [
        [
            m.name,
            m.size_band,
            str(m.eligible_lots),
            format_money(m.capacity),
            format_money(m.fair_share.quantize(_PENNY)),
            format_money(m.award),
            percent(m.share_of_awards, 2),
            format_money(m.top_slice_contribution.quantize(_PENNY)),
        ]
        for m in a.audit.members
    ]
    return markdown_table([*headers, "top-slice part"], rows)


def _pairs_table(a: Allocation) -> str:
    """Every member–lot pair (in a large problem, only those with declared capacity)."""
    t = a.audit.pairs
    rows = [
        [
            t.member[k],
            t.lot[k],
            "yes" if t.eligible[k] else "no",
            money_or_dash(t.capacity[k]),
            format_money(t.fair_share[k].quantize(_PENNY)),
            format_money(t.award[k]) + (f" ({t.award_units[k]} units)" if t.award_units[k] else ""),
            t.binding[k] or "—",
            t.explanation[k],
        ]
        for k in range(len(t))
        # large reports list only pairs with declared capacity
        if t.eligible[k] or t.capacity[k] is not None or len(t) <= 400
    ]
    return markdown_table(
        ["member", "lot", "eligible", "capacity", "fair share", "award", "bound by", "why"], rows
    )


def _fairness(a: Allocation) -> list[str]:
    mt = a.audit.metrics
    return [
        f"- award / fair share: min {mt.min_ratio}, max {mt.max_ratio}",
        f"- Gini of members' award / capacity: {mt.gini}",
        f"- largest member: {mt.largest_member} with {mt.largest_member_share} of all awards",
        f"- money moved from the rule's fair shares by the side-constraints: "
        f"{money_or_dash(mt.moved_from_rule)}",
    ]


def _constraints_table(a: Allocation) -> str:
    rows = [
        [
            c.name,
            c.description,
            format_money(c.bound),
            format_money(c.value),
            "yes" if c.binding else "no",
            "—" if not c.shadow_price else f"{c.shadow_price:.3g} per £",
        ]
        for c in a.audit.constraints
    ]
    return markdown_table(
        ["constraint", "meaning", "bound", "value", "binding", "shadow price"], rows
    )


def _prices_table(a: Allocation) -> str:
    rows = [
        [
            pr.setting,
            format_money(pr.moved_from_rule),
            money_or_dash(pr.moved_without),
            money_or_dash(pr.price),
            str(pr.min_ratio),
            str(pr.min_ratio_without),
        ]
        for pr in a.audit.prices
    ]
    headers = ["constraint", "moved from the rule", "without it", "its price", "worst ratio"]
    return (
        "Measured on the exact optimum, before rounding to whole pence and units, so that "
        "rounding is not counted as a price.\n\n" + markdown_table([*headers, "without it"], rows)
    )


def _provenance(a: Allocation) -> list[str]:
    s = a.audit.solver
    return [
        f"- solver: {s.solver}, status {s.status}, {count(s.stages, 'stage')}, "
        f"{s.variables} variables, {s.constraints} constraints",
        f"- rounding: {a.audit.rounding}",
        f"- input fingerprint (SHA-256): `{a.audit.fingerprint}`",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(a.audit.versions.items())),
    ]
