"""Public home of :mod:`allocate.core.examples`: the code and its documentation live there."""

from allocate.core.examples import *  # noqa: F403
from allocate.core.examples import __all__ as __all__
from allocate.core.examples import __doc__ as __doc__
