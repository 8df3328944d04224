"""Reports: an allocation and a problem as text, Markdown and HTML.

One module a format, on a few shared pieces:

* :mod:`~allocate.report.text` (:func:`text_summary`), :mod:`~allocate.report.markdown`
  (:func:`markdown_report`), :mod:`~allocate.report.html` (:func:`html_report`, the stand-alone
  page) and :mod:`~allocate.report.notebook` (:func:`problem_html`, :func:`allocation_html`,
  :func:`audit_html`, the Jupyter views);
* :mod:`~allocate.report.table` lays out a table in each format, :mod:`~allocate.report.markup`
  escapes every text that is not trusted markup, :mod:`~allocate.report.styles` reads the
  stylesheets kept as package data in ``static/``, :mod:`~allocate.report.common` and
  :mod:`~allocate.report.headline` hold what several renderers write alike.

Importing this package registers its renderers with :mod:`allocate.core.present`, through which
``Problem._repr_html_``, ``Audit._repr_html_``, ``Allocation._repr_html_``,
``Allocation.to_markdown`` and ``Allocation.summary`` reach them.
"""

from allocate.core import present
from allocate.report.html import html_report
from allocate.report.markdown import markdown_report
from allocate.report.notebook import allocation_html, audit_html, problem_html
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
