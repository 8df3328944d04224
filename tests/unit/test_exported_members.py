"""The public names are exactly the intended ones (habit from httpx's test_exported_members)."""

import pickle

import allocate
from allocate import Issue, ProblemError


def test_all_exports_exist_and_nothing_else_is_public_by_accident():
    expected = {
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
    }
    assert set(allocate.__all__) == expected
    for name in expected:
        assert hasattr(allocate, name), name


def test_problem_error_pickles_with_its_issues():
    err = ProblemError([Issue("members[0].annual_income", "must not be negative", "a", "-1")])
    back = pickle.loads(pickle.dumps(err))
    assert back.issues == err.issues and str(back) == str(err)
