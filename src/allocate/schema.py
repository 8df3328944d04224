"""Public home of :mod:`allocate.core.schema`: the code and its documentation live there."""

from allocate.core.schema import *  # noqa: F403
from allocate.core.schema import __all__ as __all__
from allocate.core.schema import __doc__ as __doc__
