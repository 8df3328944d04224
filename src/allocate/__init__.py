"""allocate: fair, explainable splitting of a consortium's contracts among its members.

A consortium hub wins public-service contracts and sub-contracts the work to its members.
``allocate`` decides the hub's top-slice and splits the rest among eligible members in proportion
to delivery capacity (or by another classical fairness rule), subject to quality and monitoring
thresholds, as a linear programme, and explains every pound.

>>> import allocate
>>> from allocate.model import _example_dict
>>> allocation = allocate.solve(allocate.Problem.model_validate(_example_dict()))
>>> allocation.status.is_ok
True
"""

from importlib.metadata import PackageNotFoundError, version

from allocate.exceptions import (
    AllocateError,
    InfeasibleError,
    Issue,
    ProblemError,
    SolverError,
    VerificationError,
)
from allocate.model import (
    Capacity,
    Contract,
    Hub,
    Lot,
    Member,
    Membership,
    Policy,
    Problem,
    Rule,
    SizeBand,
    TopSliceMethod,
    TopSlicePolicy,
)
from allocate.result import Allocation, Award, Status
from allocate.scenarios import Scenario, ScenarioError, compare, sweep
from allocate.solve import solve
from allocate.verify import verify

try:
    __version__ = version("allocate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AllocateError",
    "Allocation",
    "Award",
    "Capacity",
    "Contract",
    "Hub",
    "InfeasibleError",
    "Issue",
    "Lot",
    "Member",
    "Membership",
    "Policy",
    "Problem",
    "ProblemError",
    "Rule",
    "Scenario",
    "ScenarioError",
    "SizeBand",
    "SolverError",
    "Status",
    "TopSliceMethod",
    "TopSlicePolicy",
    "VerificationError",
    "__version__",
    "compare",
    "solve",
    "sweep",
    "verify",
]
