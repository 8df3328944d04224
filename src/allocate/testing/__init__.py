"""Fairness invariants as a test kit: Hypothesis strategies, assertions and invariant checkers.

For the test suites of ``allocate`` itself and of the consortium systems that embed it.  Needs
Hypothesis, the optional extra: ``pip install 'allocate[testing]'``.

* :mod:`~allocate.testing.strategies` — valid problems by construction: :func:`problems` (sized
  by ``max_members``, ``max_lots`` ..., any rule, any side-constraint), :func:`incomes`,
  :func:`scores`, :func:`top_slice_policies`; :func:`tender_problems` (sub-tendered lots with
  bids and a drawn tender policy);
* :mod:`~allocate.testing.assertions` — conditions any allocation must keep:
  :func:`assert_valid_allocation` (all of them), :func:`assert_budget_balance`,
  :func:`assert_capacity`, :func:`assert_eligibility`, :func:`assert_side_constraints`,
  :func:`assert_audit_consistent` ...;
* :mod:`~allocate.testing.invariants` — the classical properties of the fairness rules, each a
  checker taking a problem and a transformation (:func:`check_equal_treatment`,
  :func:`check_resource_monotonicity`, :func:`check_consistency` ...), and the table of which
  rule has which property (:data:`RULE_PROPERTIES`); for sub-tenders
  :func:`check_best_bid_wins` and :func:`check_bid_monotonicity`;
* :mod:`~allocate.testing.life` — over a contract's life: :func:`reviews` and :func:`trades`
  (strategies for a version), :func:`review_failures`, :func:`assert_review_invariants`,
  :func:`review_limit_failures` (a trade after a review keeps what the review left),
  :func:`trade_failures`, :func:`check_on_track_never_worse`,
  :func:`check_nothing_changed_is_as_made`;
* :mod:`~allocate.testing.settings` — the ``allocate-dev``, ``allocate-ci`` and ``allocate-long``
  Hypothesis profiles, registered and loaded only when you call :func:`load_profile`.

Importing the kit has no side effect on Hypothesis: your own profiles stay as they are.

Every failure ends with the problem as JSON, replayable with ``allocate solve problem.json``.

Examples
--------
>>> from hypothesis import given
>>> from allocate import solve
>>> from allocate.testing import assert_valid_allocation, problems
>>> @given(problems(max_members=5, max_lots=3, side_constraints="any", feasible=False))
... def test_every_allocation_keeps_every_condition(problem):
...     assert_valid_allocation(problem, solve(problem))
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401  (the kit is built on it)
except ImportError as exc:  # pragma: no cover - exercised by a test that hides hypothesis
    raise ImportError(
        "allocate.testing needs Hypothesis, which is not installed; install the optional "
        "extra: pip install 'allocate[testing]'"
    ) from exc

from allocate.testing.assertions import (
    CONDITIONS,
    AllocationAssertionError,
    Failure,
    allocation_failures,
    assert_audit_consistent,
    assert_budget_balance,
    assert_capacity,
    assert_eligibility,
    assert_fair_shares,
    assert_side_constraints,
    assert_top_slice,
    assert_valid_allocation,
    assert_verified,
    assert_whole_units,
    exact_shares,
    is_eligible,
    lot_claims,
    replay_json,
    top_slice_rate,
)
from allocate.testing.invariants import (
    DUAL_RULES,
    RULE_PROPERTIES,
    InvariantError,
    Property,
    check_anonymity,
    check_best_bid_wins,
    check_bid_monotonicity,
    check_claims_monotonicity,
    check_consistency,
    check_determinism,
    check_duality,
    check_equal_treatment,
    check_json_round_trip,
    check_lp_matches_closed_form,
    check_order_preservation,
    check_population_monotonicity,
    check_resource_monotonicity,
    check_top_slice,
    copy_member,
    dual_problem,
    holds,
    non_binding_policy,
    permute_members,
    remove_member,
    rename_members,
    sub_problem,
    with_bid,
    with_capacity,
    with_lot_value,
)
from allocate.testing.life import (
    assert_review_invariants,
    check_nothing_changed_is_as_made,
    check_on_track_never_worse,
    review_failures,
    review_limit_failures,
    reviews,
    trade_failures,
    trades,
)
from allocate.testing.settings import examples, load_profile, profile_name, register_profiles
from allocate.testing.strategies import (
    SIDE_CONSTRAINTS,
    incomes,
    problem_dicts,
    problems,
    scores,
    tender_problem_dicts,
    tender_problems,
    top_slice_policies,
)

__all__ = [
    "CONDITIONS",
    "DUAL_RULES",
    "RULE_PROPERTIES",
    "SIDE_CONSTRAINTS",
    "AllocationAssertionError",
    "Failure",
    "InvariantError",
    "Property",
    "allocation_failures",
    "assert_audit_consistent",
    "assert_budget_balance",
    "assert_capacity",
    "assert_eligibility",
    "assert_fair_shares",
    "assert_review_invariants",
    "assert_side_constraints",
    "assert_top_slice",
    "assert_valid_allocation",
    "assert_verified",
    "assert_whole_units",
    "check_anonymity",
    "check_best_bid_wins",
    "check_bid_monotonicity",
    "check_claims_monotonicity",
    "check_consistency",
    "check_determinism",
    "check_duality",
    "check_equal_treatment",
    "check_json_round_trip",
    "check_lp_matches_closed_form",
    "check_nothing_changed_is_as_made",
    "check_on_track_never_worse",
    "check_order_preservation",
    "check_population_monotonicity",
    "check_resource_monotonicity",
    "check_top_slice",
    "copy_member",
    "dual_problem",
    "exact_shares",
    "examples",
    "holds",
    "incomes",
    "is_eligible",
    "load_profile",
    "lot_claims",
    "non_binding_policy",
    "permute_members",
    "problem_dicts",
    "problems",
    "profile_name",
    "register_profiles",
    "remove_member",
    "rename_members",
    "replay_json",
    "review_failures",
    "review_limit_failures",
    "reviews",
    "scores",
    "sub_problem",
    "tender_problem_dicts",
    "tender_problems",
    "top_slice_policies",
    "top_slice_rate",
    "trade_failures",
    "trades",
    "with_bid",
    "with_capacity",
    "with_lot_value",
]
