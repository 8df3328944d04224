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
from allocate.plots import plot_awards, plot_comparison, plot_glide_path, plot_lorenz  # noqa: E402
from allocate.scenarios import (  # noqa: E402
    Scenario,
    compare,
    glide_path,
    scale_capacity,
    set_top_slice,
)


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
    assert labels[-1] == max(funded, key=lambda m: m.award).name  # largest at the top


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
