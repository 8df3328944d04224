"""A sweep gives identical results locally, on a thread pool and on a local Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from allocate import Problem
from allocate.examples import demo_problem
from allocate.scenarios import (
    Scenario,
    ScenarioError,
    compare,
    remove_member,
    scale_capacity,
    scale_contract,
    set_policy,
    set_quality,
    set_top_slice,
    sweep,
)

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    cluster = distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as c:
        yield c


def _scenarios(problem: Problem, n: int) -> list[Scenario]:
    """A mix of what-ifs, including some that leave a lot short (infeasible)."""
    ids = [m.id for m in problem.members]
    out = []
    for i in range(n):
        m = ids[i % len(ids)]
        changes = [
            scale_capacity(m, Decimal(60 + (13 * i) % 90) / 100),
            set_top_slice(rate=Decimal(50 + (7 * i) % 51) / 1000),
        ]
        if i % 5 == 0:
            changes.append(set_quality(m, round(0.6 + (i % 4) / 10, 2)))
        if i % 7 == 0:
            changes.append(scale_contract("volunteering-2026", Decimal(90 + i % 30) / 100))
        if i % 11 == 0:
            changes.append(set_policy(small_org_share="0.04"))
        out.append(Scenario(f"what-if {i}", changes))
    return out


def test_sweep_is_identical_whichever_executor_runs_it(client: distributed.Client) -> None:
    problem = demo_problem()
    scenarios = _scenarios(problem, 60)
    local = sweep(problem, scenarios)
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = sweep(problem, scenarios, pool)
    dask = sweep(problem, scenarios, client.get_executor(), chunksize=7)
    assert threaded == local
    assert dask == local
    statuses = {r.status for r in local}
    assert "optimal" in statuses and len(local) == 60
    # the results are not all the same: the scenarios really differ
    assert len({r.fingerprint for r in local}) == 60
    assert len({r.awards["luton-advice"] for r in local if r.ok}) > 10


def test_compare_on_dask_equals_compare_locally(client: distributed.Client) -> None:
    problem = demo_problem()
    scenarios = _scenarios(problem, 12)
    here = compare(problem, scenarios)
    there = compare(problem, scenarios, executor=client.get_executor())
    assert there.equals(here)


def test_an_invalid_scenario_raises_through_dask(client: distributed.Client) -> None:
    problem = demo_problem()
    scenarios = [*_scenarios(problem, 4), Scenario("ghost leaves", [remove_member("ghost")])]
    with pytest.raises(ScenarioError, match="'ghost leaves'"):
        sweep(problem, scenarios, client.get_executor(), chunksize=2)
    recorded = sweep(problem, scenarios, client.get_executor(), errors="record")
    assert recorded[-1].status == "invalid"
    assert recorded[:-1] == sweep(problem, scenarios[:-1])


def test_a_dask_client_itself_is_accepted_as_the_executor(client: distributed.Client) -> None:
    # issue 12: passing the Client (not client.get_executor()) failed deep in as_completed
    problem = demo_problem()
    scenarios = _scenarios(problem, 12)
    on_client = sweep(problem, scenarios, client, chunksize=3)
    assert on_client == sweep(problem, scenarios)
    assert compare(problem, scenarios[:3], executor=client).equals(compare(problem, scenarios[:3]))


def test_something_that_is_neither_an_executor_nor_a_client_is_refused() -> None:
    with pytest.raises(TypeError, match="not str"):
        sweep(demo_problem(), [Scenario("x")], "tcp://scheduler:8786")  # type: ignore[arg-type]
