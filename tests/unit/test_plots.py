"""Plots: each draws the data it claims to, on the axes given."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from allocate import Problem, solve  # noqa: E402
from allocate.examples import demo_problem  # noqa: E402
from allocate.plots import (  # noqa: E402
    MAX_HEIGHT,
    plot_awards,
    plot_comparison,
    plot_glide_path,
    plot_lorenz,
)
from allocate.scenarios import (  # noqa: E402
    Scenario,
    compare,
    glide_path,
    scale_capacity,
    set_top_slice,
)
from allocate.synthetic import consortium  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def demo() -> Problem:
    return demo_problem()


def test_awards_bars_and_fair_share_ticks(demo: Problem) -> None:
    a = solve(demo)
    ax = plot_awards(a)
    funded = [m for m in a.audit.members if m.award > 0 or m.fair_share > 0]
    widths = sorted(round(p.get_width(), 2) for p in ax.patches)
    assert widths == sorted(float(m.award) for m in funded)
    ticks = ax.collections[0].get_offsets()
    assert sorted(round(float(x), 2) for x, _ in ticks) == sorted(
        round(float(m.fair_share), 2) for m in funded
    )
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == max(funded, key=lambda m: m.award).member  # largest at the top, by id


def test_plots_draw_on_given_axes(demo: Problem) -> None:
    _, ax = plt.subplots()
    assert plot_lorenz(solve(demo), ax=ax) is ax


def test_lorenz_runs_from_corner_to_corner_and_stays_below_equality(demo: Problem) -> None:
    ax = plot_lorenz(solve(demo))
    xs, ys = ax.lines[1].get_data()
    assert (xs[0], ys[0]) == (0.0, 0.0)
    assert xs[-1] == pytest.approx(1.0) and ys[-1] == pytest.approx(1.0)
    assert all(b >= a for a, b in itertools.pairwise(xs))
    assert all(y <= x + 1e-12 for x, y in zip(xs, ys, strict=True))


def test_glide_path_bars_stack_to_the_annual_value(demo: Problem) -> None:
    frame = glide_path(demo, "advice-2026")
    ax = plot_glide_path(frame)
    contract = next(c for c in demo.contracts if c.id == "advice-2026")
    annual = float(contract.value / contract.term_years)
    totals: dict[float, float] = {}
    for patch in ax.patches:
        x = round(patch.get_x() + patch.get_width() / 2, 6)
        totals[x] = totals.get(x, 0.0) + patch.get_height()
    assert len(totals) == contract.term_years
    assert all(t == pytest.approx(annual, abs=0.05) for t in totals.values())
    assert [t.get_text() for t in ax.texts] == [
        f"{float(r) * 100:.1f}%" for r in frame.drop_duplicates("year")["rate"]
    ]


def test_comparison_bars_are_the_changes(demo: Problem) -> None:
    frame = compare(
        demo,
        [
            Scenario("5%", [set_top_slice(rate="0.05")]),
            Scenario("youth x2", [scale_capacity("luton-youth", 2)]),
        ],
    )
    ax = plot_comparison(frame)
    changes = frame[(frame.measure == "award") & (frame.scenario != "baseline")]
    nonzero = sorted(round(float(c), 2) for c in changes["change"] if c != 0)
    drawn = sorted(round(p.get_width(), 2) for p in ax.patches if p.get_width() != 0)
    assert drawn == nonzero
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["5%", "youth x2"]
    assert sum(Decimal(0) if c is None else c for c in changes["change"]) != 0


def test_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch, demo: Problem) -> None:
    real = importlib.import_module

    def fake(name: str, *args: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(ImportError, match=r"allocate\[plot\]"):
        plot_awards(solve(demo))


# -- issue 12: one label rule, and readable at any size ----------------------------------------


def _yticks(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def test_members_are_labelled_by_id_in_every_plot(demo: Problem) -> None:
    ids = {m.id for m in demo.members}
    names = {m.name for m in demo.members} - ids
    awards = _yticks(plot_awards(solve(demo)))
    five = compare(demo, [Scenario("youth x2", [scale_capacity("luton-youth", 2)])])
    comparison = _yticks(plot_comparison(five))
    _, legend = plot_glide_path(glide_path(demo, "advice-2026")).get_legend_handles_labels()
    for labels in (awards, comparison, [label for label in legend if label != "hub"]):
        assert labels and set(labels) <= ids
        assert not set(labels) & names


@pytest.fixture(scope="module")
def county() -> Problem:
    return consortium(members=300, lots=4, seed=1)


def test_awards_of_many_members_show_the_top_and_the_others_together(county: Problem) -> None:
    a = solve(county)
    ax = plot_awards(a, top=30)
    funded = sorted(
        (m for m in a.audit.members if m.award > 0 or m.fair_share > 0),
        key=lambda m: (m.award, m.fair_share, m.member),
    )
    assert len(funded) > 31  # else nothing is gathered and the test proves nothing
    labels = _yticks(ax)
    assert len(labels) == 31 and labels[0] == f"{len(funded) - 30} others"
    assert labels[1:] == [m.member for m in funded[-30:]]
    widths = [p.get_width() for p in ax.patches]
    assert widths[0] == pytest.approx(float(sum(m.award for m in funded[:-30])))
    assert ax.figure.get_size_inches()[1] <= MAX_HEIGHT


def test_many_scenarios_and_members_stay_within_the_height_cap(county: Problem) -> None:
    scenarios = [Scenario(f"{r}%", [set_top_slice(rate=f"0.0{r}")]) for r in range(2, 9)]
    frame = compare(county, scenarios)
    ax = plot_comparison(frame, top=20)
    assert ax.figure.get_size_inches()[1] <= MAX_HEIGHT
    changed = frame[(frame.measure == "award") & (frame.change.fillna(0) != 0)]
    shown = _yticks(ax)
    assert len(shown) == 20 < changed.item.nunique()
    biggest = changed.assign(size=changed.change.abs()).groupby("item")["size"].max()
    assert set(shown) == set(biggest.sort_values(ascending=False).index[:20])
    note = [t.get_text() for t in ax.texts]
    assert note == [f"and {changed.item.nunique() - 20} others with smaller changes"]


def test_a_glide_path_of_many_members_gathers_the_rest_in_one_band(county: Problem) -> None:
    frame = glide_path(county, max_rate="0.10", target_rate="0.05")
    ax = plot_glide_path(frame, top=12)
    _, labels = ax.get_legend_handles_labels()
    members = frame[(frame.role == "member")].party.nunique()
    assert members > 12
    assert labels[0] == "hub" and labels[-1] == f"{members - 12} others" and len(labels) == 14
    years = sorted(frame.year.unique())
    totals = [0.0] * len(years)
    for patch in ax.patches:
        totals[years.index(round(patch.get_x() + patch.get_width() / 2))] += patch.get_height()
    for y, total in zip(years, totals, strict=True):
        assert total == pytest.approx(frame[frame.year == y].income.sum(), abs=0.01)


def test_top_must_be_a_whole_number(demo: Problem) -> None:
    with pytest.raises(ValueError, match=r"top must be .* not 0"):
        plot_awards(solve(demo), top=0)
