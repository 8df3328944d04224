"""HTML views: rich display in Jupyter and a stand-alone report a board member can read.

* :func:`problem_html`, :func:`allocation_html` and :func:`audit_html` are the fragments
  behind ``_repr_html_`` of :class:`~allocate.Problem`, :class:`~allocate.Allocation` and
  :class:`~allocate.result.Audit`: summary tables, a status badge, long tables cut short.
* :func:`html_report` is a complete HTML page — inline CSS, no script, no external asset, so
  it can be e-mailed, archived or printed — that explains an allocation in plain words: the
  headline figures, the hub's top-slice and how it was set, who receives what against their
  fair share and why, who receives nothing and why, how fair the result is, and the checks.

Every piece of text from the input is HTML-escaped.  The output depends only on the
allocation (no clock, no randomness): the same allocation always gives the same bytes.

This is the public home of these views; the code lives in :mod:`allocate.report.notebook`
(the notebook views), :mod:`allocate.report.html` (the page) and
:mod:`allocate.report.headline` (the badge).

Examples
--------
>>> from allocate import Problem
>>> from allocate.examples import example_dict
>>> from allocate import solve
>>> page = html_report(solve(Problem.model_validate(example_dict())))
>>> page.startswith("<!DOCTYPE html>") and "Allocated and verified" in page
True
"""

from allocate.report.headline import status_badge
from allocate.report.html import html_report
from allocate.report.notebook import allocation_html, audit_html, problem_html

__all__ = ["allocation_html", "audit_html", "html_report", "problem_html", "status_badge"]
