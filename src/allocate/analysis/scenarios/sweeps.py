"""Sweeps: many scenarios of one problem, solved here or on any executor, results in order."""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from allocate.analysis.scenarios.errors import ScenarioError
from allocate.analysis.scenarios.life_results import (
    ReviewResult,
    YearsResult,
    invalid_review,
    invalid_years,
    summarise_review,
    summarise_years,
)
from allocate.analysis.scenarios.progress import Progress, Reporter
from allocate.analysis.scenarios.results import ScenarioResult, SweepResults, summarise
from allocate.analysis.scenarios.scenario import Scenario
from allocate.core.model import Problem
from allocate.core.outcome import Allocation
from allocate.core.review import Reallocation, ReviewInput, TradeDecision, check_review
from allocate.core.years import YearPlanInput, check_years
from allocate.pipeline.review import reallocate, state_of
from allocate.pipeline.solve import solve
from allocate.pipeline.years import plan_years

#: One scenario's record: of an allocation, a reallocation after a review, or a year plan.
Result = ScenarioResult | ReviewResult | YearsResult
Version = Allocation | Reallocation | TradeDecision

__all__ = ["CHUNK_MOST", "SWEEP_SOLVE_DEFAULTS", "TASKS_PER_CORE", "HasExecutor", "sweep"]

#: What :func:`sweep` passes to :func:`allocate.solve` unless ``solve_options`` says otherwise
#: (and ``certificate=keep_allocations``: a summary never reads the certificate).
SWEEP_SOLVE_DEFAULTS: dict[str, Any] = {"diagnose": False, "price_constraints": False}
#: Tasks per core a sweep on an executor aims for, by default.
TASKS_PER_CORE = 16
#: The most scenarios in one task, by default.
CHUNK_MOST = 16


@runtime_checkable
class HasExecutor(Protocol):
    """Something that hands out an executor: a Dask ``distributed.Client`` is one."""

    def get_executor(self) -> cf.Executor:
        """A :class:`concurrent.futures.Executor` that runs tasks where this object says."""
        ...


def executor_of(executor: object) -> cf.Executor | None:
    """The executor to run a sweep on: ``executor`` itself, or the one a Dask client gives.

    A ``distributed.Client`` is not a :class:`concurrent.futures.Executor` (its futures are
    not the standard library's, so waiting on them fails deep inside ``as_completed``); its
    ``get_executor()`` is one.  Anything else raises a ``TypeError`` naming its type.
    """
    if executor is None or isinstance(executor, cf.Executor):
        return executor
    if isinstance(executor, HasExecutor):
        inner = executor.get_executor()
        if isinstance(inner, cf.Executor):
            return inner
    raise TypeError(
        f"executor must be a concurrent.futures.Executor or a Dask Client, "
        f"not {type(executor).__name__}"
    )


@dataclass(frozen=True, slots=True)
class _Work:
    """What every scenario of a sweep changes and how it is solved: shipped once per chunk."""

    problem: Problem
    solve_options: Mapping[str, Any]
    keep_allocations: bool
    version: Version | None = None
    """The version reviewed, in a sweep of reviews."""
    review: ReviewInput | None = None
    """The review every scenario changes, in a sweep of reviews."""
    years: YearPlanInput | None = None
    """The year plan every scenario changes, in a sweep of year plans."""


def _run_one(work: _Work, scenario: Scenario) -> Result:
    if work.review is not None:
        return _run_review(work, scenario)
    if work.years is not None:
        return _run_years(work, scenario)
    t0 = time.perf_counter()
    try:
        changed = scenario.apply(work.problem)
    except ScenarioError as exc:
        return ScenarioResult(
            scenario=scenario.name,
            status="invalid",
            error=str(exc),
            exception=exc,
            seconds=time.perf_counter() - t0,
        )
    allocation = solve(changed, **work.solve_options)
    keep = work.keep_allocations
    return summarise(scenario.name, allocation, keep, time.perf_counter() - t0)


def _run_review(work: _Work, scenario: Scenario) -> ReviewResult:
    """One review scenario: the changes made, then the version reallocated by the review."""
    t0 = time.perf_counter()
    assert work.review is not None
    assert work.version is not None
    try:
        problem, review = scenario.apply_review(work.problem, work.review, work.version)
    except ScenarioError as exc:
        return invalid_review(scenario.name, exc, time.perf_counter() - t0)
    limit = work.solve_options.get("time_limit")
    doc = reallocate(problem, work.version, review, time_limit=limit)
    return summarise_review(scenario.name, doc, work.keep_allocations, time.perf_counter() - t0)


