r"""Tables in each output format: the one place the renderers lay out rows and columns.

Each function takes the rows as lists of cell texts (already formatted: money, percentages)
and lays them out for its format; ``numeric`` names the columns (counted from 0) that are
aligned to the right where the format can align.

Examples
--------
>>> print(markdown_table(["member", "award"], [["a", "£1.00"]]))
| member | award |
|---|---|
| a | £1.00 |
>>> text_table([["a", "£1.00"], ["bcd", "£10.00"]], widths=[4, 7], numeric=[1])
['a      £1.00', 'bcd   £10.00']
>>> html = html_table(["member", "award"], [["<a>", "£1.00"]], numeric=[1])
>>> print(html.replace("<tr>", "\n<tr>"))
<table><thead>
<tr><th>member</th><th class="n">award</th></tr></thead><tbody>
<tr><td>&lt;a&gt;</td><td class="n">£1.00</td></tr></tbody></table>
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import LiteralString

from allocate.report.markup import Markup, concat, element, format_html

__all__ = ["html_table", "markdown_table", "text_table"]


def text_table(
    rows: Iterable[Sequence[str]],
    *,
    widths: Sequence[int],
    numeric: Iterable[int] = (),
    indent: str = "",
    sep: str | Sequence[str] = " ",
) -> list[str]:
    """Rows of plain text in columns of fixed width, one line a row, for a terminal.

    Parameters
    ----------
    rows
        The cells of each row.
    widths
        The width of each column; a cell is padded to it (a longer cell is kept whole and
        pushes the rest of its line to the right).  Cells beyond ``widths`` are not padded.
    numeric
        Columns aligned to the right.
    indent
        Text before each line.
    sep
        Text between two columns: one for every gap, or one per gap, in order.

    Returns
    -------
    list of str
        The lines, without line breaks.
    """
    num = set(numeric)
    lines = []
    for row in rows:
        gaps = [sep] * (len(row) - 1) if isinstance(sep, str) else sep
        line = indent
        for i, cell in enumerate(row):
            width = widths[i] if i < len(widths) else 0
            line += cell.rjust(width) if i in num else cell.ljust(width)
            if i < len(row) - 1:
                line += gaps[i]
        lines.append(line)
    return lines


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown (pipe) table: a header line, a rule and a line a row, without a final break.

    The cells are written as they are: the text is the reader's, so it is not escaped.
    """
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    numeric: Iterable[int] = (),
    max_rows: int | None = None,
    row_classes: Sequence[str] | None = None,
) -> Markup:
    """An HTML table; every header and cell is escaped unless it is :class:`Markup`.

    Parameters
    ----------
    headers
        The column headings.
    rows
        The cells of each row: text (escaped) or markup built by the helpers (a bar).
    numeric
        Columns given the class ``n`` (aligned to the right by the stylesheets).
    max_rows
        Show at most this many rows, then one that says how many more there are.
    row_classes
        A class for each row (``""`` for none), in the order of ``rows``.

    Returns
    -------
    Markup
        ``<table>`` with a ``<thead>`` and a ``<tbody>``.
    """
    num = set(numeric)
    head = concat(_cell("th", h, i in num) for i, h in enumerate(headers))
    all_rows = list(rows)
    shown = all_rows if max_rows is None else all_rows[:max_rows]
    classes = row_classes or [""] * len(shown)
    body = [
        element("tr", *(_cell("td", c, i in num) for i, c in enumerate(row)), class_=cls or None)
        for row, cls in zip(shown, classes, strict=False)  # the classes may go beyond max_rows
    ]
    body.append(_more_row(len(all_rows) - len(shown), len(headers)))
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, concat(body)
    )


def _cell(tag: LiteralString, text: object, numeric: bool) -> Markup:
    return element(tag, text, class_="n" if numeric else None)


def _more_row(hidden: int, columns: int) -> Markup:
    """The last row of a table cut short: how many rows are not shown (none: no row)."""
    if hidden <= 0:
        return Markup()
    return format_html(
        '<tr class="more"><td colspan="{}">… and {:,} more row{}</td></tr>',
        columns,
        hidden,
        "s" if hidden != 1 else "",
    )
