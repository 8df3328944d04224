"""Reports: an allocation and a problem as text, Markdown and HTML.

One module a format, on a few shared pieces:

* :mod:`~allocate.report.text` (:func:`text_summary`), :mod:`~allocate.report.markdown`
  (:func:`markdown_report`), :mod:`~allocate.report.html` (:func:`html_report`, the stand-alone
  page) and :mod:`~allocate.report.notebook` (:func:`problem_html`, :func:`allocation_html`,
  :func:`audit_html`, the Jupyter views), :mod:`~allocate.report.life` (a reallocation, a
  trade decision and a year plan, :func:`life_markdown` and :func:`life_html`) and
  :mod:`~allocate.report.statement` (a member's statement, :func:`statement_markdown` and
  :func:`statement_html`);
* :mod:`~allocate.report.table` lays out a table in each format, :mod:`~allocate.report.markup`
  escapes every text that is not trusted markup, :mod:`~allocate.report.styles` reads the
  stylesheets kept as package data in ``static/``, :mod:`~allocate.report.common` and
  :mod:`~allocate.report.headline` hold what several renderers write alike.

:data:`FORMATS` names the report written for a file suffix (``allocate solve --report``): a new
format is a module here and one entry there.

Importing this package registers its renderers with :mod:`allocate.core.present`, through which
``Problem._repr_html_``, ``Audit._repr_html_``, ``Allocation._repr_html_``,
``Allocation.to_markdown``, ``Allocation.summary``, ``MemberStatement.to_markdown`` and
``MemberStatement.to_html`` reach them.

Examples
--------
>>> from pathlib import Path
>>> report_for(Path("board.HTML")) is html_report, report_for(Path("notes.md")) is markdown_report
(True, True)
>>> report_for(Path("board.pdf"))
Traceback (most recent call last):
...
ValueError: cannot write a report as '.pdf' (board.pdf): the supported suffixes are .md, .html, .htm
"""

from collections.abc import Callable
from pathlib import PurePath

from allocate.core import present
from allocate.core.outcome import Allocation
from allocate.report.html import html_report
from allocate.report.life import LIFE_FORMATS, life_html, life_markdown, life_report_for
from allocate.report.markdown import markdown_report
from allocate.report.notebook import allocation_html, audit_html, problem_html
from allocate.report.statement import statement_html, statement_markdown
from allocate.report.text import text_summary

__all__ = [
    "FORMATS",
    "LIFE_FORMATS",
    "allocation_html",
    "audit_html",
    "html_report",
    "life_html",
    "life_markdown",
    "life_report_for",
    "markdown_report",
    "problem_html",
    "report_for",
    "statement_html",
    "statement_markdown",
    "text_summary",
]

#: The report for a file name, by its suffix in lower case.
FORMATS: dict[str, Callable[[Allocation], str]] = {
    ".md": markdown_report,
    ".html": html_report,
    ".htm": html_report,
}


def report_for(path: PurePath) -> Callable[[Allocation], str]:
    """The renderer of the report to write to ``path``, chosen by its suffix (any case).

    Any other suffix, or none, raises a ``ValueError`` that names it and the supported ones:
    a ``.pdf`` quietly written as Markdown would be worse.
    """
    render = FORMATS.get(path.suffix.lower())
    if render is None:
        suffix = repr(path.suffix) if path.suffix else "a file with no suffix"
        raise ValueError(
            f"cannot write a report as {suffix} ({path}): the supported suffixes are "
            f"{', '.join(FORMATS)}"
        )
    return render


present.register(present.PROBLEM_HTML, problem_html)
present.register(present.AUDIT_HTML, audit_html)
present.register(present.ALLOCATION_HTML, allocation_html)
present.register(present.ALLOCATION_MARKDOWN, markdown_report)
present.register(present.ALLOCATION_TEXT, text_summary)
present.register(present.STATEMENT_MARKDOWN, statement_markdown)
present.register(present.STATEMENT_HTML, statement_html)
