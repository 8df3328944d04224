"""The stylesheets are package data, read once and inlined into every HTML view."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

import allocate.report
from allocate import Problem, solve
from allocate.core.outcome import Allocation
from allocate.display import allocation_html, audit_html, html_report, problem_html
from allocate.examples import demo_problem
from allocate.report import styles

STATIC = Path(allocate.report.__file__).parent / "static"


@pytest.fixture(scope="module")
def demo() -> Problem:
    return demo_problem()


@pytest.fixture(scope="module")
def allocation(demo: Problem) -> Allocation:
    return solve(demo)


def _style_elements(html: str) -> list[str]:
    return re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)


@pytest.mark.parametrize("name", [styles.REPORT_CSS, styles.NOTEBOOK_CSS])
def test_stylesheet_is_the_file_in_the_package(name: str) -> None:
    on_disk = (STATIC / name).read_text(encoding="utf-8")
    assert on_disk.strip()
    assert styles.stylesheet(name) == on_disk
    resource = files("allocate.report").joinpath("static", name)
    assert resource.is_file()


def test_every_stylesheet_in_static_is_one_the_views_use() -> None:
    assert sorted(p.name for p in STATIC.glob("*.css")) == sorted(
        [styles.REPORT_CSS, styles.NOTEBOOK_CSS]
    )


def test_stylesheet_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    styles.stylesheet.cache_clear()
    reads: list[str] = []

    def counting_files(package: str) -> object:
        reads.append(package)
        return files(package)

    monkeypatch.setattr(styles, "files", counting_files)
    first = styles.stylesheet(styles.NOTEBOOK_CSS)
    second = styles.stylesheet(styles.NOTEBOOK_CSS)
    assert first is second and reads == ["allocate.report"]


def test_page_inlines_the_report_stylesheet(allocation: Allocation) -> None:
    (css,) = _style_elements(html_report(allocation))
    assert css == "\n" + styles.stylesheet(styles.REPORT_CSS)


def test_notebook_views_inline_the_notebook_stylesheet(
    demo: Problem, allocation: Allocation
) -> None:
    expected = "\n" + styles.stylesheet(styles.NOTEBOOK_CSS)
    for html in (problem_html(demo), allocation_html(allocation), audit_html(allocation.audit)):
        assert _style_elements(html) == [expected]


def test_notebook_styles_are_scoped_to_the_views() -> None:
    # a view sits in someone's notebook: its rules must not restyle the page around it
    selectors = re.findall(r"(?:^|})\s*([^{}@]+)\{", styles.stylesheet(styles.NOTEBOOK_CSS))
    assert selectors
    for group in selectors:
        for selector in group.split(","):
            assert selector.strip().startswith(".allocate"), selector
