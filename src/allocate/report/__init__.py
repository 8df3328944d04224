"""Reports: an allocation and a problem as text, Markdown and HTML.

Importing this package registers its renderers with :mod:`allocate.core.present`, through which
``Problem._repr_html_``, ``Audit._repr_html_``, ``Allocation._repr_html_``,
``Allocation.to_markdown`` and ``Allocation.summary`` reach them.
"""

from allocate.core import present
from allocate.report.html import allocation_html, audit_html, html_report, problem_html
from allocate.report.markdown import markdown_report
from allocate.report.text import text_summary

__all__ = [
    "allocation_html",
    "audit_html",
    "html_report",
    "markdown_report",
    "problem_html",
    "text_summary",
]

present.register(present.PROBLEM_HTML, problem_html)
present.register(present.AUDIT_HTML, audit_html)
present.register(present.ALLOCATION_HTML, allocation_html)
present.register(present.ALLOCATION_MARKDOWN, markdown_report)
present.register(present.ALLOCATION_TEXT, text_summary)
