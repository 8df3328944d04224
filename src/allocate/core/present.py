"""The hand-over from the data classes to their renderers, which live in a layer above.

:class:`~allocate.Problem`, :class:`~allocate.core.outcome.Audit` and
:class:`~allocate.Allocation` offer ``_repr_html_()``, ``summary()`` and ``to_markdown()``
(and :class:`~allocate.core.statement.MemberStatement` ``to_markdown()`` and ``to_html()``),
but the code that writes HTML, Markdown and text lives in :mod:`allocate.report`, which imports
these classes.  So that every import points down the layers, :mod:`allocate.report` registers
its renderers here when it is imported, and the classes look them up by name.  ``allocate``
itself imports :mod:`allocate.report`, so the renderers are registered before any of these
classes can be reached.  This is the one place where a lower layer calls a higher one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "ALLOCATION_HTML",
    "ALLOCATION_MARKDOWN",
    "ALLOCATION_TEXT",
    "AUDIT_HTML",
    "PROBLEM_HTML",
    "STATEMENT_HTML",
    "STATEMENT_MARKDOWN",
    "register",
    "render",
]

#: The renderers a data class hands over to, by name.
PROBLEM_HTML = "problem.html"
AUDIT_HTML = "audit.html"
ALLOCATION_HTML = "allocation.html"
ALLOCATION_MARKDOWN = "allocation.markdown"
ALLOCATION_TEXT = "allocation.text"
STATEMENT_MARKDOWN = "statement.markdown"
STATEMENT_HTML = "statement.html"
_NAMES = (
    PROBLEM_HTML,
    AUDIT_HTML,
    ALLOCATION_HTML,
    ALLOCATION_MARKDOWN,
    ALLOCATION_TEXT,
    STATEMENT_MARKDOWN,
    STATEMENT_HTML,
)

_RENDERERS: dict[str, Callable[..., str]] = {}


def register(name: str, renderer: Callable[..., str]) -> None:
    """Make ``renderer`` the one :func:`render` calls for ``name`` (one of the names above)."""
    if name not in _NAMES:
        raise ValueError(f"unknown renderer name {name!r}; expected one of {', '.join(_NAMES)}")
    _RENDERERS[name] = renderer


def render(name: str, obj: object, **options: Any) -> str:
    """Render ``obj`` with the renderer registered for ``name`` (with its keyword ``options``)."""
    try:
        renderer = _RENDERERS[name]
    except KeyError:
        raise RuntimeError(
            f"no renderer registered for {name!r}: import allocate.report first"
        ) from None
    return renderer(obj, **options)
