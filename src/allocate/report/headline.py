"""How every HTML view of an allocation opens: a status badge and one headline sentence.

Shared by the notebook views (:mod:`allocate.report.notebook`) and the stand-alone page
(:mod:`allocate.report.html`).
"""

from __future__ import annotations

from allocate.core.money import format_money
from allocate.core.outcome import Allocation
from allocate.report.common import count, percent, top_slice_rate, total_value
from allocate.report.markup import Markup, format_html

__all__ = ["headline", "status_badge"]

#: Each status in words, and the tone (a class of the stylesheets) of its badge.
_STATUS_WORDS = {
    "optimal": ("Allocated and verified", "ok"),
    "infeasible": ("No allocation possible", "bad"),
    "time_limit": ("Solver stopped at its time limit", "warn"),
    "solver_error": ("Solver failed", "bad"),
    "unknown": ("Status unknown", "warn"),
}


def status_badge(status: str) -> Markup:
    """An HTML badge for an allocation status, in words and colour.

    >>> status_badge("infeasible")
    '<span class="badge bad" title="status: infeasible">No allocation possible</span>'
    """
    words, tone = _STATUS_WORDS.get(status, (status, "warn"))
    return format_html('<span class="badge {}" title="status: {}">{}</span>', tone, status, words)


def headline(a: Allocation) -> Markup:
    """One sentence: what was shared, what the hub keeps, how many members receive the rest.

    When no allocation was made, why not.
    """
    if not a.status.is_ok:
        summary = a.diagnosis.summary if a.diagnosis is not None else a.audit.solver.status
        return format_html("No allocation was made: {}.", summary)
    total = total_value(a)
    funded = sum(1 for m in a.audit.members if m.award > 0)
    return format_html(
        "{} across {}: the hub keeps <b>{}</b> ({}) and <b>{}</b> goes to {} of "
        "{} members, by the <b>{}</b> rule.",
        format_money(total),
        count(len(a.contracts), "contract"),
        format_money(a.top_slice),
        percent(top_slice_rate(a), 2),
        format_money(total - a.top_slice),
        funded,
        len(a.audit.members),
        a.rule,
    )
