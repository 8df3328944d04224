"""allocate: fair, explainable splitting of a consortium's contracts among its members.

A consortium hub wins public-service contracts and sub-contracts the work to its members.
``allocate`` decides the hub's top-slice and splits the rest among eligible members in proportion
to delivery capacity (or by another classical fairness rule), subject to quality and monitoring
thresholds, as a linear programme, and explains every pound.

>>> import allocate
>>> from allocate.examples import example_dict
>>> allocation = allocate.solve(allocate.Problem.model_validate(example_dict()))
>>> allocation.status.is_ok
True
"""

from importlib.metadata import PackageNotFoundError, version

from allocate import report as _report  # noqa: F401  (registers the renderers; see core.present)
from allocate.analysis.scenarios import Scenario, ScenarioError, compare, sweep
from allocate.analysis.statements import member_statement, member_statements
from allocate.checks.certificate import CertificateCheck, check_certificate
from allocate.checks.verify import verify
from allocate.core.certificate import Certificate
from allocate.core.errors import AllocateError, Issue, ProblemError, VerificationError
from allocate.core.model import (
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
from allocate.core.outcome import Allocation, Award, InfeasibleError, SolverError, Status
from allocate.core.statement import MemberStatement, StatementError
from allocate.pipeline.solve import solve

try:
    __version__ = version("allocate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AllocateError",
    "Allocation",
    "Award",
    "Capacity",
    "Certificate",
    "CertificateCheck",
    "Contract",
    "Hub",
    "InfeasibleError",
    "Issue",
    "Lot",
    "Member",
    "MemberStatement",
    "Membership",
    "Policy",
    "Problem",
    "ProblemError",
    "Rule",
    "Scenario",
    "ScenarioError",
    "SizeBand",
    "SolverError",
    "StatementError",
    "Status",
    "TopSliceMethod",
    "TopSlicePolicy",
    "VerificationError",
    "__version__",
    "check_certificate",
    "compare",
    "member_statement",
    "member_statements",
    "solve",
    "sweep",
    "verify",
]
