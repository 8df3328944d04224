"""Public home of :mod:`allocate.core.rules`: the code and its documentation live there."""

from allocate.core.rules import *  # noqa: F403
from allocate.core.rules import __all__ as __all__
from allocate.core.rules import __doc__ as __doc__
