"""Public home of :mod:`allocate.analysis.synthetic`: the code and its documentation live there."""

from allocate.analysis.synthetic import *  # noqa: F403
from allocate.analysis.synthetic import __all__ as __all__
from allocate.analysis.synthetic import __doc__ as __doc__
