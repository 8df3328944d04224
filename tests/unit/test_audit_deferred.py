"""The audit builds its pair table, member summaries and fingerprint when first read, the same."""

from __future__ import annotations

import copy
import json
import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import BaseModel, TypeAdapter

from allocate import Allocation, Award, Problem, solve
from allocate.core.outcome import Deferred, PairTable
from allocate.pipeline.eligibility import assess, describe_reasons, ineligible_sentences
from allocate.synthetic import consortium


def _fresh(problem: Problem) -> Allocation:
    a = solve(problem)
    assert isinstance(a.audit.pairs.__dict__["explanation"], Deferred)
    return a


@pytest.fixture(scope="module")
def problem() -> Problem:
    # pools, thresholds and associates give the member's own reasons and the lots'; two
    # exclusions (a lot, a contract) the pair's
    base = consortium(60, 6, seed=4, side_constraints=["pooled_capacities"])
    lot, contract = base.contracts[0].lots[0], base.contracts[-1]
    exclusions = [
        {"member": base.members[0].id, "lot": lot.id, "reason": "a conflict of interest"},
        {"member": base.members[1].id, "contract": contract.id, "reason": "the commissioner"},
    ]
    return base.evolve(policy={**base.policy.model_dump(), "exclusions": exclusions})


def test_every_sentence_is_the_reasons_in_words(problem: Problem) -> None:
    a = _fresh(problem)
    t = a.audit.pairs
    e = assess(problem)
    n_m = len(e.member_ids)
    kinds = set()
    for k in range(len(t)):
        mask = int(e.reasons.reshape(-1)[k])
        assert t.member[k] == e.member_ids[k % n_m] and t.lot[k] == e.lot_ids[k // n_m]
        if mask:
            words = describe_reasons(problem, t.member[k], t.lot[k], mask)
            assert t.explanation[k] == "not eligible: " + "; ".join(words)
            kinds |= set(t.reasons[k])
        else:
            assert not t.explanation[k].startswith("not eligible")
    assert {"associate", "theme", "area", "no_capacity", "excluded"} <= kinds


def test_an_eligible_pair_left_without_words_reads_empty(problem: Problem) -> None:
    e = assess(problem)
    n = e.reasons.size
    out = ineligible_sentences(e, [None] * n)
    flat = e.reasons.reshape(-1).tolist()
    assert all((text == "") == (mask == 0) for text, mask in zip(out, flat, strict=True))


def test_reading_dumping_and_comparing_give_the_same_column(problem: Problem) -> None:
    read = _fresh(problem)
    words = read.audit.pairs.explanation
    assert isinstance(words, list) and read.audit.pairs.__dict__["explanation"] is words
    dumped = _fresh(problem)
    assert dumped.model_dump_json() == read.model_dump_json()
    assert _fresh(problem).model_dump()["audit"]["pairs"]["explanation"] == words
    assert _fresh(problem) == read and read == _fresh(problem)
    back = Allocation.model_validate_json(_fresh(problem).model_dump_json())
    assert back == _fresh(problem)
    assert dict(_fresh(problem).audit.pairs)["explanation"] == words
    assert "Deferred" not in repr(_fresh(problem).audit.pairs)


def test_any_way_pydantic_serialises_it_makes_the_deferred_parts(problem: Problem) -> None:
    text = _fresh(problem).model_dump_json()

    class Envelope(BaseModel):
        allocation: Allocation

    wrapped = Envelope(allocation=_fresh(problem)).model_dump_json()
    assert wrapped == '{"allocation":' + text + "}"
    assert TypeAdapter(Allocation).dump_json(_fresh(problem)).decode() == text
    assert _fresh(problem).audit.model_dump_json() in text
    assert _fresh(problem).model_dump(mode="json") == json.loads(text)


def test_copies_and_pickles_carry_the_sentences(problem: Problem) -> None:
    words = _fresh(problem).audit.pairs.explanation
    assert pickle.loads(pickle.dumps(_fresh(problem))).audit.pairs.explanation == words
    deep = copy.deepcopy(_fresh(problem))
    assert deep.audit.pairs.__dict__["explanation"] == words
    shallow = _fresh(problem).audit.pairs.model_copy()
    assert shallow.explanation == words
    assert _fresh(problem).pairs_frame()["explanation"].tolist() == words


def test_a_deferred_column_is_made_once() -> None:
    calls = []

    def make() -> list[str]:
        calls.append(1)
        return ["x"]

    column = Deferred(make)
    assert column.value() is column.value() and calls == [1]


def test_the_column_stays_a_field_and_read_only() -> None:
    assert "explanation" in PairTable.model_fields
    t = PairTable.model_validate(
        {
            name: [None] if name not in ("member", "lot", "contract", "explanation") else ["x"]
            for name in PairTable.model_fields
        }
        | {"eligible": [True], "reasons": [[]], "fair_share": ["0"], "award": ["0"]}
    )
    assert t.explanation == ["x"]
    with pytest.raises(ValueError, match="frozen"):
        t.explanation = ["y"]  # type: ignore[misc]


def test_awards_made_in_bulk_behave_as_validated_ones(problem: Problem) -> None:
    a = solve(problem)
    first, second = a.awards[0], a.awards[1]
    every = set(Award.model_fields)
    assert first.model_fields_set == every and second.model_fields_set == every
    assert first == Award.model_validate(first.model_dump())
    changed = first.model_copy(update={"units": 7})
    assert changed.units == 7 and first.model_fields_set == every == changed.model_fields_set
    assert first.model_dump(exclude_unset=True) == first.model_dump()
    back = pickle.loads(pickle.dumps(a.awards))
    assert back == a.awards
    with pytest.raises(ValueError, match="frozen"):
        first.amount = first.amount  # type: ignore[misc]


def test_threads_reading_it_first_at_once_all_get_it(problem: Problem) -> None:
    words = _fresh(problem).audit.pairs.explanation
    a = _fresh(problem)
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda _: a.audit.pairs.explanation, range(16)))
    assert all(g == words for g in got)
