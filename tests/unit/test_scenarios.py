"""Scenarios, sweeps, comparisons and the built-in analyses."""

from __future__ import annotations

import importlib
import io
import pickle
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from allocate import Problem, check_certificate, solve
from allocate.analysis.scenarios import progress as progress_module
from allocate.analysis.scenarios import sweeps as sweeps_module
from allocate.core import families
from allocate.examples import demo_problem
from allocate.scenarios import (
    SWITCHED_OFF,
    Scenario,
    ScenarioError,
    add_member,
    compare,
    constraint_prices,
    glide_path,
    remove_member,
    scale_capacity,
    scale_contract,
    sensitivity,
    set_capacity,
    set_hub,
    set_policy,
    set_quality,
    set_top_slice,
    sweep,
    update_contract,
    update_member,
)
from tests.conftest import member


@pytest.fixture(scope="module")
def demo() -> Problem:
    return demo_problem()


def _new_member(id: str = "newcomer") -> dict[str, Any]:
    return member(id, "45000", name="Newcomer Advice", areas=["Luton"], themes=["advice"])


# -- applying changes -------------------------------------------------------------------------


def test_no_change_gives_an_equal_problem(demo: Problem) -> None:
    assert Scenario("nothing").apply(demo) == demo


def test_changes_make_a_validated_copy_and_leave_the_input_alone(demo: Problem) -> None:
    before = demo.model_dump_json()
    changed = Scenario("5%", [set_top_slice(rate="0.05")]).apply(demo)
    assert changed.top_slice.rate == Decimal("0.05")
    assert demo.top_slice.rate is None
    assert demo.model_dump_json() == before
    assert isinstance(changed, Problem) and changed != demo


def test_set_policy_and_hub(demo: Problem) -> None:
    changed = Scenario(
        "stricter", [set_policy(quality_threshold=0.8), set_hub(annual_cost="120000")]
    ).apply(demo)
    assert changed.policy.quality_threshold == 0.8
    assert changed.policy.reporting_threshold == demo.policy.reporting_threshold
    assert changed.hub.annual_cost == Decimal("120000")


def test_add_member_joins_with_capacity_and_receives_an_award(demo: Problem) -> None:
    change = add_member(_new_member(), {"advice-luton": "30000"})
    changed = Scenario("joins", [change]).apply(demo)
    assert changed.members[-1].id == "newcomer"
    assert len(changed.capacities) == len(demo.capacities) + 1
    assert solve(changed).award("newcomer") > 0
    assert solve(demo).award("luton-advice") > solve(changed).award("luton-advice")


def test_add_member_accepts_capacity_records_with_units(demo: Problem) -> None:
    newcomer = member("shed", "15000", themes=["health"], areas=["Luton"])
    change = add_member(newcomer, [{"lot": "social-prescribing-luton", "units": 40}])
    changed = Scenario("shed", [change]).apply(demo)
    assert changed.capacities[-1].units == 40
    assert changed.capacities[-1].member == "shed"


def test_remove_member_takes_its_capacities_and_exclusions(demo: Problem) -> None:
    excluded = Scenario(
        "x",
        [
            set_policy(
                exclusions=[{"member": "chiltern-mind", "lot": "advice-luton", "reason": "CoI"}]
            )
        ],
    ).apply(demo)
    changed = Scenario("leaves", [remove_member("chiltern-mind")]).apply(excluded)
    assert "chiltern-mind" not in changed.member_index
    assert all(c.member != "chiltern-mind" for c in changed.capacities)
    assert changed.policy.exclusions == ()


def test_set_quality_and_update_member(demo: Problem) -> None:
    changed = Scenario(
        "qa",
        [
            set_quality("marston-green", 0.75, qa_passed=True),
            update_member("leagrave-men", membership="full"),
        ],
    ).apply(demo)
    marston = changed.member_index["marston-green"]
    assert (marston.quality_score, marston.qa_passed) == (0.75, True)
    assert changed.member_index["leagrave-men"].membership.value == "full"


