"""pandas, loaded when the first table is asked for, and only here.

pandas is a required dependency, but importing it takes longer than everything else
``import allocate`` needs put together (1.7 s of 2.4 s, measured on the 2-core machine the
benchmarks run on), and the command line, the solver and the worker processes of a sweep never
use it.  So it is imported on first use, by the two functions below, and nowhere else: every
module that returns a DataFrame builds it through them (annotations name ``pd.DataFrame`` under
``TYPE_CHECKING``, which costs nothing at run time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["frame", "nullable_ints"]


def frame(data: Any = None, *, columns: list[str] | None = None) -> pd.DataFrame:
    """``pandas.DataFrame(data, columns=columns)``.

    >>> frame({"a": [1, 2]}).shape
    (2, 1)
    """
    import pandas as pd

    return pd.DataFrame(data, columns=columns)


def nullable_ints(values: Sequence[int | None]) -> Any:
    """A pandas ``Int64`` array: whole numbers with ``<NA>`` where a value is missing.

    >>> nullable_ints([1, None]).isna().tolist()
    [False, True]
    """
    import pandas as pd

    return pd.array(list(values), dtype="Int64")
