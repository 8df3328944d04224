"""A member's statement as Markdown and as a one-page HTML document a hub can send out.

:func:`statement_markdown` and :func:`statement_html` write a
:class:`~allocate.core.statement.MemberStatement` (worked out by
:func:`allocate.analysis.statements.member_statement`): the member's lots (eligibility and why,
fair share, award, what held it), its part of the hub's top-slice, what would bring it more,
and how to check the allocation.  Both formats say the same, from the same rows and sentences
here; the HTML is the report's stylesheet with a few print rules of its own
(``static/statement.css``) so that it prints on one A4 page, and like the report it depends only
on the statement and its date (``SOURCE_DATE_EPOCH`` honoured, :func:`report_date`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from decimal import Decimal

from allocate.core.money import format_money
from allocate.core.statement import LotLine, MemberStatement
from allocate.report.common import count, money_or_dash
from allocate.report.html import report_date
from allocate.report.markup import Markup, concat, element, format_html
from allocate.report.styles import REPORT_CSS, STATEMENT_CSS, style_element
from allocate.report.table import html_table, markdown_table

__all__ = [
    "STATEMENT_HTML_CONTRACTS",
    "STATEMENT_HTML_MORE",
    "STATEMENT_HTML_ROWS",
    "STATEMENT_MAX_ROWS",
    "file_stems",
    "index_html",
    "index_markdown",
    "statement_html",
    "statement_markdown",
]

#: Lots a statement lists one row each; past it, the lots out of reach are grouped by reason.
STATEMENT_MAX_ROWS = 12
#: Rows of the HTML statement's table of lots, so that it stays on one A4 page; the Markdown
#: lists every lot.
STATEMENT_HTML_ROWS = 13
#: Contracts of the HTML statement's top-slice table (the rest are summed in one row).
STATEMENT_HTML_CONTRACTS = 8
#: Sentences of the HTML statement's "what would bring you more".
STATEMENT_HTML_MORE = 4

_LOT_HEADERS = ["lot", "contract", "capacity", "fair share", "award", "bound by, or why not"]
_LOT_NUMERIC = [2, 3, 4]
_TOP_HEADERS = ["contract", "hub's top-slice", "members' awards", "your awards", "your part"]
_TOP_NUMERIC = [1, 2, 3, 4]

#: Each reason code in a few words, for the lots grouped by reason.
_SHORT = {
    "associate": "associate members hold no sub-contracts",
    "qa_not_passed": "quality assurance not passed",
    "quality": "quality score below the threshold",
    "reporting": "reporting compliance below the threshold",
    "theme": "theme not delivered",
    "area": "area not served",
    "no_capacity": "no capacity declared",
    "excluded": "excluded by the policy",
    "no_bid": "no bid in the sub-tender",
    "not_qualified": "bid did not qualify",
    "below_full_cost": "awards would be below full cost",
}


# -- what both formats say ----------------------------------------------------------------------


def _lead(s: MemberStatement) -> str:
    eligible = sum(line.eligible for line in s.lots)
    return (
        f"You were awarded {format_money(s.award)} in all, on {eligible} of "
        f"{count(len(s.lots), 'lot')}, against a fair share of {format_money(s.fair_share)} "
        f"under the consortium's {s.rule} rule. Your part of the hub's top-slice is "
        f"{format_money(s.top_slice_total)}."
    )


def _why(line: LotLine) -> str:
    """Why the member is not eligible (the audit's words), or what bound the award, in short."""
    if not line.eligible:
        return line.explanation[:1].upper() + line.explanation[1:]
    if line.bound_by:
        return ", ".join(dict.fromkeys(_label(name) for name in line.bound_by))
    return "nothing: your fair share" + (" in whole units" if line.units is not None else "")


#: A binding condition's family, in a few words (the words in full follow the table).
_LABELS = {
    "capacity": "your capacity",
    "min_award": "minimum award",
    "max_member_share": "share cap",
    "max_dependency": "dependency limit",
    "small_org_share": "small-organisation ring-fence",
    "case_mix": "case mix",
    "min_providers_per_area": "providers per area",
    "pooled_capacity": "your pooled capacity",
    "cash_flow": "cash-flow limit",
    "stability": "stability bound",
}


def _label(name: str) -> str:
    family = name.split(":", 1)[0]
    return _LABELS.get(family, family.replace("_", " "))


def _conditions(lines: Sequence[LotLine]) -> list[str]:
    """Each condition that bound an award, in words, once, with the lots it bound."""
    lots: dict[str, list[str]] = {}
    for line in lines:
        for name, words in zip(line.bound_by, line.conditions, strict=True):
            text = f"{_label(name)}: {words}"
            lots.setdefault(text, []).append(line.lot)
    return [f"{text} (on {_some(where)})." for text, where in lots.items()]


def _some(items: Sequence[str], most: int = 8) -> str:
    more = len(items) - most
    return ", ".join(items[:most]) + (f" and {more} more" if more > 0 else "")


def _lot_row(line: LotLine) -> list[str]:
    units = f" ({line.units} units)" if line.units is not None else ""
    return [
        line.lot,
        line.contract,
        money_or_dash(line.capacity),
        format_money(line.fair_share) if line.eligible else "—",
        format_money(line.award) + units if line.eligible else "not eligible",
        _why(line),
    ]


def _listed(s: MemberStatement) -> tuple[list[LotLine], list[tuple[str, list[str]]]]:
    """The lots given a row each, and the rest grouped by their reasons (when too many)."""
    if len(s.lots) <= STATEMENT_MAX_ROWS:
        return list(s.lots), []
    reached = {lot for i in s.improvements for lot in i.lots}
    rows = [line for line in s.lots if line.eligible or line.lot in reached]
    groups: dict[str, list[str]] = {}
    for line in s.lots:
        if not line.eligible and line.lot not in reached:
            key = "; ".join(_SHORT.get(r, r) for r in line.reasons)
            groups.setdefault(key, []).append(line.lot)
    return rows, sorted(groups.items())


def _group_words(reasons: str, lots: Sequence[str]) -> str:
    return f"Not eligible for {count(len(lots), 'lot')} ({reasons}): {_some(lots)}."


def _top_slice_words(s: MemberStatement) -> str:
    if not s.top_slice:
        return "You hold no award, so you contributed nothing to the hub's top-slice."
    return (
        "Your part of a contract's top-slice (what the hub keeps to run the consortium) is in "
        "proportion to your awards on it: top-slice × your awards ÷ all members' awards, "
        "rounded to whole pence by the largest remainder, so that the members' parts add up "
        "to the top-slice exactly."
    )


def _top_rows(s: MemberStatement, most: int | None = None) -> list[list[str]]:
    """One row a contract and the total; past ``most`` contracts, the rest in one row."""
    shown = s.top_slice if most is None or len(s.top_slice) <= most else s.top_slice[: most - 1]
    rows = [
        [
            p.contract,
            format_money(p.top_slice),
            format_money(p.members_awards),
            format_money(p.awards),
            format_money(p.contribution),
        ]
        for p in shown
    ]
    rest = s.top_slice[len(shown) :]
    if rest:
        rows.append(
            [
                f"{len(rest)} other contracts",
                format_money(sum((p.top_slice for p in rest), Decimal(0))),
                format_money(sum((p.members_awards for p in rest), Decimal(0))),
                format_money(sum((p.awards for p in rest), Decimal(0))),
                format_money(sum((p.contribution for p in rest), Decimal(0))),
            ]
        )
    if len(s.top_slice) > 1:
        awards = sum((p.awards for p in s.top_slice), Decimal(0))
        rows.append(["total", "", "", format_money(awards), format_money(s.top_slice_total)])
    return rows


def _more(s: MemberStatement) -> list[str]:
    """What would bring the member more, a sentence each."""
    out = [i.words for i in s.improvements] + [h.words for h in s.capacity_holds]
    if s.not_solved:
        out.append(
            f"{count(s.not_solved, 'change')} above {'was' if s.not_solved == 1 else 'were'} "
            f"not solved again: a statement solves at most {s.max_solves} times."
        )
    if not out:
        out.append(
            "Nothing in your own data that you could change would bring you more work today: "
            + (
                "the lots you are not eligible for are outside the themes or areas you deliver "
                "and you declared no capacity there, or the policy or a competition decided them."
                if s.unchanged
                else "you are eligible for every lot, and no capacity of yours held an award."
            )
        )
    return out


_TODAY = (
    "“At today's shares” means with every other member's data as it is now: the problem was "
    "solved again with the change named, and nothing else."
)


def _check(s: MemberStatement) -> list[tuple[str, list[str]]]:
    """How to check the allocation: (words, commands) pairs."""
    files = f"{s.problem_file} {s.allocation_file}"
    return [
        (
            f"This statement explains the allocation in {s.allocation_file}, made for the "
            f"problem in {s.problem_file} (its SHA-256 fingerprint is {s.fingerprint}); the hub "
            "sends both files with it.",
            [],
        ),
        (
            "That no fairer allocation exists (no award could rise towards its fair share "
            "without lowering a member already worse off) is proved by a certificate: check it "
            "without a solver, in exact arithmetic from the two files, on the command line or "
            "in Python:",
            [
                f"allocate check-certificate {files}",
                "allocate.check_certificate(problem, allocation)",
            ],
        ),
        (
            "Every condition of the policy (eligibility, capacities, caps, the top-slice, each "
            "award to the penny) is re-checked from the input alone by the first below; the "
            "second makes the allocation again:",
            [
                "allocate.verify(problem, allocation)",
                f"allocate solve {s.problem_file} --json mine.json",
            ],
        ),
    ]


# -- Markdown -----------------------------------------------------------------------------------


def statement_markdown(statement: MemberStatement) -> str:
    """The statement as Markdown (the same sections as :func:`statement_html`)."""
    s = statement
    rows, groups = _listed(s)
    out = [
        f"# Statement for {s.name}",
        "",
        f"{s.problem_name or 'Allocation'} · member `{s.member}` ({s.membership}, "
        f"{s.size_band}) · {s.rule} rule",
        "",
        _lead(s),
        "",
        "## Your lots",
        "",
        markdown_table(_LOT_HEADERS, [[_md(c) for c in _lot_row(line)] for line in rows]),
        *(["", *(f"- {_group_words(k, v)}" for k, v in groups)] if groups else []),
        *(
            ["", "What bound your awards:", "", *(f"- {c}" for c in _conditions(rows))]
            if _conditions(rows)
            else []
        ),
        "",
        "## Your part of the hub's top-slice",
        "",
        _top_slice_words(s),
    ]
    if s.top_slice:
        out += ["", markdown_table(_TOP_HEADERS, [[_md(c) for c in r] for r in _top_rows(s)])]
    out += ["", "## What would bring you more", ""]
    out += [f"- {line}" for line in _more(s)]
    if s.improvements or s.capacity_holds:
        out += ["", _TODAY]
    out += ["", "## How to check", ""]
    for words, commands in _check(s):
        out += [words, ""] + ([*(f"    {c}" for c in commands), ""] if commands else [])
    return "\n".join(out) + "\n"


def _md(cell: str) -> str:
    """A table cell: a pipe would end it."""
    return cell.replace("|", "\\|")


# -- HTML ---------------------------------------------------------------------------------------


def statement_html(statement: MemberStatement, *, date: dt.date | None = None) -> str:
    """The statement as a complete HTML page (inline CSS, no script) that prints on one A4 page.

    Dated ``date``, by default :func:`~allocate.report.html.report_date`'s (today, or
    ``$SOURCE_DATE_EPOCH``'s).
    """
    s = statement
    if date is None:
        date = report_date()
    elif not isinstance(date, dt.date):
        raise TypeError(f"date must be a datetime.date, not {type(date).__name__}: {date!r}")
    rows, groups = _listed(s)
    lines = [
        Markup("<!DOCTYPE html>"),
        Markup('<html lang="en"><head><meta charset="utf-8">'),
        Markup('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        format_html("<title>Statement for {}</title>", s.name),
        format_html(
            "{}{}</head><body><main class='statement'>",
            style_element(REPORT_CSS),
            style_element(STATEMENT_CSS),
        ),
        format_html("<header><h1>Statement for {}</h1>", s.name),
        format_html(
            "<div class='muted small'>{} · member <code>{}</code> ({}, {}) · {} rule · "
            "<time datetime='{}'>{} {}</time></div>",
            s.problem_name or "Allocation",
            s.member,
            s.membership,
            s.size_band,
            s.rule,
            date.isoformat(),
            date.day,
            f"{date:%B %Y}",
        ),
        format_html("<p class='lead'>{}</p></header>", _lead(s)),
        _cards(s),
        Markup("<h2>Your lots</h2>"),
        html_table(
            _LOT_HEADERS,
            [_lot_row(line) for line in rows],
            numeric=_LOT_NUMERIC,
            max_rows=STATEMENT_HTML_ROWS,
            row_classes=["" if line.eligible else "none" for line in rows],
        ),
        element("p", _CUT, class_="small muted") if len(rows) > STATEMENT_HTML_ROWS else "",
        *(element("p", _group_words(k, v), class_="small") for k, v in groups),
        _conditions_html(rows),
        Markup("<h2>Your part of the hub's top-slice</h2>"),
        element("p", _top_slice_words(s), class_="small"),
        html_table(
            _TOP_HEADERS,
            _top_rows(s, STATEMENT_HTML_CONTRACTS),
            numeric=_TOP_NUMERIC,
            row_classes=[""] * len(s.top_slice) + ["total"],
        )
        if s.top_slice
        else "",
        Markup("<h2>What would bring you more</h2>"),
        _more_html(s),
        element("p", _TODAY, class_="small muted") if s.improvements or s.capacity_holds else "",
        Markup("<h2>How to check</h2>"),
        *(_check_html(words, commands) for words, commands in _check(s)),
        Markup("</main></body></html>"),
    ]
    return "\n".join(line for line in lines if line) + "\n"


_CUT = "The Markdown statement and its data list every lot."


def _more_html(s: MemberStatement) -> Markup:
    more = _more(s)
    shown = more[:STATEMENT_HTML_MORE]
    if len(more) > len(shown):
        shown.append(f"… and {len(more) - len(shown)} more in the Markdown statement.")
    return format_html("<ul class='more'>{}</ul>", concat(element("li", x) for x in shown))


def _conditions_html(lines: Sequence[LotLine]) -> Markup:
    conditions = _conditions(lines)
    if not conditions:
        return Markup()
    return format_html(
        "<p class='small'>What bound your awards:</p><ul class='more small'>{}</ul>",
        concat(element("li", c) for c in conditions),
    )


def _cards(s: MemberStatement) -> Markup:
    eligible = sum(line.eligible for line in s.lots)
    cards = [
        ("your award", format_money(s.award), f"on {eligible} of {count(len(s.lots), 'lot')}"),
        ("your fair share", format_money(s.fair_share), f"under the {s.rule} rule"),
        ("top-slice contributed", format_money(s.top_slice_total), "your part of the hub's"),
        ("your capacity", format_money(s.capacity), "on the lots you are eligible for"),
    ]
    return format_html(
        "<div class='cards'>{}</div>",
        concat(
            format_html(
                "<div class='card'><div class='k'>{}</div><div class='v'>{}</div>"
                "<div class='s'>{}</div></div>",
                k,
                v,
                sub,
            )
            for k, v, sub in cards
        ),
    )


def _check_html(words: str, commands: list[str]) -> Markup:
    code = concat((element("code", c, class_="cmd") for c in commands), " ")
    return format_html("<p class='small'>{} {}</p>", words, code)


# -- the files of a hub's statements ------------------------------------------------------------


def file_stems(members: Sequence[str]) -> dict[str, str]:
    """A safe, distinct file name (without suffix) for each member's statement.

    ``statement-`` and the id when the id is made only of letters, digits, ``.``, ``_`` and
    ``-`` (and does not start with a dot); otherwise the id with every other run of characters
    made ``_``, and the first ten hex digits of its SHA-256 added, so two ids never share a
    name, also where file names ignore case.  Give every member of the problem, in its order,
    so that a member's file name does not depend on which statements are written.

    >>> file_stems(["luton-advice", "../etc/passwd", "A", "a", "CON"])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'luton-advice': 'statement-luton-advice', '../etc/passwd': 'statement-etc_passwd-7fef78f534',
     'A': 'statement-A', 'a': 'statement-a-ca978112ca', 'CON': 'statement-CON'}
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for member in members:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", member).strip("._-")[:80] or "member"
        stem = f"statement-{base}"
        size = 10
        while base != member or stem.casefold() in used:
            stem = f"statement-{base}-{hashlib.sha256(member.encode()).hexdigest()[:size]}"
            if stem.casefold() not in used:
                break
            size += 6
        used.add(stem.casefold())
        out[member] = stem
    return out


def _title(statements: Sequence[MemberStatement]) -> str:
    first = statements[0] if statements else None
    return first.problem_name if first is not None and first.problem_name else "Allocation"


def index_markdown(statements: Sequence[MemberStatement], stems: dict[str, str]) -> str:
    """The index of a folder of statements, in Markdown: one row a member, with its files."""
    rows = [
        [
            _md(s.name),
            f"`{_md(s.member)}`",
            format_money(s.award),
            format_money(s.top_slice_total),
            f"[HTML]({stems[s.member]}.html) · [Markdown]({stems[s.member]}.md)",
        ]
        for s in statements
    ]
    out = [
        f"# Member statements: {_title(statements)}",
        "",
        markdown_table(["member", "id", "award", "top-slice part", "statement"], rows),
    ]
    if statements:
        first = statements[0]
        out += [
            "",
            f"The allocation explained is `{first.allocation_file}`, made for "
            f"`{first.problem_file}`.",
        ]
    return "\n".join(out) + "\n"


def index_html(
    statements: Sequence[MemberStatement],
    stems: dict[str, str],
    formats: Sequence[str],
    *,
    date: dt.date | None = None,
) -> str:
    """The index of a folder of statements as an HTML page; ``formats``: ``html`` and/or ``md``."""
    if date is None:
        date = report_date()
    title = _title(statements)

    def links(member: str) -> Markup:
        return concat(
            (
                element("a", label, href=f"{stems[member]}.{suffix}")
                for suffix, label in (("html", "HTML"), ("md", "Markdown"))
                if suffix in formats
            ),
            " · ",
        )

    rows = [
        [s.name, s.member, format_money(s.award), format_money(s.top_slice_total), links(s.member)]
        for s in statements
    ]
    lines = [
        Markup("<!DOCTYPE html>"),
        Markup('<html lang="en"><head><meta charset="utf-8">'),
        format_html("<title>Member statements: {}</title>", title),
        format_html("{}</head><body><main>", style_element(REPORT_CSS)),
        format_html("<header><h1>Member statements: {}</h1>", title),
        format_html(
            "<div class='muted small'><time datetime='{}'>{} {}</time></div></header>",
            date.isoformat(),
            date.day,
            f"{date:%B %Y}",
        ),
        html_table(["member", "id", "award", "top-slice part", "statement"], rows, numeric=[2, 3]),
        format_html(
            "<p class='small'>The allocation explained is <code>{}</code>, made for "
            "<code>{}</code>.</p>",
            statements[0].allocation_file,
            statements[0].problem_file,
        )
        if statements
        else "",
        Markup("</main></body></html>"),
    ]
    return "\n".join(line for line in lines if line) + "\n"
