"""The leximin LP gives exactly the closed form when no side-constraint binds (docs/concepts.md)."""

from __future__ import annotations

from hypothesis import given

from allocate.testing import check_lp_matches_closed_form, examples, problems

SIZE = {"max_members": 5, "max_lots": 3, "max_contracts": 2}


@examples(0.5)
@given(problems(**SIZE))
def test_lp_equals_closed_form_without_side_constraints(problem):
    assert check_lp_matches_closed_form(problem)


@examples(0.3)
@given(problems(**SIZE))
def test_lp_equals_closed_form_with_side_constraints_that_do_not_bind(problem):
    # every side-constraint the margins allow switched on, none binding (non_binding_policy)
    assert check_lp_matches_closed_form(problem, non_binding=True)
