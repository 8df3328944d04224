"""Escaping by default: the helpers every HTML view builds its markup with."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from allocate.report.markup import Markup, concat, element, escape, format_html

HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"


class _Reader(HTMLParser):
    """The tags, attributes and text a browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text += data


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


# text a browser reads back unchanged (it folds \r and NUL, which reports never hold)
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")))


@given(_text, _text)
def test_text_and_attribute_values_read_back_unchanged(text: str, value: str) -> None:
    reader = _read(element("td", text, title=value))
    assert reader.tags == ["td"]
    assert reader.attrs == [("title", value)]
    assert reader.text == text


@given(_text)
def test_format_html_escapes_every_argument(text: str) -> None:
    reader = _read(format_html("<p class='x'>{}</p><b>{}</b>", text, text))
    assert reader.tags == ["p", "b"]
    assert reader.text == text + text


def test_hostile_text_makes_no_element() -> None:
    for html in (
        escape(HOSTILE),
        format_html("<li>{}</li>", HOSTILE),
        element("li", HOSTILE, title=HOSTILE),
        concat([HOSTILE, element("b", HOSTILE)]),
    ):
        assert "script" not in _read(html).tags
        assert "<script>" not in html and '"x"' not in html


def test_markup_is_inserted_as_it_is() -> None:
    inner = element("b", "a & b")
    assert format_html("<p>{}</p>", inner) == "<p>" + inner + "</p>"
    assert element("p", inner, Markup("<br>")) == "<p>" + inner + "<br></p>"
    assert concat([inner, "<"], " ") == inner + " &lt;"
    assert escape(inner) is inner


def test_a_forgotten_markup_is_escaped_twice_not_injected() -> None:
    # plain str from an f-string loses the mark: the safe way round
    assert escape(f"{element('b', 'x')}") == "&lt;b&gt;x&lt;/b&gt;"


def test_format_spec_applies_to_the_value_before_escaping() -> None:
    assert format_html("{:,} {:.2f} {:>3}", 1234567, 0.5, "<") == "1,234,567 0.50   &lt;"


def test_attributes_class_underscore_and_none_left_out() -> None:
    assert element("td", "1", class_="n") == '<td class="n">1</td>'
    assert element("td", "1", class_=None) == "<td>1</td>"
    assert element("td", colspan=3) == '<td colspan="3"></td>'