def test_scale_capacity_rounds_money_to_pence_and_units_to_whole_units(demo: Problem) -> None:
    changed = Scenario("more", [scale_capacity("beds-wellbeing", "1.333")]).apply(demo)
    for old, new in zip(demo.capacities, changed.capacities, strict=True):
        if old.member != "beds-wellbeing":
            assert old == new
        elif old.amount is not None:
            assert new.amount == (old.amount * Decimal("1.333")).quantize(Decimal("0.01"))
        else:
            assert old.units is not None and new.units is not None
            assert new.units == round(old.units * Decimal("1.333"))


def test_scale_capacity_on_one_lot_only(demo: Problem) -> None:
    changed = Scenario("one", [scale_capacity("beds-wellbeing", 2, lot="advice-luton")]).apply(demo)
    caps = {(c.member, c.lot): c for c in changed.capacities}
    old = {(c.member, c.lot): c for c in demo.capacities}
    assert (
        caps["beds-wellbeing", "advice-luton"].amount
        == 2 * old["beds-wellbeing", "advice-luton"].amount
    )  # type: ignore[operator]
    assert caps["beds-wellbeing", "advice-bedford"] == old["beds-wellbeing", "advice-bedford"]


def test_set_capacity_replaces_or_declares(demo: Problem) -> None:
    changed = Scenario(
        "caps",
        [
            set_capacity("luton-youth", "advice-luton", "1000"),
            set_capacity("harpur-arts", "advice-bedford", 500),
        ],
    ).apply(demo)
    caps = {(c.member, c.lot): c for c in changed.capacities}
    assert caps["luton-youth", "advice-luton"].amount == Decimal("1000")
    assert caps["harpur-arts", "advice-bedford"].amount == Decimal("500")
    assert len(changed.capacities) == len(demo.capacities) + 1


def test_scale_contract_keeps_the_contract_consistent(demo: Problem) -> None:
    changed = Scenario("grows", [scale_contract("wellbeing-2026", "1.1")]).apply(demo)
    old = next(c for c in demo.contracts if c.id == "wellbeing-2026")
    new = next(c for c in changed.contracts if c.id == "wellbeing-2026")
    assert new.value == sum(lot.value for lot in new.lots)
    for a, b in zip(old.lots, new.lots, strict=True):
        if a.unit_price is not None:
            assert b.value % a.unit_price == 0  # whole units
            assert b.units == round(a.units * Decimal("1.1"))  # type: ignore[operator]
        else:
            assert b.value == a.value * Decimal("1.1")


def test_update_contract_year(demo: Problem) -> None:
    changed = Scenario("y2", [update_contract("advice-2026", year=2)]).apply(demo)
    assert next(c for c in changed.contracts if c.id == "advice-2026").year == 2


# -- errors name the scenario, the change and the value ---------------------------------------


@pytest.mark.parametrize(
    ("change", "needle", "value"),
    [
        (remove_member("nobody"), "unknown member", "nobody"),
        (scale_capacity("luton-advice", -1), "factor", -1),
        (scale_capacity("luton-advice", "abc"), "factor", "abc"),
        (scale_contract("advice-2026", 0), "factor", 0),
        (set_quality("luton-advice", 1.5), "quality_score", 1.5),
        (set_top_slice(rate="0.2"), "above the maximum rate", "0.2"),
        (set_policy(colour="red"), "no field 'colour'", "colour"),
        (update_contract("advice-2026", year=9), "beyond the term", 9),
        (add_member(_new_member("luton-advice")), "already exists", "luton-advice"),
        (set_capacity("luton-advice", "no-such-lot", "5"), "unknown lot", "no-such-lot"),
    ],
)
def test_invalid_changes_raise_errors_naming_scenario_change_and_value(
    demo: Problem, change: Any, needle: str, value: Any
) -> None:
    scenario = Scenario("my what-if", [set_policy(quality_threshold=0.6), change])
    with pytest.raises(ScenarioError) as info:
        scenario.apply(demo)
    err = info.value
    assert err.scenario == "my what-if"
    assert err.position == 2
    assert err.change == str(change)
    assert needle in str(err)
    assert "'my what-if'" in str(err) and str(change) in str(err)
    assert err.value == value or repr(value) in str(err)


