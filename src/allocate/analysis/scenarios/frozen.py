"""Frozen keyword arguments: dicts and lists stored so that changes stay hashable and picklable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


class FrozenMap(tuple[tuple[str, Any], ...]):
    """A dict stored as sorted ``(key, value)`` pairs, so that changes stay hashable."""

    __slots__ = ()


def freeze(value: Any) -> Any:
    """``value`` with every dict, list and model made immutable (:class:`FrozenMap`, tuples)."""
    if isinstance(value, BaseModel):
        return freeze(value.model_dump())
    if isinstance(value, Mapping):
        return FrozenMap(sorted((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """What :func:`freeze` stored, as plain dicts and lists again."""
    if isinstance(value, FrozenMap):
        return {k: thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value