def _run_years(work: _Work, scenario: Scenario) -> YearsResult:
    """One year-plan scenario: the changes made, then the contract allocated year by year."""
    t0 = time.perf_counter()
    assert work.years is not None
    try:
        problem, years = scenario.apply_years(work.problem, work.years)
    except ScenarioError as exc:
        return invalid_years(scenario.name, exc, time.perf_counter() - t0)
    plan = plan_years(problem, years, time_limit=work.solve_options.get("time_limit"))
    return summarise_years(scenario.name, plan, work.keep_allocations, time.perf_counter() - t0)


def _run_chunk(work: _Work, scenarios: Sequence[Scenario]) -> list[Result]:
    """Worker entry point: one task per chunk, so the problem is shipped once per chunk."""
    return [_run_one(work, s) for s in scenarios]


def _chunks(items: Sequence[Scenario], size: int) -> Iterator[list[Scenario]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def sweep(
    problem: Problem,
    scenarios: Iterable[Scenario],
    executor: cf.Executor | HasExecutor | None = None,
    *,
    chunksize: int | None = None,
    progress: Progress = None,
    errors: Literal["raise", "record"] = "raise",
    keep_allocations: bool = False,
    solve_options: Mapping[str, Any] | None = None,
    version: Version | None = None,
    review: ReviewInput | None = None,
    years: YearPlanInput | None = None,
) -> SweepResults:
    """Solve many scenarios of one problem; results in the order of ``scenarios``.

    Over the life of a contract, the same sweep explores reviews and year plans: with
    ``version`` and ``review``, each scenario reallocates the version by its changed review
    (:func:`allocate.review.reallocate`); with ``years``, each allocates the contract year by
    year under its changed plan (:func:`allocate.review.plan_years`).  Their scenarios may
    change the problem as well (a capacity, the rule, a glide path with ``set_top_slice``).

    Parameters
    ----------
    problem
        The problem every scenario changes.
    scenarios
        The scenarios (names need not be unique here; :func:`compare` requires it).
    executor
        ``None`` runs them one after another in this process.  Any
        :class:`concurrent.futures.Executor` runs them in chunks as its tasks: a
        ``ProcessPoolExecutor`` for the cores of one machine, or a Dask cluster when one
        machine is not enough: a ``distributed.Client`` itself (its ``get_executor()`` is
        used) or that executor.  Each
        scenario is solved the same deterministic way wherever it runs, so the results are
        identical whichever executor ran them.
    chunksize
        Scenarios per task (executors only); by default about :data:`TASKS_PER_CORE` tasks per
        core, at most :data:`CHUNK_MOST` scenarios each.
    progress
        ``True`` for a progress bar (``tqdm.auto``: a widget in Jupyter, text in a terminal;
        ``pip install 'allocate[progress]'``), ``False`` for none, a callable
        ``f(done, total)`` to report elsewhere; ``None`` (default) shows a bar for sweeps of
        200 scenarios or more when tqdm is installed and the sweep runs in a notebook or
        stderr is a terminal.
    errors
        ``"raise"`` (default): an invalid scenario raises its :class:`ScenarioError`.
        ``"record"``: it comes back with status ``invalid`` and the error in words.
    keep_allocations
        Keep every scenario's whole :class:`~allocate.Allocation` (memory: one full audit each),
        or its reallocation or year plan (``document``).
    solve_options
        Keyword arguments for :func:`allocate.solve` (``method``, ``time_limit`` ...).  Sweeps
        default to ``diagnose=False`` and ``price_constraints=False``: the extra solves that
        explain an infeasible problem or price its constraints are rarely wanted thousands of
        times (ask for them here, or use :func:`constraint_prices`); and to
        ``certificate=keep_allocations``, as a scenario's summary never reads its certificate.
        Sweeps of reviews and year plans take ``time_limit`` only.
    version, review
        A sweep of reviews: the version reviewed (an allocation, a reallocation or an approved
        trade's decision) and the review every scenario changes (review changes:
        :func:`set_review_policy`, :func:`set_outcome`, :func:`set_delivery`,
        :func:`scale_deliveries`, :func:`set_review`).
    years
        A sweep of year plans: the plan every scenario changes (year changes:
        :func:`set_stability`, :func:`set_year`).

    Returns
    -------
    SweepResults
        A list of :class:`ScenarioResult` (a :class:`ReviewResult` or :class:`YearsResult`
        over a contract's life), one per scenario, in order; ``.to_frame()`` makes it one tidy
        DataFrame.

    Examples
    --------
    >>> from allocate.examples import demo_problem
    >>> from allocate.scenarios import Scenario, set_top_slice
    >>> results = sweep(demo_problem(), [Scenario(f"{r}%", [set_top_slice(rate=f"0.0{r}")])
    ...                                  for r in (5, 7, 9)])
    >>> [(r.scenario, str(r.metrics["top_slice"])) for r in results]
    [('5%', '61000.00'), ('7%', '85400.00'), ('9%', '109800.00')]
    """
    items = _checked_scenarios(problem, scenarios, errors)
    pool = executor_of(executor)
    if review is None and years is None and version is None:
        options = {
            **SWEEP_SOLVE_DEFAULTS,
            "certificate": keep_allocations,
            **(solve_options or {}),
        }
    else:
        options = _life_options(problem, version, review, years, solve_options)
    work = _Work(problem, options, keep_allocations, version, review, years)
    reporter = Reporter(progress, len(items))
    try:
        if pool is None:
            return SweepResults(_sweep_here(work, items, errors, reporter))
        return SweepResults(_sweep_on(pool, work, items, chunksize, errors, reporter))
    finally:
        reporter.close()


def _life_options(
    problem: Problem,
    version: Version | None,
    review: ReviewInput | None,
    years: YearPlanInput | None,
    solve_options: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The options of a sweep of reviews or year plans, once its inputs are known to fit."""
    if years is not None and (review is not None or version is not None):
        raise ValueError("sweep() takes either years= or version= and review=, not both")
    if years is not None:
        if not isinstance(years, YearPlanInput):
            raise TypeError(f"years must be a YearPlanInput, not {type(years).__name__}")
        check_years(problem, years)
    else:
        if review is None or version is None:
            missing = "review=" if review is None else "version="
            raise ValueError(f"a sweep of reviews needs version= and review=: {missing} missing")
        if not isinstance(review, ReviewInput):
            raise TypeError(f"review must be a ReviewInput, not {type(review).__name__}")
        if not isinstance(version, Allocation | Reallocation | TradeDecision):
            raise TypeError(
                "version must be an Allocation, a Reallocation or a TradeDecision, "
                f"not {type(version).__name__}"
            )
        state = state_of(problem, version)
        check_review(problem, state.awards, review, state.left)
    extra = sorted(set(solve_options or {}) - {"time_limit"})
    if extra:
        raise ValueError(f"sweeps of reviews and year plans take time_limit only, not {extra}")
    return dict(solve_options or {})


def _checked_scenarios(
    problem: Problem, scenarios: Iterable[Scenario], errors: str
) -> list[Scenario]:
    """The scenarios as a list, once the arguments of :func:`sweep` are known to be sound."""
    if not isinstance(problem, Problem):
        raise TypeError(f"sweep() takes a Problem, not {type(problem).__name__}")
    if errors not in ("raise", "record"):
        raise ValueError(f"errors must be 'raise' or 'record', not {errors!r}")
    items = list(scenarios)
    for k, s in enumerate(items):
        if not isinstance(s, Scenario):
            raise TypeError(f"scenarios[{k}] is a {type(s).__name__}, not a Scenario")
    return items


def _sweep_here(
    work: _Work, items: Sequence[Scenario], errors: str, reporter: Reporter
) -> list[Result]:
    """The scenarios one after another in this process."""
    results: list[Result] = []
    for s in items:
        result = _run_one(work, s)
        _check(result, errors)
        results.append(result)
        reporter.advance(1)
    return results


def _sweep_on(
    executor: cf.Executor,
    work: _Work,
    items: Sequence[Scenario],
    chunksize: int | None,
    errors: str,
    reporter: Reporter,
) -> list[Result]:
    """The scenarios in chunks as the executor's tasks, put back in order as they finish."""
    if chunksize is None:
        # many small tasks: the workers finish within a small chunk of each other (the pool
        # idles for half a chunk at the end on average), and shipping the problem once per
        # chunk costs milliseconds beside seconds of solving
        chunksize = max(
            1, min(CHUNK_MOST, math.ceil(len(items) / (TASKS_PER_CORE * (os.cpu_count() or 1))))
        )
    if chunksize < 1:
        raise ValueError(f"chunksize must be at least 1, not {chunksize}")
    chunks = list(_chunks(items, chunksize))
    futures = {executor.submit(_run_chunk, work, chunk): k for k, chunk in enumerate(chunks)}
    done: dict[int, list[Result]] = {}
    try:
        for future in cf.as_completed(futures):
            chunk_results = future.result()
            for result in chunk_results:
                _check(result, errors)
            done[futures[future]] = chunk_results
            reporter.advance(len(chunk_results))
    except BaseException:  # a failed chunk or an interrupt: drop the work not yet started
        for future in futures:
            future.cancel()
        raise
    return [r for k in range(len(chunks)) for r in done[k]]


def _check(result: Result, errors: str) -> None:
    if errors == "raise" and result.status == "invalid":
        if result.exception is not None:
            raise result.exception
        raise ScenarioError(result.scenario, 0, "", result.error or "invalid")  # pragma: no cover