def test_a_scenario_needs_a_name_and_real_changes() -> None:
    with pytest.raises(ScenarioError, match="non-empty name"):
        Scenario("  ")
    with pytest.raises(ScenarioError, match="not a change"):
        Scenario("bad", [{"rate": "0.05"}])  # type: ignore[list-item]


def test_scenarios_and_errors_pickle(demo: Problem) -> None:
    scenario = Scenario(
        "many",
        [
            add_member(_new_member(), {"advice-luton": "100"}),
            set_policy(
                exclusions=[{"member": "luton-youth", "lot": "advice-luton", "reason": "x"}]
            ),
            scale_capacity("luton-advice", 1.1),
        ],
    )
    again = pickle.loads(pickle.dumps(scenario))
    assert again == scenario and hash(again) == hash(scenario)
    assert again.apply(demo) == scenario.apply(demo)
    err = ScenarioError("s", 2, "remove_member('x')", "unknown member", "x")
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and back.value == "x"


# -- sweeps -----------------------------------------------------------------------------------


def _scenarios(problem: Problem, n: int) -> list[Scenario]:
    ids = [m.id for m in problem.members]
    return [
        Scenario(
            f"s{i}",
            [
                scale_capacity(ids[i % len(ids)], Decimal(80 + (7 * i) % 50) / 100),
                set_top_slice(rate=Decimal(5 + i % 6) / 100),
            ],
        )
        for i in range(n)
    ]


def test_sweep_keeps_the_order_and_matches_solving_one_by_one(demo: Problem) -> None:
    scenarios = _scenarios(demo, 6)
    results = sweep(demo, scenarios)
    assert [r.scenario for r in results] == [s.name for s in scenarios]
    for s, r in zip(scenarios, results, strict=True):
        direct = solve(s.apply(demo))
        assert r.status == direct.status.value
        assert r.fingerprint == direct.audit.fingerprint
        assert r.awards == {m.member: m.award for m in direct.audit.members}
        assert r.metrics["top_slice"] == direct.top_slice


def test_sweep_results_are_identical_on_a_thread_pool(demo: Problem) -> None:
    scenarios = _scenarios(demo, 24)
    local = sweep(demo, scenarios)
    with ThreadPoolExecutor(max_workers=3) as pool:
        threaded = sweep(demo, scenarios, pool, chunksize=5)
    assert threaded == local


def test_sweep_records_or_raises_invalid_scenarios(demo: Problem) -> None:
    scenarios = [Scenario("fine"), Scenario("broken", [remove_member("ghost")])]
    recorded = sweep(demo, scenarios, errors="record")
    assert [r.status for r in recorded] == ["optimal", "invalid"]
    assert recorded[1].error is not None and "ghost" in recorded[1].error
    with pytest.raises(ScenarioError, match="'broken'"):
        sweep(demo, scenarios)
    with ThreadPoolExecutor(max_workers=2) as pool, pytest.raises(ScenarioError, match="ghost"):
        sweep(demo, scenarios, pool, chunksize=1)


