"""A few lines for a terminal: status, the hub's share and each member's total."""

from __future__ import annotations

from allocate.core.money import format_money
from allocate.core.outcome import Allocation
from allocate.report.common import percent
from allocate.report.table import text_table

__all__ = ["text_summary"]


def text_summary(a: Allocation) -> str:
    """A few lines for a terminal: status, the hub's share and each member's total."""
    lines = [
        f"{a.problem_name or 'allocation'}: {a.status.value} ({a.rule} rule, "
        f"{a.audit.solver.method})"
    ]
    for c in a.contracts:
        lines.append(
            f"  contract {c.id} ({c.commissioner}): {format_money(c.value)} -> hub "
            f"{format_money(c.top_slice)} ({percent(c.effective_rate, 2)}, "
            f"{c.delivery_ratio}), members {format_money(c.members_total)}"
        )
    if a.status.is_ok:
        lines += _members(a)
    elif a.diagnosis is not None:
        lines.append(f"  diagnosis: {a.diagnosis.summary}")
        lines += [f"    - {m}" for m in a.diagnosis.messages]
    return "\n".join(lines)


def _members(a: Allocation) -> list[str]:
    """The funded members, largest award first; who is eligible for nothing; fairness."""
    funded = sorted((m for m in a.audit.members if m.award > 0), key=lambda m: (-m.award, m.member))
    rows = [
        [m.name, m.size_band, format_money(m.award), f"({float(m.share_of_awards) * 100:5.2f}%)"]
        for m in funded
    ]
    # the share in brackets stands two spaces off the award
    lines = ["  members:"]
    lines += text_table(rows, widths=[32, 7, 16], numeric=[2], indent="    ", sep=[" ", " ", "  "])
    excluded = [m for m in a.audit.members if m.eligible_lots == 0]
    if excluded:
        lines.append("  not eligible for any lot: " + ", ".join(m.name for m in excluded))
    mt = a.audit.metrics
    lines.append(
        f"  fairness: award/fair share from {mt.min_ratio} to {mt.max_ratio}; "
        f"Gini of award/capacity {mt.gini}; largest member {mt.largest_member} "
        f"({percent(mt.largest_member_share or 0, 2)})"
    )
    return lines
