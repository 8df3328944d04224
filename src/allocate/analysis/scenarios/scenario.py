"""A scenario: a name and a list of changes, applied to a problem as a validated copy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from allocate.analysis.scenarios.changes import Change
from allocate.analysis.scenarios.errors import ChangeError, ScenarioError
from allocate.core.errors import ProblemError
from allocate.core.model import Problem

__all__ = ["Scenario"]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named set of changes to a problem.

    Parameters
    ----------
    name
        Shown in every result and error.
    changes
        The changes, applied in order.
    description
        Optional words for reports.

    Examples
    --------
    >>> from allocate.examples import example_dict
    >>> from allocate.scenarios import set_top_slice
    >>> p = Problem.model_validate(example_dict())
    >>> Scenario("nothing").apply(p) == p
    True
    >>> s = Scenario("5%", [set_top_slice(rate="0.05")])
    >>> str(s.apply(p).top_slice.rate)
    '0.05'
    """

    name: str
    changes: Sequence[Change] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError(str(self.name), 0, "", "a scenario needs a non-empty name")
        changes = tuple(self.changes)
        for k, change in enumerate(changes, 1):
            if not isinstance(change, Change):
                raise ScenarioError(
                    self.name,
                    k,
                    repr(change),
                    "not a change: make changes with set_policy(), scale_capacity() ...",
                    change,
                )
        object.__setattr__(self, "changes", changes)

    def apply(self, problem: Problem) -> Problem:
        """A validated copy of ``problem`` with the changes made (``problem`` is untouched).

        Raises
        ------
        ScenarioError
            When a change names something unknown, or leaves the problem invalid.
        """
        if not self.changes:
            return problem
        data = problem.model_dump()
        for k, change in enumerate(self.changes, 1):
            self._apply_one(data, k, change)
        try:
            return Problem.model_validate(data)
        except ProblemError as exc:
            raise self._blame(problem, exc) from None

    def _apply_one(self, data: dict[str, Any], k: int, change: Change) -> None:
        try:
            change.apply_to(data)
        except ChangeError as exc:
            raise ScenarioError(self.name, k, str(change), exc.reason, exc.value) from None

    def _blame(self, problem: Problem, final: ProblemError) -> ScenarioError:
        """The first change after which the problem no longer validates."""
        data = problem.model_dump()
        for k, change in enumerate(self.changes, 1):
            self._apply_one(data, k, change)
            try:
                Problem.model_validate(data)
            except ProblemError as exc:
                return _invalid(self.name, k, str(change), exc)
        return _invalid(self.name, len(self.changes), str(self.changes[-1]), final)

    def __repr__(self) -> str:
        inner = "; ".join(str(c) for c in self.changes) or "no change"
        return f"Scenario({self.name!r}: {inner})"


def _invalid(name: str, k: int, change: str, exc: ProblemError) -> ScenarioError:
    first = exc.issues[0] if exc.issues else None
    reason = "the problem becomes invalid: " + "; ".join(
        f"{i.location}{f' (id {i.id!r})' if i.id else ''}: {i.message}" for i in exc.issues
    )
    return ScenarioError(name, k, change, reason, first.value if first else None)
