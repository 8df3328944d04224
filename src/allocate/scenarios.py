"""Public home of :mod:`allocate.analysis.scenarios`: the code and its documentation live there."""

from allocate.analysis.scenarios import *  # noqa: F403
from allocate.analysis.scenarios import AUTO_PROGRESS_MIN as AUTO_PROGRESS_MIN
from allocate.analysis.scenarios import COMPARE_COLUMNS as COMPARE_COLUMNS
from allocate.analysis.scenarios import MEMBER_PRICE_COLUMNS as MEMBER_PRICE_COLUMNS
from allocate.analysis.scenarios import METRICS as METRICS
from allocate.analysis.scenarios import PRICE_COLUMNS as PRICE_COLUMNS
from allocate.analysis.scenarios import RESULT_COLUMNS as RESULT_COLUMNS
from allocate.analysis.scenarios import SWEEP_SOLVE_DEFAULTS as SWEEP_SOLVE_DEFAULTS
from allocate.analysis.scenarios import SWITCHED_OFF as SWITCHED_OFF
from allocate.analysis.scenarios import Progress as Progress
from allocate.analysis.scenarios import __all__ as __all__
from allocate.analysis.scenarios import __doc__ as __doc__
