"""HTML views: notebook fragments and the stand-alone report."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

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
from allocate.examples import demo_dict, demo_problem
from allocate.report import markdown_report, text_summary
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


# -- hostile text through every renderer -------------------------------------------------

#: What the demo's texts become: every one tries to open an element or close an attribute.
HOSTILE = {
    "luton-advice": "luton\"'><script>alert(1)</script>",
    "Luton Advice Centre": "<script>alert('name')</script> & \"Co\"",
    "advice-luton": "advice'\"<img src=x onerror=alert(2)>",
    "advice-2026": "advice<b>2026</b>",
    "Luton Borough Council": "Luton & <i>Council</i>",
    "Bedfordshire and Luton consortium (demo)": "<b>bold</b> \"quoted\" 'single'",
    # an unfunded member, the lot it is refused and the area why: the reasons name them all
    "Dunstable Debt Advice": "Dunstable <em>Debt</em> 'Advice'",
    "advice-bedford": 'advice-bedford"><u>',
    "Bedford": "Bedford & <s>Kempston</s>",
}


def _demo(hostile: bool, **policy: Any) -> Problem:
    text = json.dumps(demo_dict())
    if hostile:
        for plain, evil in HOSTILE.items():
            text = text.replace(json.dumps(plain), json.dumps(evil))
    data = json.loads(text)
    data["policy"] = {**data.get("policy", {}), **policy}
    return Problem.model_validate(data)


_RENDERERS: dict[str, Callable[[Problem, Allocation], str]] = {
    "html_report": lambda p, a: html_report(a),
    "problem_html": lambda p, a: problem_html(p, max_rows=100),
    "allocation_html": lambda p, a: allocation_html(a, max_rows=100),
    "audit_html": lambda p, a: audit_html(a.audit, max_rows=100),
}
#: The hostile texts each view shows (ids where it lists pairs or lots, names elsewhere).
_SHOWN = {
    "html_report": [
        "Luton Advice Centre",
        "advice-luton",
        "advice-2026",
        "Luton Borough Council",
        "Dunstable Debt Advice",
        "advice-bedford",
        "Bedford",
    ],
    "problem_html": list(HOSTILE),
    "allocation_html": [
        "Luton Advice Centre",
        "advice-2026",
        "Luton Borough Council",
        "Dunstable Debt Advice",
    ],
    "audit_html": ["luton-advice", "advice-luton", "advice-bedford"],
}
_TITLED = ("html_report", "problem_html", "allocation_html")


@pytest.mark.parametrize("policy", [{}, {"max_member_share": "0.05"}], ids=["solved", "infeasible"])
@pytest.mark.parametrize("view", sorted(_RENDERERS))
def test_hostile_text_is_escaped_in_every_html_view(view: str, policy: dict[str, str]) -> None:
    render = _RENDERERS[view]
    plain_problem, evil_problem = _demo(False, **policy), _demo(True, **policy)
    plain = _parse(render(plain_problem, solve(plain_problem)))
    html = render(evil_problem, solve(evil_problem))
    evil = _parse(html)
    # the input adds no element and no attribute to what the same view of a plain input has
    assert evil.tags == plain.tags
    assert {name for name, _ in evil.attrs} == {name for name, _ in plain.attrs}
    # every hostile text holds a character HTML must escape: none stands in the page as given
    assert not [given for given in HOSTILE.values() if given in html]
    assert evil.errors == [] and evil.stack == []
    # ... and a reader sees the text exactly as it was given
    text = "".join(evil.text)
    shown = _SHOWN[view] + (["Bedfordshire and Luton consortium (demo)"] if view in _TITLED else [])
    for plain_text in shown:
        assert HOSTILE[plain_text] in text, (view, plain_text)


def test_hostile_status_stays_inside_its_badge() -> None:
    badge = status_badge('weird" onclick="alert(1)')
    reader = _parse(badge)
    assert reader.tags == {"span"} and [name for name, _ in reader.attrs] == ["class", "title"]
    assert "".join(reader.text) == 'weird" onclick="alert(1)'


@pytest.mark.parametrize("render", [markdown_report, text_summary])
def test_text_formats_write_the_input_as_it_is(render: Callable[[Allocation], str]) -> None:
    # Markdown and a terminal are not HTML: escaping would show "&amp;" to the reader
    a = solve(_demo(True))
    out = render(a)
    assert HOSTILE["Luton Advice Centre"] in out
    assert HOSTILE["Bedfordshire and Luton consortium (demo)"] in out
    assert "&amp;" not in out and "&lt;" not in out


# -- issue 12: dated, printable on A4, each reason said once, plurals ---------------------------


def test_report_carries_the_date_given_or_source_date_epoch(
    allocation: Allocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = html_report(allocation, date=datetime.date(2026, 3, 1))
    assert "<time datetime='2026-03-01'>1 March 2026</time>" in page
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(24 * 3600 * 20_000))  # 2024-10-04 UTC
    assert "<time datetime='2024-10-04'>4 October 2024</time>" in html_report(allocation)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    before = datetime.date.today()
    page = html_report(allocation)
    assert any(f"datetime='{d.isoformat()}'" in page for d in (before, datetime.date.today()))


def test_a_bad_report_date_is_refused_by_name(
    allocation: Allocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(TypeError, match=r"date must be a datetime\.date.*'2026-01-01'"):
        html_report(allocation, date="2026-01-01")  # type: ignore[arg-type]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match=r"SOURCE_DATE_EPOCH.*'yesterday'"):
        html_report(allocation)


def test_report_prints_on_a4(allocation: Allocation) -> None:
    page = html_report(allocation)
    assert "@page{size:A4" in page.replace(" ", "")
    print_rules = page[page.index("@media print") :]
    assert "break-inside:avoid" in print_rules and "table-header-group" in print_rules


def _why_cells(page: str) -> list[str]:
    """The last cell of every row of the tables of lots (the "why" column)."""
    lots = page[page.index("<h2>Every lot in detail</h2>") : page.index("Independent checks")]
    rows = lots.split("<tr")[1:]
    return [r.rsplit("<td>", 1)[-1].split("</td>")[0] for r in rows if "<td>" in r]


def test_report_says_the_usual_reason_once_not_on_every_row(allocation: Allocation) -> None:
    page = html_report(allocation)
    t = allocation.audit.pairs
    usual = "the rule's fair share of the lot's member pot, rounded to whole pence"
    eligible_with_usual = sum(
        1 for k in range(len(t)) if t.eligible[k] and t.explanation[k] == usual
    )
    assert eligible_with_usual > 1  # the demo repeats it: what the report must not
    assert page.count(escape(usual)) == 1
    cells = _why_cells(page)
    assert cells.count("") == eligible_with_usual
    # the reasons that differ from row to row are still given where they belong
    for k in range(len(t)):
        if not t.eligible[k] and t.capacity[k] is not None:
            assert escape(t.explanation[k]) in cells


def test_counts_are_written_with_the_right_plural(demo: Problem) -> None:
    data = demo_dict()
    data["contracts"] = data["contracts"][:1]
    lots = {lot["id"] for lot in data["contracts"][0]["lots"]}
    data["capacities"] = [c for c in data["capacities"] if c.get("lot") in lots]
    data["policy"] = {**data.get("policy", {}), "exclusions": []}
    one = solve(Problem.model_validate(data))
    three = solve(demo)
    for allocation, phrase in ((one, "1 contract"), (three, "3 contracts")):
        texts = [
            html_report(allocation),
            markdown_report(allocation),
            allocation._repr_html_(),
            text_summary(allocation),
        ]
        assert phrase in texts[0] and phrase in texts[2]
        for text in texts:
            assert "(s)" not in text
            assert "1 contracts" not in text
