"""The published formats: their version, their JSON Schemas, and a refused input as data.

Other systems rely on two JSON documents: the **problem** they send (:class:`~allocate.Problem`)
and the **output** they get back.  The output is an :class:`~allocate.Allocation` when the
problem was valid (whatever its status), or a :class:`Rejection` listing every issue of an
invalid one.  Both outputs carry ``format_version`` (:data:`FORMAT_VERSION`) and ``status``, so a
reader can tell them apart by ``status`` alone (``invalid_input`` for a rejection).

The schemas are JSON Schema draft 2020-12, generated from the same pydantic models that read
and write the documents, so the two never disagree.  Their ``$id`` names the format version.

Examples
--------
>>> from allocate.core.errors import Issue, ProblemError
>>> error = ProblemError([Issue("members[0].annual_income", "must not be negative", "a", "-5")])
>>> print(Rejection.from_error(error).model_dump_json(indent=1))
{
 "format_version": "1.2",
 "status": "invalid_input",
 "summary": "1 problem in the input",
 "issues": [
  {
   "location": "members[0].annual_income",
   "id": "a",
   "value": "-5",
   "message": "must not be negative"
  }
 ]
}
>>> output_schema()["$id"]
'urn:allocate:schema:output:1.2'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, Literal

from pydantic import JsonValue, TypeAdapter

from allocate.core.errors import Issue, ProblemError
from allocate.core.model import Problem
from allocate.core.outcome import FORMAT_VERSION, Allocation, Record
from allocate.core.review import Reallocation, TradeDecision
from allocate.core.years import YearPlan

__all__ = [
    "FORMAT_VERSION",
    "INPUT_SCHEMA_ID",
    "JSON_SCHEMA_DIALECT",
    "OUTPUT_SCHEMA_ID",
    "IssueRecord",
    "Record",
    "Rejection",
    "input_schema",
    "output_schema",
]

#: The JSON Schema dialect of both schemas.
JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
#: The ``$id`` of the problem format's schema (a name, not an address to fetch).
INPUT_SCHEMA_ID: Final = f"urn:allocate:schema:input:{FORMAT_VERSION}"
#: The ``$id`` of the output format's schema.
OUTPUT_SCHEMA_ID: Final = f"urn:allocate:schema:output:{FORMAT_VERSION}"


class IssueRecord(Record):
    """One issue of an invalid input, as data (an :class:`~allocate.Issue` made JSON)."""

    location: str
    """Where in the input, as a path (``members[3].annual_income``); empty for the whole text."""
    id: str | None
    """The id of the member, contract, lot or capacity (``member/lot``) at fault, if it has one."""
    value: JsonValue
    """The offending value as given (``null`` when missing); exact numbers are strings."""
    message: str
    """What is wrong, in words."""

    @classmethod
    def from_issue(cls, issue: Issue) -> IssueRecord:
        """The record of one :class:`~allocate.Issue`."""
        return cls(
            location=issue.location, id=issue.id, value=_json(issue.value), message=issue.message
        )


class Rejection(Record):
    """The output for an invalid problem: every issue found, each with location, id and value."""

    format_version: Literal["1.2"] = FORMAT_VERSION
    """The version of the output format (:data:`FORMAT_VERSION`)."""
    status: Literal["invalid_input"] = "invalid_input"
    """Always ``invalid_input``: no allocation was attempted."""
    summary: str
    """How many issues, in words."""
    issues: list[IssueRecord]
    """Every issue found, in the order :class:`~allocate.ProblemError` lists them."""

    @classmethod
    def from_error(cls, error: ProblemError) -> Rejection:
        """The rejection of an input that raised ``error``."""
        n = len(error.issues)
        return cls(
            summary=f"{n} problem{'s' if n != 1 else ''} in the input",
            issues=[IssueRecord.from_issue(issue) for issue in error.issues],
        )


def _json(value: Any) -> JsonValue:
    """``value`` as plain JSON: exact numbers (``Decimal``) and anything unusual as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return str(value)


def input_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the problem format.

    Generated from :class:`~allocate.Problem`; ``allocate schema`` prints it.
    """
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": INPUT_SCHEMA_ID,
        **Problem.model_json_schema(),
    }


_OUTPUT: TypeAdapter[Allocation | Rejection | Reallocation | TradeDecision | YearPlan] = (
    TypeAdapter(Allocation | Rejection | Reallocation | TradeDecision | YearPlan)
)


def output_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of every output.

    An allocation or a rejection; over a contract's life, a reallocation (``kind``
    ``reallocation``), a trade decision (``kind`` ``trade``) or a year plan (``kind``
    ``year_plan``).

    Generated from :class:`~allocate.Allocation` and :class:`Rejection` as they are written
    (money as strings, every field present); ``allocate schema output`` prints it.
    """
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": OUTPUT_SCHEMA_ID,
        "title": "allocate output",
        "description": (
            f"Format version {FORMAT_VERSION}: an allocation (any status) for a valid problem, "
            "or a rejection (status invalid_input) listing every issue of an invalid one; over "
            "a contract's life, a reallocation, a trade decision or a year plan (by 'kind')."
        ),
        **_OUTPUT.json_schema(mode="serialization"),
    }
