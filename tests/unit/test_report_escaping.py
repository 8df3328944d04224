"""Hostile text in the input (names, ids) through every renderer: escaped in HTML, kept in text."""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest

from allocate import Problem, solve
from allocate.core.outcome import Allocation
from allocate.display import allocation_html, audit_html, html_report, problem_html, status_badge
from allocate.examples import demo_dict
from allocate.report import markdown_report, text_summary

#: What the demo's texts become: every one tries to open an element or close an attribute.
HOSTILE = {
    "luton-advice": "luton\"'><script>alert(1)</script>",
    "Luton Advice Centre": "<script>alert('name')</script> & \"Co\"",
    "advice-luton": "advice'\"<img src=x onerror=alert(2)>",
    "advice-2026": "advice<b>2026</b>",
    "Luton Borough Council": "Luton & <i>Council</i>",
    "Bedfordshire and Luton consortium (demo)": "<b>bold</b> \"quoted\" 'single'",
}


def _demo(hostile: bool, **policy: Any) -> Problem:
    text = json.dumps(demo_dict())
    if hostile:
        for plain, evil in HOSTILE.items():
            text = text.replace(json.dumps(plain), json.dumps(evil))
    data = json.loads(text)
    data["policy"] = {**data.get("policy", {}), **policy}
    return Problem.model_validate(data)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs |= {name for name, _ in attrs}

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


_RENDERERS: dict[str, Callable[[Problem, Allocation], str]] = {
    "html_report": lambda p, a: html_report(a),
    "problem_html": lambda p, a: problem_html(p, max_rows=100),
    "allocation_html": lambda p, a: allocation_html(a, max_rows=100),
    "audit_html": lambda p, a: audit_html(a.audit, max_rows=100),
}
#: The hostile texts each view shows (ids where it lists pairs or lots, names elsewhere).
_SHOWN = {
    "html_report": ["Luton Advice Centre", "advice-luton", "advice-2026", "Luton Borough Council"],
    "problem_html": list(HOSTILE),
    "allocation_html": ["Luton Advice Centre", "advice-2026", "Luton Borough Council"],
    "audit_html": ["luton-advice", "advice-luton"],
}
_TITLED = ("html_report", "problem_html", "allocation_html")


@pytest.mark.parametrize("policy", [{}, {"max_member_share": "0.05"}], ids=["solved", "infeasible"])
@pytest.mark.parametrize("view", sorted(_RENDERERS))
def test_hostile_text_is_escaped_in_every_html_view(view: str, policy: dict[str, str]) -> None:
    render = _RENDERERS[view]
    plain_problem, evil_problem = _demo(False, **policy), _demo(True, **policy)
    plain = _read(render(plain_problem, solve(plain_problem)))
    html = render(evil_problem, solve(evil_problem))
    evil = _read(html)
    # the input adds no element and no attribute to what the same view of a plain input has
    assert evil.tags == plain.tags
    assert evil.attrs == plain.attrs
    # every hostile text holds a character HTML must escape: none stands in the page as given
    assert not [evil for evil in HOSTILE.values() if evil in html]
    # ... and a reader sees the text exactly as it was given
    text = "".join(evil.text)
    shown = _SHOWN[view] + (["Bedfordshire and Luton consortium (demo)"] if view in _TITLED else [])
    for plain_text in shown:
        assert HOSTILE[plain_text] in text, (view, plain_text)


def test_hostile_status_stays_inside_its_badge() -> None:
    badge = status_badge('weird" onclick="alert(1)')
    reader = _read(badge)
    assert reader.tags == {"span"} and reader.attrs == {"class", "title"}
    assert "".join(reader.text) == 'weird" onclick="alert(1)'


@pytest.mark.parametrize("render", [markdown_report, text_summary])
def test_text_formats_write_the_input_as_it_is(render: Callable[[Allocation], str]) -> None:
    # Markdown and a terminal are not HTML: escaping would show "&amp;" to the reader
    a = solve(_demo(True))
    out = render(a)
    assert HOSTILE["Luton Advice Centre"] in out
    assert HOSTILE["Bedfordshire and Luton consortium (demo)"] in out
    assert "&amp;" not in out and "&lt;" not in out
