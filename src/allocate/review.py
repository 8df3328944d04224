"""Over the life of a contract: reviews and reallocation, output trading, versions, years.

The public home of :mod:`allocate.core.review` (the inputs and output documents),
:mod:`allocate.pipeline.review` (reallocation at a review), :mod:`allocate.pipeline.trade`
(output trading), :mod:`allocate.pipeline.history` (replay and verification of a history) and
year-on-year allocation (:mod:`allocate.core.years`, :mod:`allocate.pipeline.years`).
See ``docs/concepts.md``, "Over the life of a contract".

Examples
--------
>>> import allocate
>>> from allocate.examples import example_dict
>>> problem = allocate.Problem.model_validate(example_dict())
>>> made = allocate.solve(problem)
>>> award = made.awards[0]
>>> review = ReviewInput(label="mid-term", elapsed="0.5", deliveries=[
...     Delivery(member=award.member, lot=award.lot, amount=award.amount / 2)])
>>> after = reallocate(problem, made, review)
>>> after.version.number, after.version.revises, str(after.moved)
(2, 1, '0.00')
"""

from allocate.core.review import (
    Delivery,
    History,
    Joiner,
    MemberOutcome,
    OutcomeAction,
    Reallocation,
    RemainingCapacity,
    ReviewInput,
    ReviewLimits,
    ReviewOutcome,
    ReviewPolicy,
    ReviewRow,
    ReviewStep,
    Taker,
    Trade,
    TradeDecision,
    TradeStep,
    Version,
    read_version,
    takers_frame,
)
from allocate.core.years import YearInput, YearMember, YearPlan, YearPlanInput, YearResult
from allocate.pipeline.history import Document, replay, verify_history
from allocate.pipeline.review import (
    joined_problem,
    reallocate,
    remaining_problem,
    review_limits,
    state_of,
)
from allocate.pipeline.trade import takers, trade
from allocate.pipeline.years import plan_years, year_problem

__all__ = [
    "Delivery",
    "Document",
    "History",
    "Joiner",
    "MemberOutcome",
    "OutcomeAction",
    "Reallocation",
    "RemainingCapacity",
    "ReviewInput",
    "ReviewLimits",
    "ReviewOutcome",
    "ReviewPolicy",
    "ReviewRow",
    "ReviewStep",
    "Taker",
    "Trade",
    "TradeDecision",
    "TradeStep",
    "Version",
    "YearInput",
    "YearMember",
    "YearPlan",
    "YearPlanInput",
    "YearResult",
    "joined_problem",
    "plan_years",
    "read_version",
    "reallocate",
    "remaining_problem",
    "replay",
    "review_limits",
    "state_of",
    "takers",
    "takers_frame",
    "trade",
    "verify_history",
    "year_problem",
]
