"""The stylesheets are package data, read once and inlined into every HTML view."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

import allocate.report
from allocate import solve
from allocate.display import allocation_html, audit_html, html_report, problem_html
from allocate.examples import demo_problem
from allocate.report import styles

STATIC = Path(allocate.report.__file__).parent / "static"


@pytest.fixture(scope="module")
def views() -> dict[str, str]:
    """The stand-alone page and the three notebook views of the demo."""
    problem = demo_problem()
    a = solve(problem)
    return {
        "page": html_report(a),
        "problem": problem_html(problem),
        "allocation": allocation_html(a),
        "audit": audit_html(a.audit),
    }


def _style_elements(html: str) -> list[str]:
    return re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)


@pytest.mark.parametrize("name", [styles.REPORT_CSS, styles.NOTEBOOK_CSS, styles.STATEMENT_CSS])
def test_stylesheet_is_the_file_in_the_package(name: str) -> None:
    on_disk = (STATIC / name).read_text(encoding="utf-8")
    assert on_disk.strip()
    assert styles.stylesheet(name) == on_disk
    resource = files("allocate.report").joinpath("static", name)
    assert resource.is_file()


def test_every_stylesheet_in_static_is_one_the_views_use() -> None:
    assert sorted(p.name for p in STATIC.glob("*.css")) == sorted(
        [styles.REPORT_CSS, styles.NOTEBOOK_CSS, styles.STATEMENT_CSS]
    )


def test_a_member_statement_inlines_the_report_and_statement_stylesheets() -> None:
    from allocate import member_statement

    problem = demo_problem()
    page = member_statement(problem, solve(problem), "luton-advice", max_solves=0).to_html()
    inlined = _style_elements(page)
    assert inlined == [
        "\n" + styles.stylesheet(styles.REPORT_CSS),
        "\n" + styles.stylesheet(styles.STATEMENT_CSS),
    ]


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


def test_every_view_inlines_its_stylesheet_once(views: dict[str, str]) -> None:
    for name, html in views.items():
        css = styles.REPORT_CSS if name == "page" else styles.NOTEBOOK_CSS
        assert _style_elements(html) == ["\n" + styles.stylesheet(css)], name


def test_notebook_styles_are_scoped_to_the_views() -> None:
    # a view sits in someone's notebook: its rules must not restyle the page around it
    selectors = re.findall(r"(?:^|})\s*([^{}@]+)\{", styles.stylesheet(styles.NOTEBOOK_CSS))
    assert selectors
    for group in selectors:
        for selector in group.split(","):
            assert selector.strip().startswith(".allocate"), selector
