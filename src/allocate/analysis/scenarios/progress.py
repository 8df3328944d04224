"""Progress of a sweep: a tqdm bar, a callback, or nothing.

The bar is ``tqdm.auto``'s, the convention for libraries: a widget in Jupyter, text in a
terminal.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["AUTO_PROGRESS_MIN", "Progress"]

Progress = bool | None | Callable[[int, int], None]
#: Sweeps at least this long show a bar by default (when tqdm is installed, and in a notebook
#: or where stderr is a terminal).
AUTO_PROGRESS_MIN = 200


def _tqdm() -> Any:
    """``tqdm.auto.tqdm``, imported only when a bar is wanted (an optional extra); None if absent.

    ``tqdm.auto`` picks the notebook widget under Jupyter and the text bar elsewhere.
    """
    try:
        return importlib.import_module("tqdm.auto").tqdm
    except ImportError:
        return None


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (IPython already imported, with a kernel)."""
    ipython = sys.modules.get("IPython")  # never imported here: only looked for
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _visible() -> bool:
    """Where a bar can be seen: a terminal on stderr, or a notebook."""
    return sys.stderr.isatty() or in_notebook()


class Reporter:
    """Reports a sweep's progress to a callback, a tqdm bar, or nowhere (see :func:`sweep`)."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.total = total
        self.done = 0
        self.callback: Callable[[int, int], None] | None = None
        self.bar: Any = None
        if callable(progress):
            self.callback = progress
            return
        want = progress
        if want is None:
            want = total >= AUTO_PROGRESS_MIN and _visible()
        if not want:
            return
        tqdm = _tqdm()
        if tqdm is None:
            if progress is None:  # a bar by default only where tqdm is installed
                return
            raise ImportError("progress bars need tqdm: pip install 'allocate[progress]'")
        self.bar = tqdm(total=total, desc="scenarios", unit="scenario", file=sys.stderr)

    def advance(self, n: int) -> None:
        """``n`` more scenarios are done."""
        self.done += n
        if self.callback is not None:
            self.callback(self.done, self.total)
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        """The sweep is over (or failed): close the bar."""
        if self.bar is not None:
            self.bar.close()
