"""Public home of :mod:`allocate.report.html`: the code and its documentation live there."""

from allocate.report.html import *  # noqa: F403
from allocate.report.html import __all__ as __all__
from allocate.report.html import __doc__ as __doc__
