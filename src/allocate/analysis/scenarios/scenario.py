"""A scenario: a name and a list of changes, applied to a problem as a validated copy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from allocate.analysis.scenarios.changes import Change
from allocate.analysis.scenarios.errors import ChangeError, ScenarioError
from allocate.core.errors import ProblemError
from allocate.core.model import Problem, _problem_error
from allocate.core.outcome import Allocation
from allocate.core.review import Reallocation, ReviewInput, TradeDecision, check_review
from allocate.core.years import YearPlanInput, check_years
from allocate.pipeline.review import state_of

#: What each kind of change edits, and the sweep option that runs scenarios with it.
_INPUTS = "the inputs become"
_WHAT = {"problem": "problem", "review": "review", "years": "year plan"}
_RUN_WITH = {"review": "sweep(..., version=, review=)", "years": "sweep(..., years=)"}

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
            When a change names something unknown, or leaves the problem invalid, or changes a
            review or a year plan (apply those with :meth:`apply_review`, :meth:`apply_years`).
        """
        self._only("problem")
        if not self.changes:
            return problem
        data = problem.model_dump()
        for k, change in enumerate(self.changes, 1):
            self._apply_one(data, k, change)
        try:
            return Problem.model_validate(data)
        except ProblemError as exc:
            raise self._blame(problem, exc) from None

    def apply_review(
        self,
        problem: Problem,
        review: ReviewInput,
        version: Allocation | Reallocation | TradeDecision,
    ) -> tuple[Problem, ReviewInput]:
        """The problem and the review with the changes made, checked against ``version``.

        Problem changes edit the problem as it stands at the review; review changes
        (:func:`set_review_policy`, :func:`set_delivery` ...) edit the review.  Neither input is
        touched.  Raises :class:`ScenarioError` naming the first change after which the review no
        longer fits the version (a delivery above its award, an unknown member ...).
        """
        self._only("problem", "review")
        state = state_of(problem, version)

        def check(p: Problem, r: ReviewInput) -> None:
            check_review(p, state.awards, r, state.left)

        return self._apply_with(problem, review, "review", check)

    def apply_years(self, problem: Problem, plan: YearPlanInput) -> tuple[Problem, YearPlanInput]:
        """The problem and the year plan with the changes made, checked against each other.

        Problem changes (a glide path with :func:`set_top_slice` ...) edit the problem; year
        changes (:func:`set_stability`, :func:`set_year`) edit the plan.  Raises
        :class:`ScenarioError` naming the first change after which the plan no longer fits.
        """
        self._only("problem", "years")
        return self._apply_with(problem, plan, "years", check_years)

    def _only(self, *kinds: str) -> None:
        for k, change in enumerate(self.changes, 1):
            if change.edits not in kinds:
                run = _RUN_WITH.get(change.edits, "Scenario.apply")
                raise ScenarioError(
                    self.name,
                    k,
                    str(change),
                    f"a change to the {_WHAT[change.edits]}: run this scenario with {run}",
                    change.kind,
                )

    def _apply_with[M: BaseModel](
        self, problem: Problem, doc: M, edits: str, check: Callable[[Problem, M], None]
    ) -> tuple[Problem, M]:
        """``problem`` and ``doc`` with the changes made in order, validated and checked once."""
        made = self._made(problem, doc, edits, check, len(self.changes))
        if isinstance(made, tuple):
            return made
        for k in range(1, len(self.changes)):  # blame the first change that breaks it
            early = self._made(problem, doc, edits, check, k)
            if not isinstance(early, tuple):
                raise _invalid(self.name, k, str(self.changes[k - 1]), early, _INPUTS)
        last = len(self.changes)
        change = str(self.changes[-1]) if last else ""
        raise _invalid(self.name, last, change, made, _INPUTS)

    def _made[M: BaseModel](
        self, problem: Problem, doc: M, edits: str, check: Callable[[Problem, M], None], n: int
    ) -> tuple[Problem, M] | ProblemError:
        """The inputs after the first ``n`` changes, or the error that refuses them."""
        changes = self.changes[:n]
        p_data: dict[str, Any] | None = None
        d_data: dict[str, Any] | None = None
        for k, change in enumerate(changes, 1):
            if change.edits == edits:
                d_data = doc.model_dump() if d_data is None else d_data
                self._apply_one(d_data, k, change)
            else:
                p_data = problem.model_dump() if p_data is None else p_data
                self._apply_one(p_data, k, change)
        try:
            new_p = problem if p_data is None else Problem.model_validate(p_data)
            try:
                new_d = doc if d_data is None else type(doc).model_validate(d_data)
            except ValidationError as exc:
                return _problem_error(exc, d_data)
            check(new_p, new_d)
        except ProblemError as exc:
            return exc
        return new_p, new_d

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


def _invalid(
    name: str, k: int, change: str, exc: ProblemError, what: str = "the problem becomes"
) -> ScenarioError:
    first = exc.issues[0] if exc.issues else None
    reason = f"{what} invalid: " + "; ".join(
        f"{i.location}{f' (id {i.id!r})' if i.id else ''}: {i.message}" for i in exc.issues
    )
    return ScenarioError(name, k, change, reason, first.value if first else None)
