"""Member statements: the top-slice parts, the least changes and their solves, the rendering.

Every figure a statement states is checked against an independent computation here: the
top-slice parts by an exact largest remainder written in the test, the "would need" changes by
solving the changed problem again in the test (and, on a one-lot problem, by the proportional
rule worked out by hand in fractions), and one step less than each stated score by the
pipeline's own eligibility.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser
from typing import Any, ClassVar

import pytest

from allocate import (
    MemberStatement,
    Problem,
    StatementError,
    member_statement,
    member_statements,
    solve,
)
from allocate.analysis.statements import top_slice_contributions
from allocate.core.money import to_pence
from allocate.examples import demo_dict, demo_problem
from allocate.pipeline.eligibility import assess
from allocate.report.statement import file_stems
from allocate.synthetic import consortium
from tests.conftest import member, simple_problem

DATE = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def demo() -> tuple[Problem, Any]:
    problem = demo_problem()
    return problem, solve(problem)


def _eligible(problem: Problem, member_id: str, lot_id: str) -> bool:
    e = assess(problem)
    return bool(e.eligible[e.lot_ids.index(lot_id), e.member_ids.index(member_id)])


def _award(allocation: Any, member_id: str, lot_id: str) -> Decimal:
    return sum(
        (a.amount for a in allocation.awards if a.member == member_id and a.lot == lot_id),
        Decimal("0.00"),
    )


# -- the top-slice parts ---------------------------------------------------------------------


def _exact_parts(allocation: Any) -> dict[str, dict[str, int]]:
    """Each contract's top-slice shared by awards, by a largest remainder written here."""
    out: dict[str, dict[str, int]] = {}
    for c in allocation.contracts:
        awards: dict[str, int] = {}
        for a in allocation.awards:
            if a.contract == c.id:
                awards[a.member] = awards.get(a.member, 0) + to_pence(a.amount)
        total, top = sum(awards.values()), to_pence(c.top_slice)
        exact = {m: Fraction(top * v, total) for m, v in awards.items()}
        parts = {m: x.numerator // x.denominator for m, x in exact.items()}
        left = top - sum(parts.values())
        for m in sorted(exact, key=lambda m: (-(exact[m] - parts[m]), m))[:left]:
            parts[m] += 1
        out[c.id] = parts
    return out


@pytest.mark.parametrize("which", ["demo", "synthetic"])
def test_top_slice_parts_add_up_to_each_contract_top_slice_exactly(which):
    if which == "demo":
        problem = demo_problem()
    else:
        problem = consortium(40, 6, seed=5, side_constraints=["max_member_share", "min_award"])
    allocation = solve(problem)
    assert allocation.status.is_ok
    expected = _exact_parts(allocation)
    got = top_slice_contributions(problem, allocation)
    for c in allocation.contracts:
        parts = {m: by[c.id] for m, by in got.items() if c.id in by}
        assert parts == expected[c.id]
        assert sum(parts.values()) == to_pence(c.top_slice)  # to the penny
    statements = member_statements(problem, allocation, max_solves=0)
    for c in allocation.contracts:
        stated = [p.contribution for s in statements for p in s.top_slice if p.contract == c.id]
        assert sum(stated, Decimal(0)) == c.top_slice
    for s in statements:
        assert s.top_slice_total == sum((p.contribution for p in s.top_slice), Decimal(0))
        for p in s.top_slice:
            num, den = (int(x) for x in p.exact.split("/"))
            exact = Fraction(num, den)
            assert exact == Fraction(to_pence(p.top_slice) * to_pence(p.awards)) / to_pence(
                p.members_awards
            )
            assert abs(to_pence(p.contribution) - exact) < 1


# -- every member, and its figures ---------------------------------------------------------------


def test_every_member_gets_a_statement_with_the_allocations_figures(demo):
    problem, allocation = demo
    statements = member_statements(problem, allocation)
    assert [s.member for s in statements] == [m.id for m in problem.members]
    for s in statements:
        assert isinstance(s, MemberStatement)
        assert s.award == allocation.award(s.member)
        assert [line.lot for line in s.lots] == [lot.id for lot in problem.lots]
        for line in s.lots:
            assert line.award == allocation.award(s.member, line.lot)
            assert line.eligible == _eligible(problem, s.member, line.lot)
            if not line.eligible:
                assert line.reasons and line.explanation.startswith("not eligible: ")
    assert member_statement(problem, allocation, "chiltern-mind") == statements[-1]


def test_ineligible_reasons_are_in_words_with_figures(demo):
    problem, allocation = demo
    s = member_statement(problem, allocation, "marston-green")
    line = next(x for x in s.lots if x.lot == "volunteering-central")
    assert line.reasons == ["qa_not_passed", "quality"]
    assert "quality score 0.69 is below the threshold 0.7" in line.explanation


# -- what would bring more: the least change, solved again -----------------------------------------


def test_quality_change_on_one_lot_matches_the_rule_worked_out_by_hand():
    data = simple_problem({"a": "1000", "b": "700"})
    data["members"][1]["quality_score"] = 0.65
    data["policy"] = {"quality_threshold": 0.7}
    problem = Problem.model_validate(data)
    allocation = solve(problem)
    s = member_statement(problem, allocation, "b")
    (imp,) = s.improvements
    (needed,) = imp.needed
    assert (needed.setting, needed.current, needed.required) == ("quality_score", "0.65", "0.70")
    assert needed.words == "a quality score of 0.70 instead of 0.65"
    # by hand: the members' pot (value less the top-slice) shared 1000:700, largest remainder
    pot = to_pence(allocation.contracts[0].members_total)
    exact = {"a": Fraction(pot * 1000, 1700), "b": Fraction(pot * 700, 1700)}
    floors = {m: x.numerator // x.denominator for m, x in exact.items()}
    top = max(exact, key=lambda m: (exact[m] - floors[m], m))
    floors[top] += pot - sum(floors.values())
    assert to_pence(imp.lot_awards["l1"]) == floors["b"]
    assert imp.award_then == imp.lot_awards["l1"] and imp.award_now == 0
    assert f"about £{Decimal(floors['b']) / 100:,.2f}" in imp.words
    assert "at today's shares" in imp.words
    # one step less, in the stated precision, is not enough
    below = data | {"members": [data["members"][0], {**data["members"][1], "quality_score": 0.69}]}
    assert not _eligible(Problem.model_validate(below), "b", "l1")


def _solved_with(data: dict[str, Any], member_id: str, **fields: Any) -> Problem:
    changed = copy.deepcopy(data)
    changed["members"] = [m | fields if m["id"] == member_id else m for m in changed["members"]]
    return Problem.model_validate(changed)


def test_demo_quality_and_qa_change_solved_again_independently(demo):
    problem, allocation = demo
    s = member_statement(problem, allocation, "marston-green")
    (imp,) = s.improvements
    assert [n.words for n in imp.needed] == [
        "passing quality assurance",
        "a quality score of 0.70 instead of 0.69",
    ]
    data = demo_dict()
    required = float(imp.needed[1].required)
    changed = _solved_with(data, "marston-green", qa_passed=True, quality_score=required)
    again = solve(changed)
    for lot in imp.lots:
        assert _eligible(changed, "marston-green", lot)
        assert imp.lot_awards[lot] == _award(again, "marston-green", lot) > 0
    assert imp.award_then == again.award("marston-green")
    # one hundredth less, or the QA alone, is not enough
    less = _solved_with(data, "marston-green", qa_passed=True, quality_score=required - 0.01)
    assert not any(_eligible(less, "marston-green", lot) for lot in imp.lots)
    qa_only = _solved_with(data, "marston-green", qa_passed=True)
    assert not any(_eligible(qa_only, "marston-green", lot) for lot in imp.lots)


def test_demo_membership_and_reporting_change(demo):
    problem, allocation = demo
    (imp,) = member_statement(problem, allocation, "leagrave-men").improvements
    assert [(n.setting, n.current, n.required) for n in imp.needed] == [
        ("membership", "associate", "full"),
        ("reporting_compliance", "0.60", "0.75"),
    ]
    assert imp.lots == ["social-prescribing-luton"]
    data = demo_dict()
    changed = _solved_with(data, "leagrave-men", membership="full", reporting_compliance=0.75)
    again = solve(changed)
    assert imp.lot_awards["social-prescribing-luton"] == _award(
        again, "leagrave-men", "social-prescribing-luton"
    )
    less = _solved_with(data, "leagrave-men", membership="full", reporting_compliance=0.74)
    assert not _eligible(less, "leagrave-men", "social-prescribing-luton")


def test_demo_area_change_for_a_lot_with_capacity(demo):
    problem, allocation = demo
    s = member_statement(problem, allocation, "dunstable-debt")
    (imp,) = s.improvements
    assert [n.words for n in imp.needed] == ["serving area 'Bedford'"]
    data = demo_dict()
    areas = [*problem.member_index["dunstable-debt"].areas, "Bedford"]
    again = solve(_solved_with(data, "dunstable-debt", areas=areas))
    assert imp.lot_awards == {"advice-bedford": _award(again, "dunstable-debt", "advice-bedford")}
    # the lots it offers nothing on (no capacity, theme or area not served) are out of reach
    assert "advice-luton" in s.unchanged and "advice-bedford" not in s.unchanged


def test_a_declared_capacity_of_nothing_is_within_reach():
    data = simple_problem({"a": "600", "b": "700", "c": "0"})
    problem = Problem.model_validate(data)
    allocation = solve(problem)
    (imp,) = member_statement(problem, allocation, "c").improvements
    (needed,) = imp.needed
    assert (needed.setting, needed.lot, needed.required) == ("capacity", "l1", "600.00")
    changed = copy.deepcopy(data)
    changed["capacities"][2]["amount"] = needed.required
    again = solve(Problem.model_validate(changed))
    assert imp.lot_awards["l1"] == again.award("c", "l1") > 0


def test_reasons_a_member_cannot_change_get_no_solve(demo):
    data = demo_dict()
    data["policy"]["exclusions"] = [
        {"member": "marston-green", "contract": "volunteering-2026", "reason": "conflict"}
    ]
    problem = Problem.model_validate(data)
    s = member_statement(problem, solve(problem), "marston-green")
    assert [i.lots for i in s.improvements] == [["social-prescribing-central"]]
    assert "volunteering-central" in s.unchanged


def test_the_cap_on_solves_is_kept_and_said(demo):
    problem, allocation = demo
    s = member_statement(problem, allocation, "marston-green", max_solves=0)
    (imp,) = s.improvements
    assert imp.status is None and imp.award_then is None and imp.lot_awards == {}
    assert s.not_solved == 1 and "not solved again" in imp.words
    assert "not solved again" in s.to_markdown()


# -- capacity -------------------------------------------------------------------------------------


def test_an_award_held_by_its_own_capacity_is_at_least_its_fair_share():
    data = simple_problem({"a": "100", "b": "2000"}, policy={"rule": "constrained_equal_awards"})
    problem = Problem.model_validate(data)
    s = member_statement(problem, solve(problem), "a")
    (hold,) = s.capacity_holds
    assert hold.lots == ["l1"] and not hold.pooled and hold.relaxed_to is None
    assert hold.award == Decimal("100.00") and hold.award >= hold.fair_share
    assert s.lots[0].bound_by == ["capacity"]


def test_a_pooled_capacity_below_the_fair_shares_is_solved_again_raised():
    lots = [{"id": f"l{j}", "value": "1000", "theme": "advice", "area": "Luton"} for j in (1, 2)]
    data: dict[str, Any] = {
        "members": [member("a"), member("b")],
        "contracts": [{"id": "c1", "commissioner": "Luton BC", "value": "2000", "lots": lots}],
        "capacities": [
            {"member": "a", "theme": "advice", "amount": "400"},
            {"member": "b", "lot": "l1", "amount": "1000"},
            {"member": "b", "lot": "l2", "amount": "1000"},
        ],
    }
    problem = Problem.model_validate(data)
    allocation = solve(problem)
    s = member_statement(problem, allocation, "a")
    (hold,) = s.capacity_holds
    assert hold.pooled and hold.lots == ["l1", "l2"] and hold.capacity == Decimal("400.00")
    assert hold.award == allocation.award("a") and hold.award < hold.fair_share
    assert Decimal("399.98") <= hold.award <= Decimal("400.00")  # the pool, to a penny
    assert hold.relaxed_to is not None and hold.relaxed_to > hold.capacity
    raised = copy.deepcopy(data)
    raised["capacities"][0]["amount"] = str(hold.relaxed_to)
    again = solve(Problem.model_validate(raised))
    assert hold.award_then == again.award("a")
    assert hold.award_then is not None and hold.award_then >= hold.fair_share - Decimal("0.02")


# -- refused ---------------------------------------------------------------------------------------


def test_refuses_unknown_member_another_problems_allocation_and_no_allocation(demo):
    problem, allocation = demo
    with pytest.raises(StatementError, match="member: no member with id 'nobody'"):
        member_statement(problem, allocation, "nobody")
    other = Problem.model_validate(simple_problem({"a": "600"}))
    with pytest.raises(StatementError, match=r"audit\.fingerprint: .*another problem"):
        member_statement(other, allocation, "a")
    short = Problem.model_validate(simple_problem({"a": "10"}))
    with pytest.raises(StatementError, match=r"status: .*'infeasible'"):
        member_statement(short, solve(short), "a")
    with pytest.raises(StatementError, match=r"max_solves .* not -1"):
        member_statement(problem, allocation, "luton-advice", max_solves=-1)


# -- rendering ----------------------------------------------------------------------------------


class _Balanced(HTMLParser):
    """Every element closed in order; text collected."""

    VOID: ClassVar[set[str]] = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Balanced:
    parser = _Balanced()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    return parser


def test_html_is_well_formed_and_holds_the_members_figures(demo):
    problem, allocation = demo
    for s in member_statements(problem, allocation):
        page = s.to_html(date=DATE)
        parsed = _parse(page)
        text = " ".join(parsed.text)
        assert "script" not in parsed.tags and "http" not in page
        assert s.name in text and "1 March 2026" in text
        assert f"£{s.award:,.2f}" in text and f"£{s.top_slice_total:,.2f}" in text
        for line in s.lots:
            if line.eligible:
                assert f"£{line.award:,.2f}" in text
        assert "allocate check-certificate problem.json allocation.json" in text
        markdown = s.to_markdown()
        assert f"£{s.award:,.2f}" in markdown and f"# Statement for {s.name}" in markdown


def test_text_from_the_input_is_escaped_and_the_date_reproducible(monkeypatch):
    data = simple_problem({"a<b>": "600", "b&c": "700"})
    data["members"][0]["name"] = "<script>x</script> & Co"
    problem = Problem.model_validate(data)
    s = member_statement(problem, solve(problem), "a<b>")
    page = s.to_html(date=DATE)
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt; &amp; Co" in page
    _parse(page)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert s.to_html() == s.to_html(date=dt.date(2026, 1, 1))


def test_file_names_are_safe_and_distinct_for_odd_ids():
    ids = [
        "luton-advice",
        "../../etc/passwd",
        "a/b",
        "a_b",
        "A",
        "a",
        ".hidden",
        "x y",
        "é",
        "CON",
        "index",
        "x" * 200,
        "allocation",
    ]
    stems = file_stems(ids)
    assert len({s.casefold() for s in stems.values()}) == len(ids)
    for stem in stems.values():
        assert stem.startswith("statement-") and len(stem) < 120
        assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in stem), stem
    assert stems["luton-advice"] == "statement-luton-advice"
    assert file_stems(list(reversed(ids)))["luton-advice"] == "statement-luton-advice"
