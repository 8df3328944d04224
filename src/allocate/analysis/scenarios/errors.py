"""The errors of scenarios: :class:`ScenarioError` for callers, :class:`ChangeError` inside."""

from __future__ import annotations

from typing import Any

from allocate.core.errors import AllocateError

__all__ = ["ScenarioError"]


class ScenarioError(AllocateError, ValueError):
    """A scenario could not be applied: names the scenario, the change and the value.

    Attributes
    ----------
    scenario
        The scenario's name.
    position
        Which change failed, counting from 1 (0 when the scenario itself is malformed).
    change
        The failing change, as the call that made it (``"scale_capacity('a', -1)"``).
    reason
        What is wrong, in words.
    value
        The offending value, when there is one.

    Examples
    --------
    >>> print(ScenarioError("drop", 1, "remove_member('x')", "unknown member", "x"))
    scenario 'drop', change 1 remove_member('x'): unknown member [value: 'x']
    """

    def __init__(
        self, scenario: str, position: int, change: str, reason: str, value: Any = None
    ) -> None:
        self.scenario = scenario
        self.position = position
        self.change = change
        self.reason = reason
        self.value = value
        where = f"scenario {scenario!r}"
        if position:
            where += f", change {position} {change}"
        text = f"{where}: {reason}"
        if value is not None:
            text += f" [value: {value!r}]"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes and Dask workers
        return (type(self), (self.scenario, self.position, self.change, self.reason, self.value))


class ChangeError(Exception):
    """Raised inside a change; :meth:`Scenario.apply` adds the scenario and the position."""

    def __init__(self, reason: str, value: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value
