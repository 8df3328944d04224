"""A few lines for a terminal: status, the hub's share and each member's total."""

from __future__ import annotations

from allocate.core.money import format_money
from allocate.core.outcome import Allocation

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
            f"{format_money(c.top_slice)} ({float(c.effective_rate) * 100:.2f}%, "
            f"{c.delivery_ratio}), members {format_money(c.members_total)}"
        )
    if a.status.is_ok:
        lines.append("  members:")
        for m in sorted(a.audit.members, key=lambda m: (-m.award, m.member)):
            if m.award > 0:
                lines.append(
                    f"    {m.name:<32} {m.size_band:<7} {format_money(m.award):>16}  "
                    f"({float(m.share_of_awards) * 100:5.2f}%)"
                )
        excluded = [m for m in a.audit.members if m.eligible_lots == 0]
        if excluded:
            lines.append("  not eligible for any lot: " + ", ".join(m.name for m in excluded))
        mt = a.audit.metrics
        lines.append(
            f"  fairness: award/fair share from {mt.min_ratio} to {mt.max_ratio}; "
            f"Gini of award/capacity {mt.gini}; largest member {mt.largest_member} "
            f"({float(mt.largest_member_share or 0) * 100:.2f}%)"
        )
    elif a.diagnosis is not None:
        lines.append(f"  diagnosis: {a.diagnosis.summary}")
        lines += [f"    - {m}" for m in a.diagnosis.messages]
    return "\n".join(lines)
