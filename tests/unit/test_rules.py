from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocate import rules
from allocate.core.rules import lot_shares

# Aumann & Maschler (1985), the Talmud's marriage-contract table: claims 100, 200, 300.
TALMUD_TABLE = {
    100: [Fraction(100, 3)] * 3,
    200: [50, 75, 75],
    300: [50, 100, 150],
}


@pytest.mark.parametrize("estate", sorted(TALMUD_TABLE))
def test_talmud_reproduces_the_published_table(estate):
    assert rules.talmud(estate, [100, 200, 300]) == [Fraction(x) for x in TALMUD_TABLE[estate]]


def test_proportional_cea_cel_on_the_same_problem():
    claims = [100, 200, 300]
    assert rules.proportional(300, claims) == [50, 100, 150]
    assert rules.constrained_equal_awards(300, claims) == [100, 100, 100]
    assert rules.constrained_equal_losses(300, claims) == [0, 100, 200]


def test_rules_reject_bad_input():
    with pytest.raises(ValueError, match="exceeds"):
        rules.proportional(700, [100, 200, 300])
    with pytest.raises(ValueError, match="negative"):
        rules.proportional(10, [-1, 20])
    with pytest.raises(TypeError, match="exact"):
        rules.proportional(1.5, [1, 2])


claims_st = st.lists(st.integers(0, 10**6), min_size=1, max_size=12)


@given(claims=claims_st, data=st.data())
def test_water_fill_matches_the_level_definition(claims, data):
    weights = data.draw(st.lists(st.integers(1, 1000), min_size=len(claims), max_size=len(claims)))
    estate = data.draw(st.integers(0, sum(claims)))
    shares = rules.water_fill(estate, claims, weights)
    xs = [Fraction(n, shares.denominator) for n in shares.numerators]
    assert sum(xs) == estate
    assert all(0 <= x <= c for x, c in zip(xs, claims, strict=True))
    # every uncapped positive claimant sits at one common level x / w
    levels = {x / w for x, c, w in zip(xs, claims, weights, strict=True) if x < c}
    assert len(levels) <= 1
    if levels:
        level = levels.pop()
        # capped claimants reached their claim below the level
        assert all(
            Fraction(c, w) <= level
            for x, c, w in zip(xs, claims, weights, strict=True)
            if x == c and c > 0
        )


@given(claims=claims_st, data=st.data())
def test_every_rule_is_a_valid_division(claims, data):
    estate = data.draw(st.integers(0, sum(claims)))
    for name, rule in rules.RULES.items():
        if name.startswith("weighted"):
            xs = rule(estate, claims, [1] * len(claims))
        else:
            xs = rule(estate, claims)
        assert sum(xs) == estate, name
        assert all(0 <= x <= c for x, c in zip(xs, claims, strict=True)), name


@given(claims=claims_st, data=st.data())
def test_cea_and_cel_are_dual(claims, data):
    estate = data.draw(st.integers(0, sum(claims)))
    total = sum(claims)
    cel = rules.constrained_equal_losses(estate, claims)
    cea_losses = rules.constrained_equal_awards(total - estate, claims)
    assert [c - x for c, x in zip(claims, cel, strict=True)] == cea_losses


@given(claims=claims_st, data=st.data())
def test_talmud_and_proportional_are_self_dual(claims, data):
    estate = data.draw(st.integers(0, sum(claims)))
    total = sum(claims)
    for rule in (rules.talmud, rules.proportional):
        direct = rule(estate, claims)
        dual = [c - x for c, x in zip(claims, rule(total - estate, claims), strict=True)]
        assert direct == dual


def as_fractions(shares):
    return [Fraction(n, shares.denominator) for n in shares.numerators]


@given(claims=claims_st, data=st.data())
def test_lot_shares_agree_with_the_exact_rules(claims, data):
    estate = data.draw(st.integers(0, sum(claims)))
    factors = data.draw(
        st.lists(
            st.fractions(min_value=Fraction(1, 10), max_value=10, max_denominator=12),
            min_size=len(claims),
            max_size=len(claims),
        )
    )
    for name, rule in rules.RULES.items():
        got = as_fractions(lot_shares(name, estate, claims, factors))
        if name == "weighted_proportional":
            expected = rule(estate, claims, [f * c for f, c in zip(factors, claims, strict=True)])
        elif name == "weighted_constrained_equal_awards":
            expected = rule(estate, claims, factors)
        else:
            expected = rule(estate, claims)
        assert got == expected, name


@pytest.mark.parametrize(
    "name", ["proportional", "constrained_equal_awards", "constrained_equal_losses", "talmud"]
)
@pytest.mark.parametrize("estate", [0, 100, 200, 300, 301, 500, 600])
def test_lot_shares_agree_with_the_exact_rules_on_the_talmud_claims(name, estate):
    # both sides of half the claims (300), where the Talmud rule changes formula
    claims = [100, 200, 300]
    assert as_fractions(lot_shares(name, estate, claims)) == rules.RULES[name](estate, claims)


@pytest.mark.parametrize("rule", ["weighted_proportional", "weighted_constrained_equal_awards"])
def test_zero_weights_share_only_what_the_weighted_cannot_absorb(rule):
    factors = [Fraction(1), Fraction(0), Fraction(0)]
    assert as_fractions(lot_shares(rule, 20, [30, 40, 60], factors)) == [20, 0, 0]
    # 30 fills the weighted claim; the other 70 goes 40:60 to the zero-weighted
    assert as_fractions(lot_shares(rule, 100, [30, 40, 60], factors)) == [30, 28, 42]


def test_lot_shares_reject_bad_input():
    with pytest.raises(ValueError, match="outside"):
        lot_shares("proportional", 11, [5, 5])
    with pytest.raises(ValueError, match="unknown rule"):
        lot_shares("lottery", 5, [5, 5])
    with pytest.raises(ValueError, match="one weight factor per claim"):
        lot_shares("weighted_proportional", 5, [5, 5], [Fraction(1)])
