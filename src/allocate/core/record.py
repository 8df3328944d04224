"""The base of every published output record: a leaf, so that any output model can use it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Self

from pydantic import BaseModel, ConfigDict

__all__ = ["Record"]


class Record(BaseModel):
    """The base of every published output record: frozen, no extra fields.

    Docstrings are the fields' descriptions, and every field is always written (so the output
    schema marks each one required).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        json_schema_serialization_defaults_required=True,
    )

    @classmethod
    def from_trusted(cls, fields: dict[str, Any]) -> Self:
        """An instance from data the library built and checked itself, without re-validation.

        Six times cheaper than ``model_construct``: it matters for the tens of thousands of
        awards of a county-sized consortium.  ``fields`` must name every field.
        """
        obj = _new(cls)
        _set_dict(obj, fields)
        _set_fields_set(obj, set(fields))
        _set_extra(obj, None)
        _set_private(obj, None)
        return obj

    @classmethod
    def many_from_trusted(cls, rows: Iterable[dict[str, Any]]) -> list[Self]:
        """:meth:`from_trusted` of each of ``rows``, in one loop (a county has 30,000 awards).

        Every row names every field, so every instance has the same set of fields set, and they
        share one: pydantic only reads it, and copies it before adding to it (``model_copy``), so
        no instance can change another's.  Thirty thousand fewer sets are thirty thousand fewer
        objects for the cyclic garbage collector to walk again and again.
        """
        out: list[Self] = []
        add, new, set_dict, set_fields_set = out.append, _new, _set_dict, _set_fields_set
        set_extra, set_private = _set_extra, _set_private
        every_field = set(cls.model_fields)
        for fields in rows:
            obj = new(cls)
            set_dict(obj, fields)
            set_fields_set(obj, every_field)
            set_extra(obj, None)
            set_private(obj, None)
            add(obj)
        return out


# The slots every pydantic model has, set directly (``object.__setattr__`` looks each one up by
# name on every call; these are the same descriptors, looked up once).
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
