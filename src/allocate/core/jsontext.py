"""Reading a problem's JSON text strictly: what the standard reader lets through, refused by name.

Python's :func:`json.loads` silently keeps the last of two equal keys (an income of ``"50000"``
followed by ``"5"`` reads as £5: lost data), accepts ``NaN`` and ``Infinity``, reads numbers of
any length, and fails with a ``RecursionError`` traceback on deeply nested input.
:func:`loads` refuses each of these with a :class:`JsonTextError` that says what and where:

* nesting too deep for the reader, located on the text (the first level past
  :data:`MAX_DEPTH`, with the top-level field, line and column); nesting that the reader takes
  but the format does not (a list where a name belongs) is refused by the field's validation;
* a key given twice in one object, naming the key (and the object's ``id`` when it has one);
* ``NaN``, ``Infinity`` and ``-Infinity``, which are not JSON;
* a number written with more than :data:`MAX_NUMBER_LENGTH` characters, or larger than
  ``1e100`` or non-zero and smaller than ``1e-100`` (turning ``1e-999999999`` into a whole
  number would compute ten to the billionth power).

Numbers with a fraction or an exponent are read exactly, as :class:`~decimal.Decimal`, never
through a float; the fields that take them bound their size more tightly
(:mod:`allocate.core.money`).  A refused number is reported with the field it is the value of.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_EXPONENT", "MAX_NUMBER_LENGTH", "JsonTextError", "loads"]

#: Deepest nesting of objects and arrays accepted (the problem format needs six levels).
MAX_DEPTH = 32
#: Numbers larger than ten to this power, or non-zero and smaller than its inverse, are refused.
MAX_EXPONENT = 100
#: Longest number accepted, in characters (a trillion pounds in pence needs sixteen).
MAX_NUMBER_LENGTH = 40

# a JSON string (with its escapes), or an opening or closing bracket
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JsonTextError(ValueError):
    """The text is not JSON this library accepts; ``where`` says where, when it is known."""

    def __init__(self, message: str, where: str = "", literal: str = "") -> None:
        super().__init__(message)
        self.where = where
        self.literal = literal
        """The offending number as written, to find its field by."""


def loads(text: str | bytes | bytearray) -> Any:
    """Parse JSON text strictly (see the module documentation).

    >>> loads('{"value": 1.10, "units": 3}')
    {'value': Decimal('1.10'), 'units': 3}
    >>> loads('{"income": "50000", "income": "5"}')
    Traceback (most recent call last):
    ...
    allocate.core.jsontext.JsonTextError: duplicate key 'income' in one object
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonTextError(f"not UTF-8 text: {exc}") from None
    # a byte-order mark, as some Windows editors write, is no part of the document
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(
            text,
            parse_float=_decimal,
            parse_int=_integer,
            parse_constant=_constant,
            object_pairs_hook=_object,
        )
    except JsonTextError as exc:
        if not exc.where and exc.literal:
            exc.where = _field_of(text, exc.literal)
        raise
    except RecursionError:
        # too deep for the reader itself: find where, on the text (only then: it is slower)
        _check_text_depth(text)
        raise JsonTextError("nesting too deep to read") from None  # pragma: no cover
    except ValueError as exc:
        raise JsonTextError(f"not valid JSON: {exc}") from None
    return data


def _check_text_depth(text: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH`, naming the top-level field, line and column."""
    depth = 0
    field = ""
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token[0] == '"':
            if depth == 1 and text[match.end() :].lstrip().startswith(":"):
                field = token[1:-1]
            continue
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - text.rfind("\n", 0, match.start())
                raise JsonTextError(
                    f"nesting deeper than {MAX_DEPTH} levels (line {line}, column {column})",
                    field,
                )
        else:
            depth -= 1


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    ident = next((v for k, v in pairs if k == "id" and isinstance(v, str)), None)
    where = f" in the object with id {ident!r}" if ident is not None else " in one object"
    raise JsonTextError(f"duplicate key {key!r}{where}", key)


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_LENGTH:
        raise JsonTextError(
            f"a number of {len(text):,} digits is longer than the {MAX_NUMBER_LENGTH} accepted "
            f"({text[:20]}...)",
            literal=text,
        )
    return int(text)


def _decimal(text: str) -> Decimal:
    """A number with a fraction or exponent, exactly; refused when absurdly large or small.

    Turning ``1e-999999999`` into a whole number (as an integer field would) computes ten to
    the billionth power: such a number never gets that far.
    """
    if len(text) > MAX_NUMBER_LENGTH:
        raise JsonTextError(
            f"a number of {len(text):,} characters is longer than the {MAX_NUMBER_LENGTH} "
            f"accepted ({text[:20]}...)",
            literal=text,
        )
    value = Decimal(text)
    if value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        raise JsonTextError(
            f"the number {text} is out of range (at most 1e{MAX_EXPONENT} in size, and 0 or at "
            f"least 1e-{MAX_EXPONENT})",
            literal=text,
        )
    return value


def _field_of(text: str, literal: str) -> str:
    """The key the first occurrence of a number literal is the value of (or "")."""
    found = re.search(r'"((?:[^"\\]|\\.)*)"\s*:\s*' + re.escape(literal) + r"(?![0-9.eE])", text)
    return found.group(1) if found else ""


def _constant(text: str) -> Any:
    raise JsonTextError(f"{text} is not a number JSON allows")
