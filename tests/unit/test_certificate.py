"""Certificates on small problems, against an independent exact verifier written here.

The oracle: on one lot whose only conditions are the budget and an upper bound per member (its
capacity and a share cap), the leximin split of ratios to fair shares is water-filling,
``x_i = min(u_i, φ_i·λ)`` with ``Σx = pot``, worked out here with fractions.  The verifier: each
stage's bound recomputed densely, from rows this test writes itself, and compared with the
oracle's optimum (a bound below the true optimum would be a false proof).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from allocate import Problem, check_certificate, solve
from allocate.core.rules import level_share, rule_level
from tests.conftest import simple_problem

POT = 90_000  # pence: £1,000 less a 10% top-slice
CAPS = {"m1": 50_000, "m2": 40_000, "m3": 30_000}  # pence
TOP_SLICE = {"max_rate": "0.1", "target_rate": "0.1", "method": "fixed", "rate": "0.1"}


def _problem(share: str | None = None, **policy: Any) -> Problem:
    data = simple_problem({m: str(Decimal(c) / 100) for m, c in CAPS.items()}, value="1000")
    data["top_slice"] = TOP_SLICE
    if share is not None:
        policy["max_member_share"] = share
    data["policy"] = policy
    return Problem.model_validate(data)


def _fair() -> dict[str, Fraction]:
    total = sum(CAPS.values())
    return {m: Fraction(POT * c, total) for m, c in CAPS.items()}


def _water(upper: dict[str, Fraction], fair: dict[str, Fraction]) -> dict[str, Fraction]:
    """The leximin split on one lot with per-member upper bounds: the oracle, by sorting."""
    order = sorted(fair, key=lambda m: upper[m] / fair[m])
    left, rest = Fraction(POT), dict(fair)
    out: dict[str, Fraction] = {}
    for m in order:
        level = left / sum(rest.values())
        if upper[m] / fair[m] <= level:
            out[m] = upper[m]
        else:
            out[m] = fair[m] * level
        left -= out[m]
        del rest[m]
    return out


def _dense_bound(
    stage: Any, rising: set[str], held: dict[str, Fraction], upper: dict[str, Fraction]
) -> Fraction:
    """One stage's bound on the level, from this test's own rows (one lot, share caps)."""
    fair = _fair()
    den = int(stage.denominator)
    lam = {name: Fraction(int(n), den) for name, n in stage.multipliers.items()}
    const = Fraction(0)
    d = {m: Fraction(0) for m in CAPS}
    d_t = Fraction(1)
    for name, v in lam.items():
        kind, _, rest = name.partition(":")
        if kind == "budget":  # Σx ≤ pot, signed
            const += v * POT
            for m in d:
                d[m] -= v
        elif kind == "ratio":  # x_m − φ_m·t ≥ 0
            m = rest.split(":")[0]
            assert m in rising and v >= 0
            d[m] += v
            d_t -= v * fair[m]
        elif kind == "hold":  # x_m ≥ held
            m = rest.split(":")[0]
            assert m in held and v >= 0
            d[m] += v
            const -= v * held[m]
        elif kind == "max_member_share":  # x_m ≤ ⌊share × pot⌋
            m = rest.split(":")[0]
            assert v >= 0
            d[m] -= v
            const += v * int(upper[m])
        else:
            raise AssertionError(f"unexpected condition {name}")
    top = min(Fraction(CAPS[m]) / fair[m] for m in rising)
    box = sum((d[m] * (CAPS[m] if d[m] > 0 else 0) for m in d), Fraction(0))
    return const + box + max(Fraction(0), d_t * top)


def test_a_share_cap_s_certificate_matches_the_oracle_and_an_independent_bound():
    problem = _problem(share="0.35")
    allocation = solve(problem)
    cert = allocation.certificate
    assert cert is not None and cert.kind == "leximin"
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures

    fair = _fair()
    cap = Fraction(int(Fraction("0.35") * POT))
    upper = {m: min(Fraction(c), cap) for m, c in CAPS.items()}
    oracle = _water(upper, fair)
    for m, x in oracle.items():
        assert abs(Fraction(allocation.award(m)) * 100 - x) <= 1

    rising, held = set(CAPS), {}
    for stage in cert.stages:
        bound = _dense_bound(stage, rising, held, upper)
        level = Fraction(stage.level)
        # the true optimum of the stage: the least ratio among the rising, in the oracle
        optimum = min(oracle[m] / fair[m] for m in rising)
        assert bound >= optimum  # sound: never below what an allocation reaches
        assert bound - level < Fraction(1, 10**9)  # and tight
        assert abs(level - optimum) < Fraction(1, 10**9)
        for f in stage.frozen:
            held[f.member] = fair[f.member] * level if f.at == "level" else upper[f.member]
            rising.discard(f.member)
    assert not rising


def test_the_closed_form_certificate_gives_every_member_its_fair_share():
    problem = _problem()
    allocation = solve(problem)
    cert = allocation.certificate
    assert cert is not None and cert.kind == "closed_form"
    (level,) = cert.water_levels
    # proportional: x = λ·c with λ = pot / Σc (in pence per pence of capacity)
    assert Fraction(level.level) == Fraction(POT, sum(CAPS.values()))
    assert level.capped == []
    assert check_certificate(problem, allocation).ok


def test_an_infeasible_share_cap_carries_a_farkas_combination_checked_here():
    problem = _problem(share="0.25")  # 3 × £225 < £900
    allocation = solve(problem)
    cert = allocation.certificate
    assert cert is not None and cert.kind == "infeasible" and cert.farkas is not None
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    assert "no allocation exists" in found.proved
    # independently: Σ ν·row (each as ≥) needs more than the boxes allow
    den = int(cert.farkas.denominator)
    nu = {k: Fraction(int(v), den) for k, v in cert.farkas.multipliers.items()}
    cap = int(Fraction("0.25") * POT)
    need = Fraction(0)
    coef = {m: Fraction(0) for m in CAPS}
    for name, v in nu.items():
        if name.startswith("budget:"):
            need += v * POT
            for m in coef:
                coef[m] += v
        else:
            m = name.split(":")[1]
            need -= v * cap
            coef[m] -= v
    allow = sum((c * CAPS[m] if c > 0 else Fraction(0) for m, c in coef.items()), Fraction(0))
    assert allow < need
    assert any(m.startswith("budget:") for m in nu)


def _tampered(allocation: Any, **changes: Any) -> Any:
    cert = allocation.certificate
    return allocation.model_copy(update={"certificate": cert.model_copy(update=changes)})


def test_an_unknown_condition_or_a_negative_multiplier_is_refused():
    problem = _problem(share="0.35")
    allocation = solve(problem)
    stages = list(allocation.certificate.stages)
    first = stages[0]
    unknown = {**first.multipliers, "max_member_share:nobody:c1": "1"}
    stages[0] = first.model_copy(update={"multipliers": unknown})
    found = check_certificate(problem, _tampered(allocation, stages=stages))
    assert not found.ok and "no condition" in found.failures[0]
    name = next(k for k in first.multipliers if k.startswith("ratio:"))
    negative = {**first.multipliers, name: "-1"}
    stages[0] = first.model_copy(update={"multipliers": negative})
    found = check_certificate(problem, _tampered(allocation, stages=stages))
    assert not found.ok and "negative" in found.failures[0]


def test_a_choice_the_allocation_contradicts_is_refused():
    problem = _problem(share="0.35", min_award="100")
    allocation = solve(problem)
    cert = allocation.certificate
    assert cert is not None and len(cert.choice.made) == 3
    closed = [cert.choice.made[0]]
    choice = cert.choice.model_copy(update={"made": cert.choice.made[1:], "closed": closed})
    found = check_certificate(problem, _tampered(allocation, choice=choice))
    assert not found.ok
    assert any("outside" in f for f in found.failures)


def test_an_allocation_without_a_certificate_is_refused():
    problem = _problem()
    allocation = solve(problem, certificate=False)
    assert allocation.certificate is None
    found = check_certificate(problem, allocation)
    assert not found.ok and found.failures == ["the allocation carries no certificate"]


def test_a_certificate_for_another_problem_is_refused():
    problem = _problem(share="0.35")
    other = copy.deepcopy(problem.model_dump(mode="json"))
    other["capacities"][0]["amount"] = "450"
    found = check_certificate(Problem.model_validate(other), solve(problem))
    assert not found.ok


@pytest.mark.parametrize(
    ("rule", "estate", "shares", "capped"),
    [
        ("constrained_equal_awards", 450, [100, 175, 175], [0]),
        ("constrained_equal_losses", 300, [0, 50, 150], [0]),
        ("talmud", 200, [50, 75, 75], [0]),
        ("talmud", 400, [50, 125, 225], [0]),
    ],
)
def test_a_rule_s_level_gives_its_shares(rule, estate, shares, capped):
    claims = [Fraction(c) for c in (100, 200, 300)]
    ones = [Fraction(1)] * 3
    want = [Fraction(s) for s in shares]
    found = rule_level(rule, Fraction(estate), claims, ones, want)
    assert found is not None
    level, who = found
    assert who == capped
    over_half = 2 * estate > sum(claims)
    assert [level_share(rule, c, 1, level, over_half) for c in claims] == want
    # a level that is not the rule's gives other shares
    assert [level_share(rule, c, 1, level + 1, over_half) for c in claims] != want
