"""HTML views: notebook fragments and the stand-alone report."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

import allocate.display
from allocate import Problem, solve
from allocate.cli import main
from allocate.core.outcome import Allocation
from allocate.display import (
    allocation_html,
    audit_html,
    html_report,
    problem_html,
    status_badge,
)
from allocate.examples import demo_problem
from allocate.scenarios import Scenario, scale_contract, set_policy, update_member

_VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr"}


class _Balance(HTMLParser):
    """Collects text and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Balance:
    parser = _Balance()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def demo() -> Problem:
    return demo_problem()


@pytest.fixture(scope="module")
def allocation(demo: Problem) -> Allocation:
    return solve(demo)


def test_report_is_a_complete_self_contained_page(allocation: Allocation) -> None:
    page = html_report(allocation)
    parsed = _parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.errors == [] and parsed.stack == []
    assert {"html", "head", "style", "body", "main", "table"} <= parsed.tags
    assert not {"script", "link", "img", "iframe"} & parsed.tags
    urls = [v for k, v in parsed.attrs if k in ("src", "href") and v]
    assert urls == []
    assert "url(" not in page and "@import" not in page


def test_report_explains_every_member_and_contract(allocation: Allocation) -> None:
    text = " ".join(_parse(html_report(allocation)).text)
    for m in allocation.audit.members:
        assert m.name in text
    for c in allocation.contracts:
        assert c.id in text and c.commissioner in text
    # unfunded members are named with the reason
    assert "Members who receive nothing, and why" in text
    assert "has not passed quality assurance" in text
    assert f"All {len(allocation.audit.checks)} checks passed" in text


def test_report_is_deterministic(demo: Problem) -> None:
    assert html_report(solve(demo)) == html_report(solve(demo))


def test_report_of_an_infeasible_problem_says_why(demo: Problem) -> None:
    grown = Scenario("big", [scale_contract("advice-2026", 3)]).apply(demo)
    a = solve(grown)
    page = html_report(a)
    assert not a.status.is_ok
    assert "No allocation possible" in page and "Why no allocation is possible" in page
    assert a.diagnosis is not None
    assert all(escape(m) in page for m in a.diagnosis.messages)
    assert _parse(page).errors == []


def test_report_shows_the_side_constraints(demo: Problem) -> None:
    a = solve(Scenario("rf", [set_policy(small_org_share="0.05")]).apply(demo))
    page = html_report(a)
    assert "Side-constraints" in page
    assert "moved away from the rule" in page


def test_text_from_the_input_is_escaped(demo: Problem) -> None:
    evil = Scenario("x", [update_member("luton-advice", name="<script>alert(1)</script> & Co")])
    problem = evil.apply(demo).evolve(name="<b>bold</b>")
    a = solve(problem)
    for html in (html_report(a), problem_html(problem), allocation_html(a)):
        assert "<script>" not in html and "<b>bold</b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_notebook_fragments_and_repr_html(demo: Problem, allocation: Allocation) -> None:
    assert demo._repr_html_() == problem_html(demo)
    assert allocation._repr_html_() == allocation_html(allocation)
    assert allocation.audit._repr_html_() == audit_html(allocation.audit)
    for html in (problem_html(demo), allocation_html(allocation), audit_html(allocation.audit)):
        parsed = _parse(html)
        assert parsed.errors == [] and parsed.stack == []
        assert "<html" not in html  # a fragment, not a page
    assert 'class="badge ok"' in allocation_html(allocation)
    assert "Luton Advice Centre" in problem_html(demo)


def test_long_tables_are_cut_short(demo: Problem, allocation: Allocation) -> None:
    html = problem_html(demo, max_rows=3)
    assert f"… and {len(demo.members) - 3:,} more rows" in html
    members_shown = sum(1 for m in demo.members if f"<td>{m.id}</td>" in html)
    assert members_shown == 3


def test_status_badges_differ_by_status() -> None:
    assert "badge ok" in status_badge("optimal")
    assert "badge bad" in status_badge("infeasible")
    assert "badge warn" in status_badge("time_limit")
    assert "weird" in status_badge("weird")


@pytest.mark.parametrize(("name", "marker"), [("r.html", "<!DOCTYPE html>"), ("r.md", "# ")])
def test_cli_writes_html_or_markdown_by_file_name(tmp_path: Path, name: str, marker: str) -> None:
    out = tmp_path / name
    assert main(["demo", "--quiet", "--report", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith(marker)


def test_display_keeps_its_public_names() -> None:
    # the names allocate.display has always exported, now from several report modules
    names = ["allocation_html", "audit_html", "html_report", "problem_html", "status_badge"]
    assert sorted(allocate.display.__all__) == names
    for name in names:
        assert callable(getattr(allocate.display, name))
    assert allocate.display.__doc__ and "stand-alone report" in allocate.display.__doc__
