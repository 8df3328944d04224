"""The error hierarchy of :mod:`allocate`.

Every error the library raises on purpose derives from :class:`AllocateError`::

    AllocateError
    ├── ProblemError (also ValueError)  the input is invalid; carries every Issue found
    ├── InfeasibleError                 no allocation satisfies the problem; carries the diagnosis
    ├── SolverError                     the solver failed, stopped early or answered nonsense
    ├── VerificationError               a computed allocation failed the independent re-check
    └── ScenarioError (also ValueError) a what-if change cannot be applied (allocate.scenarios)

The two errors that carry an :class:`~allocate.Allocation`, :class:`InfeasibleError` and
:class:`SolverError`, are defined beside it in :mod:`allocate.core.outcome`.
:func:`allocate.solve` never raises :class:`InfeasibleError` or :class:`SolverError` by itself: it
returns an :class:`~allocate.Allocation` whose ``status`` says what happened.  Raising is opt-in,
through :meth:`Allocation.raise_for_status`.  :class:`VerificationError` is different: it means the
library produced a wrong answer, and a wrong answer is never returned silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "AllocateError",
    "Issue",
    "ProblemError",
    "VerificationError",
]


class AllocateError(Exception):
    """Base class of every error raised by :mod:`allocate`."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in an input.

    Attributes
    ----------
    location
        Where in the input, as a dotted path (``"members[3].annual_income"``).
    message
        What is wrong, in words.
    id
        The id of the member, contract, lot or capacity the issue belongs to, when it has one.
    value
        The offending value, as given (``None`` when the value is missing).
    """

    location: str
    message: str
    id: str | None = None
    value: Any = None

    def __str__(self) -> str:
        where = self.location or "problem"
        if self.id is not None:
            where += f" (id {self.id!r})"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" [value: {_short(self.value)}]"
        return text


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ProblemError(AllocateError, ValueError):
    """The input problem is invalid.

    Carries every issue found, not just the first, so that one round of corrections suffices.

    Examples
    --------
    >>> err = ProblemError([Issue("members[0].annual_income", "must not be negative", "m1", "-5")])
    >>> print(err)
    1 problem in the input:
      - members[0].annual_income (id 'm1'): must not be negative [value: '-5']
    """

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__(self._render())

    def __reduce__(self) -> tuple[type[ProblemError], tuple[tuple[Issue, ...]]]:
        # pickles with its issues intact (sweeps send errors between processes)
        return (ProblemError, (self.issues,))

    def _render(self) -> str:
        n = len(self.issues)
        head = f"{n} problem{'s' if n != 1 else ''} in the input:"
        return "\n".join([head, *(f"  - {issue}" for issue in self.issues)])

    def __str__(self) -> str:
        return self._render()


class VerificationError(AllocateError):
    """A computed allocation failed the independent re-check (a bug, never a user error).

    ``failures`` lists each failed check, keyed by the name of the documented condition.
    """

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = tuple(failures)
        lines = [f"  - {name}: {text}" for name, text in self.failures[:50]]
        more = len(self.failures) - 50
        if more > 0:
            lines.append(f"  ... and {more} more")
        super().__init__(
            "the allocation failed independent verification "
            "(this is a bug in allocate; please report it with the input):\n" + "\n".join(lines)
        )
