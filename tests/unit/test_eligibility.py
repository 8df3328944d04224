import pytest

from allocate import Problem
from allocate.pipeline.eligibility import Reason, assess, describe_reasons
from tests.conftest import member, simple_problem


def _reasons(data, member_pos=0):
    p = Problem.model_validate(data)
    e = assess(p)
    return p, e, e.reasons_of(0, member_pos)


@pytest.mark.parametrize(
    ("change", "reason", "words"),
    [
        ({"membership": "associate"}, Reason.ASSOCIATE, "associate"),
        ({"qa_passed": False}, Reason.QA_NOT_PASSED, "quality assurance"),
        ({"quality_score": 0.5}, Reason.QUALITY, "quality score 0.5 is below the threshold 0.6"),
        ({"reporting_compliance": 0.2}, Reason.REPORTING, "reporting compliance 0.2"),
        ({"themes": ["health"]}, Reason.THEME, "theme 'advice'"),
        ({"areas": ["Bedford"]}, Reason.AREA, "area 'Luton'"),
    ],
)
def test_each_reason_excludes_and_is_explained(change, reason, words):
    data = simple_problem(
        {"a": "600", "b": "700"}, policy={"quality_threshold": 0.6, "reporting_threshold": 0.5}
    )
    data["members"][0].update(change)
    p, e, reasons = _reasons(data)
    assert reasons == [reason]
    assert not e.eligible[0, 0] and e.eligible[0, 1]
    text = " ".join(describe_reasons(p, "a", "l1", int(e.reasons[0, 0])))
    assert words in text


def test_all_reasons_are_recorded_not_just_the_first():
    data = simple_problem({"a": "600", "b": "700"}, policy={"quality_threshold": 0.9})
    data["members"][0].update(membership="associate", qa_passed=False, areas=["Bedford"])
    _, _, reasons = _reasons(data)
    assert reasons == [Reason.ASSOCIATE, Reason.QA_NOT_PASSED, Reason.QUALITY, Reason.AREA]


def test_no_capacity_and_zero_capacity_exclude():
    data = simple_problem({"a": "600", "b": "0"})
    data["members"].append(member("c"))
    p = Problem.model_validate(data)
    e = assess(p)
    assert e.reasons_of(0, 1) == [Reason.NO_CAPACITY]
    assert e.reasons_of(0, 2) == [Reason.NO_CAPACITY]
    assert bool(e.declared[0, 1]) and not bool(e.declared[0, 2])


def test_threshold_equal_to_score_is_eligible():
    data = simple_problem({"a": "600"}, policy={"quality_threshold": 0.8})
    _, e, reasons = _reasons(data)
    assert reasons == [] and bool(e.eligible[0, 0])


def test_unit_capacity_given_in_money_is_whole_units():
    data = simple_problem({"a": "1000"})
    lot = data["contracts"][0]["lots"][0]
    lot.update(unit="session", unit_price="100")
    data["capacities"] = [{"member": "a", "lot": "l1", "amount": "550"}]
    e = assess(Problem.model_validate(data))
    assert int(e.capacity[0, 0]) == 5
