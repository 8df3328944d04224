"""Public home of :mod:`allocate.analysis.scenarios`: the code and its documentation live there."""

from allocate.analysis.scenarios import *  # noqa: F403
from allocate.analysis.scenarios import __all__ as __all__
from allocate.analysis.scenarios import __doc__ as __doc__
