"""A contract's history: versions replayed and verified from their inputs alone.

Version 1 is :func:`allocate.solve` of the problem; each step of a
:class:`~allocate.core.review.History` (a review, a trade) makes the next version from the last
one (a refused trade makes none).  Each version carries its number, the number it revises and the
fingerprint of the inputs that made it, chained through the version revised, so another system
that keeps the documents can check them: :func:`verify_history` recomputes every version from the
inputs and compares.
"""

from __future__ import annotations

from allocate.core.model import Problem
from allocate.core.outcome import Allocation, Check
from allocate.core.review import History, Reallocation, ReviewStep, TradeDecision
from allocate.pipeline.review import joined_problem, reallocate, state_of
from allocate.pipeline.solve import solve
from allocate.pipeline.trade import trade

__all__ = ["Document", "replay", "verify_history"]

#: One document of a history: the allocation as made, a reallocation, or a trade decision.
Document = Allocation | Reallocation | TradeDecision


def replay(history: History, *, time_limit: float | None = None) -> list[Document]:
    """Every document of ``history``, recomputed: the allocation as made, then one per step.

    A step after a version that is not ok (no allocation, a failed reallocation) raises
    ``ValueError``: no version exists to apply it to.
    """
    problem: Problem = history.problem
    first = solve(problem, time_limit=time_limit)
    documents: list[Document] = [first]
    current: Document = first
    for n, step in enumerate(history.steps):
        try:
            state_of(problem, current)
        except ValueError as exc:
            raise ValueError(f"steps[{n}] ({step.kind}): {exc}") from None
        if isinstance(step, ReviewStep):
            made: Document = reallocate(problem, current, step.review, time_limit=time_limit)
            problem = joined_problem(problem, step.review)
        else:
            made = trade(problem, current, step.trade)
        documents.append(made)
        if not (isinstance(made, TradeDecision) and not made.approved):
            current = made
    return documents


def _key(doc: Document) -> tuple[object, ...]:
    version = None if isinstance(doc, Allocation) else doc.version
    awards = [(a.member, a.lot, a.amount, a.units) for a in doc.awards]
    return (type(doc).__name__, version, awards, [c.top_slice for c in doc.contracts])


def verify_history(
    history: History, recorded: list[Document], *, time_limit: float | None = None
) -> list[Check]:
    """Check recorded documents against the history's replay, one check per document.

    Each must equal the replayed one in kind, version (number, revises, fingerprint) and awards;
    and every version must balance to the penny: awards plus top-slice equal each contract's
    value.
    """
    replayed = replay(history, time_limit=time_limit)
    checks: list[Check] = []
    if len(recorded) != len(replayed):
        checks.append(
            Check(
                name="history_length",
                passed=False,
                detail=f"{len(recorded)} documents recorded, {len(replayed)} replayed",
            )
        )
    values = {c.id: c.value for c in history.problem.contracts}
    for n, (mine, theirs) in enumerate(zip(replayed, recorded, strict=False)):
        same = _key(mine) == _key(theirs)
        totals = {c.id: c.top_slice for c in theirs.contracts}
        for a in theirs.awards:
            totals[a.contract] = totals.get(a.contract, 0) + a.amount
        balanced = not theirs.awards or all(totals.get(c) == v for c, v in values.items())
        detail = "as replayed" if same else "differs from the replay"
        if not balanced:
            detail += "; awards plus top-slice do not equal the contract values"
        checks.append(Check(name=f"document {n}", passed=same and balanced, detail=detail))
    return checks
