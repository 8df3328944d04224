"""The whole audit as Markdown: top-slice reasoning, awards, eligibility, metrics, checks."""

from __future__ import annotations

from decimal import Decimal

from allocate.core.money import format_money
from allocate.core.outcome import Allocation

__all__ = ["markdown_report"]


def _money_or_dash(amount: Decimal | None) -> str:
    return "—" if amount is None else format_money(amount)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def markdown_report(a: Allocation) -> str:
    """The whole audit as Markdown: top-slice reasoning, awards, eligibility, metrics, checks."""
    out: list[str] = [f"# Allocation report{': ' + a.problem_name if a.problem_name else ''}", ""]
    out.append(
        f"**Status:** {a.status.value} · **rule:** {a.rule} · **method:** {a.audit.solver.method}"
        f" ({a.audit.solver.solver}) · **input fingerprint:** `{a.audit.fingerprint[:16]}`"
    )
    out.append("")
    out.append("## Contracts and the hub's top-slice")
    out.append("")
    out.append(
        _table(
            ["contract", "commissioner", "value", "top-slice", "rate", "ratio", "to members"],
            [
                [
                    c.id,
                    c.commissioner,
                    format_money(c.value),
                    format_money(c.top_slice),
                    f"{float(c.effective_rate) * 100:.2f}%",
                    c.delivery_ratio,
                    format_money(c.members_total),
                ]
                for c in a.contracts
            ],
        )
    )
    for c in a.contracts:
        out += ["", f"**{c.id}** — how the top-slice was set:", ""]
        out += [f"{n}. {s}" for n, s in enumerate(c.steps, 1)]
        if c.under_funded is not None:
            out.append(f"\nThe hub is under-funded by {format_money(c.under_funded)} a year.")
    if a.diagnosis is not None:
        out += ["", "## Diagnosis", "", a.diagnosis.summary, ""]
        out += [f"- {m}" for m in a.diagnosis.messages]
        if a.diagnosis.relaxations:
            out += ["", "The smallest relaxation of each condition alone:", ""]
            for r in a.diagnosis.relaxations:
                head = f"- **{r.condition}**: " + (
                    "cannot make an allocation possible alone"
                    if not r.possible
                    else (f"{format_money(r.amount)}" if r.amount is not None else "possible")
                )
                out.append(head)
                out += [f"  - {d}" for d in r.details]
    out += ["", "## Members", ""]
    out.append(
        _table(
            [
                "member",
                "band",
                "eligible lots",
                "capacity",
                "fair share",
                "award",
                "share",
                "top-slice part",
            ],
            [
                [
                    m.name,
                    m.size_band,
                    str(m.eligible_lots),
                    format_money(m.capacity),
                    format_money(m.fair_share.quantize(Decimal("0.01"))),
                    format_money(m.award),
                    f"{float(m.share_of_awards) * 100:.2f}%",
                    format_money(m.top_slice_contribution.quantize(Decimal("0.01"))),
                ]
                for m in a.audit.members
            ],
        )
    )
    out += ["", "## Every member and lot", ""]
    t = a.audit.pairs
    rows = []
    for k in range(len(t)):
        if not t.eligible[k] and t.capacity[k] is None and len(t) > 400:
            continue  # large reports list only pairs with declared capacity
        rows.append(
            [
                t.member[k],
                t.lot[k],
                "yes" if t.eligible[k] else "no",
                _money_or_dash(t.capacity[k]),
                format_money(t.fair_share[k].quantize(Decimal("0.01"))),
                format_money(t.award[k])
                + (f" ({t.award_units[k]} units)" if t.award_units[k] else ""),
                t.binding[k] or "—",
                t.explanation[k],
            ]
        )
    out.append(
        _table(
            ["member", "lot", "eligible", "capacity", "fair share", "award", "bound by", "why"],
            rows,
        )
    )
    mt = a.audit.metrics
    out += ["", "## Fairness", ""]
    out += [
        f"- award / fair share: min {mt.min_ratio}, max {mt.max_ratio}",
        f"- Gini of members' award / capacity: {mt.gini}",
        f"- largest member: {mt.largest_member} with {mt.largest_member_share} of all awards",
        f"- money moved from the rule's fair shares by the side-constraints: "
        f"{_money_or_dash(mt.moved_from_rule)}",
    ]
    if a.audit.constraints:
        out += ["", "## Side-constraints", ""]
        out.append(
            _table(
                ["constraint", "meaning", "bound", "value", "binding", "shadow price"],
                [
                    [
                        c.name,
                        c.description,
                        format_money(c.bound),
                        format_money(c.value),
                        "yes" if c.binding else "no",
                        "—" if not c.shadow_price else f"{c.shadow_price:.3g} per £",
                    ]
                    for c in a.audit.constraints
                ],
            )
        )
    if a.audit.prices:
        out += ["", "## The price of each side-constraint", ""]
        out.append(
            _table(
                [
                    "constraint",
                    "moved from the rule",
                    "without it",
                    "its price",
                    "worst ratio",
                    "without it",
                ],
                [
                    [
                        pr.setting,
                        format_money(pr.moved_from_rule),
                        _money_or_dash(pr.moved_without),
                        _money_or_dash(pr.price),
                        str(pr.min_ratio),
                        str(pr.min_ratio_without),
                    ]
                    for pr in a.audit.prices
                ],
            )
        )
    if a.audit.decisions:
        out += ["", "## Sub-contracts not made or kept", ""]
        out += [f"- {d}" for d in a.audit.decisions]
    out += ["", "## Checks", ""]
    out += [f"- {'✔' if c.passed else '✘'} **{c.name}**: {c.detail}" for c in a.audit.checks]
    s = a.audit.solver
    out += ["", "## Provenance", ""]
    out += [
        f"- solver: {s.solver}, status {s.status}, {s.stages} stage(s), "
        f"{s.variables} variables, {s.constraints} constraints",
        f"- rounding: {a.audit.rounding}",
        f"- input fingerprint (SHA-256): `{a.audit.fingerprint}`",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(a.audit.versions.items())),
    ]
    return "\n".join(out) + "\n"