def test_sweep_reports_progress(demo: Problem, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[int, int]] = []
    sweep(demo, _scenarios(demo, 3), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    sweep(demo, _scenarios(demo, 3), progress=True)
    assert "3/3" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_without_tqdm_is_silent_by_default_and_an_error_on_request(
    demo: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def no_tqdm(name: str, *args: Any) -> Any:
        if name.split(".")[0] == "tqdm":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_tqdm)
    with pytest.raises(ImportError, match=r"allocate\[progress\]"):
        sweep(demo, _scenarios(demo, 2), progress=True)
    # a sweep long enough for a bar by default, on a terminal: it runs without one
    monkeypatch.setattr(progress_module, "AUTO_PROGRESS_MIN", 2)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert len(sweep(demo, _scenarios(demo, 2))) == 2
    assert sys.stderr.getvalue() == ""


def test_sweep_keeps_allocations_on_request(demo: Problem) -> None:
    (kept,) = sweep(demo, [Scenario("b")], keep_allocations=True)
    (lean,) = sweep(demo, [Scenario("b")])
    assert kept.allocation is not None and kept.allocation.status.is_ok
    assert lean.allocation is None


def test_sweep_certifies_only_what_it_keeps(demo: Problem, monkeypatch: pytest.MonkeyPatch) -> None:
    # a kept allocation carries its certificate, which verifies; asking for none is honoured
    (kept,) = sweep(demo, [Scenario("b")], keep_allocations=True)
    assert kept.allocation is not None and kept.allocation.certificate is not None
    assert check_certificate(demo, kept.allocation).ok
    (bare,) = sweep(
        demo, [Scenario("b")], keep_allocations=True, solve_options={"certificate": False}
    )
    assert bare.allocation is not None and bare.allocation.certificate is None
    # a summary never reads the certificate: a lean sweep asks solve for none
    asked: list[dict[str, Any]] = []

    def recording(problem: Problem, **options: Any) -> Any:
        asked.append(options)
        return solve(problem, **options)

    monkeypatch.setattr(sweeps_module, "solve", recording)
    (lean,) = sweep(demo, [Scenario("b")])
    assert [o["certificate"] for o in asked] == [False]
    assert lean.awards == kept.awards


def test_sweep_rejects_what_is_not_a_scenario(demo: Problem) -> None:
    with pytest.raises(TypeError, match=r"scenarios\[0\]"):
        sweep(demo, ["baseline"])  # type: ignore[list-item]


# -- compare ----------------------------------------------------------------------------------


def test_compare_is_tidy_with_exact_differences(demo: Problem) -> None:
    frame = compare(demo, [Scenario("5%", [set_top_slice(rate="0.05")])], money="decimal")
    assert list(frame.columns) == [
        "scenario",
        "status",
        "measure",
        "item",
        "value",
        "baseline",
        "change",
    ]
    base = frame[frame.scenario == "baseline"]
    assert (base["change"] == 0).all()
    five = frame[frame.scenario == "5%"].set_index(["measure", "item"])
    total_value = sum(c.value for c in demo.contracts)
    assert five.loc[("total", "top_slice"), "value"] == total_value * Decimal("0.05")
    assert five.loc[("total", "top_slice"), "change"] == -total_value * Decimal("0.05")
    assert five.loc[("total", "awards"), "change"] == total_value * Decimal("0.05")
    # each member's change adds up to what the hub gave up
    awards = five.loc["award"]
    assert sum(awards["change"]) == total_value * Decimal("0.05")
    assert all(c >= 0 for c in awards["change"])


def test_compare_counts_a_new_member_from_zero(demo: Problem) -> None:
    joins = Scenario("joins", [add_member(_new_member(), {"advice-luton": "30000"})])
    frame = compare(demo, [joins]).set_index(["scenario", "measure", "item"])
    row = frame.loc[("joins", "award", "newcomer")]
    assert row["baseline"] == 0 and row["change"] == row["value"] > 0
    assert frame.loc[("baseline", "award", "newcomer"), "value"] == 0


def test_compare_leaves_values_of_an_infeasible_scenario_missing(demo: Problem) -> None:
    frame = compare(demo, [Scenario("too big", [scale_contract("advice-2026", 3)])])
    bad = frame[frame.scenario == "too big"]
    assert set(bad.status) == {"infeasible"}
    assert bad[bad.measure == "award"]["value"].isna().all()
    assert bad["change"][bad.measure == "award"].isna().all()


def test_compare_against_a_named_baseline_and_unique_names(demo: Problem) -> None:
    a = Scenario("a", [set_top_slice(rate="0.08")])
    b = Scenario("b", [set_top_slice(rate="0.06")])
    frame = compare(demo, [a, b], baseline="a", money="decimal").set_index(
        ["scenario", "measure", "item"]
    )
    assert frame.loc[("b", "total", "top_slice"), "change"] == sum(
        c.value for c in demo.contracts
    ) * Decimal("-0.02")
    with pytest.raises(ValueError, match="unique"):
        compare(demo, [a, a])
    with pytest.raises(ValueError, match="baseline"):
        compare(demo, [a], baseline="zzz")


# -- analyses ---------------------------------------------------------------------------------


def test_glide_path_runs_from_max_to_target_and_shares_each_year(demo: Problem) -> None:
    frame = glide_path(demo, "advice-2026", max_rate="0.10", target_rate="0.05", money="decimal")
    contract = next(c for c in demo.contracts if c.id == "advice-2026")
    years = sorted(frame.year.unique())
    assert years == list(range(1, contract.term_years + 1))
    rates = frame.drop_duplicates("year").set_index("year")["rate"]
    assert rates[1] == Decimal("0.1") and rates[years[-1]] == Decimal("0.05")
    assert all(rates[y] > rates[y + 1] for y in years[:-1])
    annual = contract.value / contract.term_years
    for y in years:
        incomes = frame[frame.year == y]["income"]
        assert abs(sum(incomes) - annual) <= Decimal("0.01") * len(incomes)  # pence rounding
    members = frame[(frame.role == "member") & (frame.year == years[-1])]
    assert (members["change"] > 0).all()
    hub = frame[frame.party == "hub"].set_index("year")
    assert hub.loc[years[-1], "change"] == -(annual * Decimal("0.05")).quantize(Decimal("0.01"))


def test_glide_path_picks_the_longest_contract_and_rejects_unknown(demo: Problem) -> None:
    longest = max(demo.contracts, key=lambda c: c.term_years)
    assert glide_path(demo).year.max() == longest.term_years
    with pytest.raises(ValueError, match="unknown contract"):
        glide_path(demo, "nope")


def test_sensitivity_to_capacity_and_quality(demo: Problem) -> None:
    frame = sensitivity(
        demo,
        ["luton-youth", "beds-wellbeing"],
        capacity_factors=["0.9", "1.1"],
        quality_deltas=[-0.05, 0.05],
        money="decimal",
    )
    cap = frame[frame.parameter == "capacity"]
    # more capacity, more award; less, less — but less than proportionally (others share too)
    assert (cap.status == "optimal").sum() >= 3
    for _, row in cap.iterrows():
        if row["status"] != "optimal":  # less capacity can leave a lot short
            assert row["award"] is None and row["elasticity"] is None
            continue
        assert (row["change"] > 0) == (row["step"] == "1.1")
        assert Decimal(0) < row["elasticity"] < Decimal(1)
    quality = frame[(frame.parameter == "quality_score") & (frame.member == "luton-youth")]
    below = quality[quality.step == -0.05].iloc[0]
    threshold = demo.policy.quality_threshold
    assert float(below["value"]) < threshold <= demo.member_index["luton-youth"].quality_score
    assert below["award"] == 0 and below["change"] == -below["award_base"]
    above = quality[quality.step == 0.05].iloc[0]
    assert above["change"] == 0  # the proportional rule does not weight by quality


def test_constraint_prices_measure_what_each_constraint_moves(demo: Problem) -> None:
    ringfenced = Scenario("rf", [set_policy(small_org_share="0.05")]).apply(demo)
    prices = constraint_prices(ringfenced).set_index("constraint")
    assert list(prices.index) == ["small_org_share", "all"]
    row = prices.loc["small_org_share"]
    assert row["status_on"] == row["status_off"] == "optimal"
    assert row["price"] > 100 and row["moved_on"] > row["moved_off"]
    assert row["min_ratio_on"] < row["min_ratio_off"] or row["max_ratio_on"] > row["max_ratio_off"]
    assert row["members_affected"] >= 2
    by_member = constraint_prices(ringfenced, by_member=True, money="decimal")
    moved = by_member[by_member.constraint == "small_org_share"]
    assert sum(moved["change"]) == 0  # money moves between members; the pot is the same
    small = {m.id for m in demo.members if m.size_band.value in ("micro", "small")}
    gains = moved[moved["change"] > 0]
    assert set(gains.member) <= small and not gains.empty


def _every_family_on(problem: Problem) -> Problem:
    # the reserves condition needs every member's reserves: ten times income is loose enough
    data = problem.model_dump(mode="json")
    for m in data["members"]:
        m["reserves"] = str(Decimal(m["annual_income"]) * 10)
    problem = Problem.model_validate(data)
    loose = set_policy(
        max_reserves_share="1",
        min_award="100",
        max_member_share="0.9",
        max_dependency="50",
        small_org_share="0.01",
        case_mix_tolerance="0.5",
        min_providers_per_area=1,
        exclusions=[{"member": "luton-youth", "contract": "advice-2026", "reason": "conflict"}],
    )
    return Scenario("every family on", [loose]).apply(problem)


def test_switched_off_switches_every_family_of_the_policy_off(demo: Problem) -> None:
    every = _every_family_on(demo)
    settings = [f for f in families.FAMILIES if f.setting is not None]
    assert all(f.is_on(every.policy) for f in settings)
    assert set(SWITCHED_OFF) == {f.setting for f in settings}
    off = Scenario("all off", [set_policy(**SWITCHED_OFF)]).apply(every)
    assert not any(f.is_on(off.policy) for f in settings)
    assert off.policy.side_constraints == () and off.policy.exclusions == ()


def test_constraint_prices_lists_the_families_on_in_the_registry_order(demo: Problem) -> None:
    every = _every_family_on(demo)
    prices = constraint_prices(every)
    # the policy's own list of its side-constraints, then the exclusions, then all together
    assert list(prices.constraint) == [*every.policy.side_constraints, "exclusions", "all"]
    without = Scenario("no ring-fence", [set_policy(small_org_share=None)]).apply(every)
    assert "small_org_share" not in list(constraint_prices(without).constraint)


def test_constraint_prices_with_no_constraint_is_empty(demo: Problem) -> None:
    assert constraint_prices(demo).empty
    assert list(constraint_prices(demo, by_member=True).columns) == [
        "constraint",
        "member",
        "award_on",
        "award_off",
        "change",
    ]


# -- the public module ------------------------------------------------------------------------


def test_the_public_module_reaches_the_package_names() -> None:
    import allocate.analysis.scenarios as package
    import allocate.scenarios as public

    assert public.__all__ == package.__all__ and public.__doc__ == package.__doc__
    tables = ["COMPARE_COLUMNS", "PRICE_COLUMNS", "MEMBER_PRICE_COLUMNS", "METRICS", "SWITCHED_OFF"]
    for name in [*package.__all__, *tables, "SWEEP_SOLVE_DEFAULTS", "AUTO_PROGRESS_MIN"]:
        assert getattr(public, name) is getattr(package, name), name


def test_the_progress_bar_is_tqdm_auto(demo: Problem) -> None:
    auto = pytest.importorskip("tqdm.auto")
    std = pytest.importorskip("tqdm.std")
    assert auto.tqdm is not std.tqdm  # else the check below could not fail
    reporter = progress_module.Reporter(True, 3)
    try:
        # tqdm.auto's class (a notebook widget under Jupyter, text elsewhere), not tqdm.std's
        assert isinstance(reporter.bar, auto.tqdm)
    finally:
        reporter.close()


class _Kernel:
    kernel = object()


def test_a_bar_shows_by_default_in_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress_module, "AUTO_PROGRESS_MIN", 2)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a notebook's stderr is no terminal
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert progress_module.Reporter(None, 2).bar is None
    fake = type(sys)("IPython")
    fake.get_ipython = _Kernel  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    reporter = progress_module.Reporter(None, 2)
    assert reporter.bar is not None
    reporter.close()
    assert progress_module.Reporter(None, 1).bar is None  # short sweeps stay quiet
