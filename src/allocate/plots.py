"""Public home of :mod:`allocate.analysis.plots`: the code and its documentation live there."""

from allocate.analysis.plots import *  # noqa: F403
from allocate.analysis.plots import __all__ as __all__
from allocate.analysis.plots import __doc__ as __doc__
