"""The input model: frozen, validated pydantic classes.

A :class:`Problem` holds everything :func:`allocate.solve` needs: the consortium's members, the
contracts it has won (each split into lots), what each member can deliver on each lot, the hub's
costs, the top-slice policy and the allocation policy.

Every class is immutable and rejects unknown fields.  Money is :class:`~decimal.Decimal` with at
most two decimal places (JSON strings or numbers accepted).  Invalid input raises
:class:`~allocate.ProblemError` listing *every* problem found, each naming the location, the id
and the offending value.  What-ifs are made with :meth:`Problem.evolve`, which returns a validated
copy.

Examples
--------
>>> problem = Problem.model_validate({
...     "members": [
...         {"id": "a", "membership": "full", "annual_income": "50000", "quality_score": 0.8,
...          "qa_passed": True, "reporting_compliance": 0.9, "themes": ["advice"],
...          "areas": ["Luton"]},
...     ],
...     "contracts": [
...         {"id": "c1", "commissioner": "Luton BC", "value": "1000", "lots": [
...             {"id": "l1", "value": "1000", "theme": "advice", "area": "Luton"}]},
...     ],
...     "capacities": [{"member": "a", "lot": "l1", "amount": "2000"}],
... })
>>> problem.members[0].size_band
<SizeBand.SMALL: 'small'>
"""

from __future__ import annotations

import dataclasses
import operator
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializerFunctionWrapHandler,
    ValidationError,
    WithJsonSchema,
    model_serializer,
    model_validator,
)

from allocate.core import families, jsontext, present
from allocate.core.errors import Issue, ProblemError
from allocate.core.money import MAX_MONEY, format_money, parse_money, parse_number, parse_rate

__all__ = [
    "AwardMode",
    "Bid",
    "Capacity",
    "CashFlowTerms",
    "ClientGroup",
    "Competition",
    "Contract",
    "Exclusion",
    "Hub",
    "Lot",
    "Member",
    "MemberPayBasis",
    "MemberPaymentTerms",
    "Membership",
    "Money",
    "PaymentFrequency",
    "PaymentTerms",
    "PaymentTiming",
    "Policy",
    "PriceScoring",
    "Problem",
    "Rate",
    "Rule",
    "SavingUse",
    "SizeBand",
    "SocialValueTargets",
    "Split",
    "TenderPolicy",
    "TenderWeights",
    "TopSliceMethod",
    "TopSlicePolicy",
    "WeightFactor",
    "declared_capacity",
]

_MONEY_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*\d+(\.\d{1,2})?\s*$"},
        {"type": "number", "minimum": 0},
    ],
    "description": "Pounds, non-negative, at most two decimal places (a string keeps it exact).",
}
#: Money as every output writes it: a string with exactly two decimal places.
_MONEY_OUT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\d+\.\d{2}$",
    "description": "Pounds, exact, as a string with two decimal places.",
}
_RATE_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string"}, {"type": "number", "minimum": 0, "maximum": 1}],
    "description": "A rate between 0 and 1 inclusive.",
}

#: An amount of money in pounds: exact Decimal, non-negative, at most two decimal places.
#: Serialised to JSON as a string so that no precision is ever lost.  (``parse_money`` gives a
#: finite Decimal or raises, so pydantic's own Decimal check would add nothing but time.)
Money = Annotated[
    Decimal,
    PlainValidator(parse_money),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    WithJsonSchema(_MONEY_SCHEMA, mode="validation"),
    WithJsonSchema(_MONEY_OUT_SCHEMA, mode="serialization"),
]
#: A rate between 0 and 1, exact.
Rate = Annotated[
    Decimal,
    BeforeValidator(parse_rate),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema(_RATE_SCHEMA),
]
#: A positive multiple up to 100 (of a member's income), exact.
Multiple = Annotated[
    Decimal,
    BeforeValidator(lambda value: parse_number(value, "multiple")),
    Field(gt=0, le=100),
]


#: The full cost of a pound of award: positive, at most 100, exact.
CostRatio = Annotated[
    Decimal,
    BeforeValidator(lambda value: parse_number(value, "cost ratio")),
    Field(gt=0, le=100),
]
#: Months a payment may come after the period it pays for (up to five years).
Months = Annotated[int, BeforeValidator(lambda value: _whole_number(value)), Field(ge=0, le=60)]


def _whole_number(value: Any) -> Any:
    """Refuse a number whose conversion to a whole number would not end (``Decimal('1e-9999999')``).

    Anything else goes on to pydantic's own integer validation, which names the field.
    """
    if isinstance(value, Decimal) and value.is_finite() and value and abs(value.adjusted()) > 100:
        raise ValueError(f"the number {value} is out of range for a whole number")
    return value


def _profile_weight(value: Any) -> Decimal:
    """A delivery-profile weight: a non-negative exact number up to a million."""
    weight = parse_number(value, "profile weight")
    if weight < 0 or weight > 1_000_000:
        raise ValueError(f"a profile weight must be between 0 and 1000000, not {weight}")
    return weight


#: Most years a contract may run, or be in (and the latest glide-path target year).
MAX_YEARS = 100
#: Most units a capacity may declare (a trillion pounds at a penny a unit is 10**14).
MAX_UNITS = 10**14
#: Most providers per area a policy may ask for.
MAX_PROVIDERS = 1_000_000
#: A score between 0 and 1 (quality, reporting compliance).
Score = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
#: An identifier: non-empty, no surrounding white space.
Identifier = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]
#: A short label such as a theme or an area.
Label = Annotated[str, Field(min_length=1, max_length=200)]


class _Frozen(BaseModel):
    """Base of every input class: immutable, unknown fields rejected, docstrings as field docs.

    Fields added after the first published format (money over time, issue 15) are declared with
    :data:`ABSENT` (or :data:`ABSENT_FALSE`) and left out of a dump while they hold their default:
    a problem that does not use them dumps (and so fingerprints) exactly as it did before they
    existed.  The leaving out is pydantic's own ``exclude_if``, done as each field is written,
    so a county's dump calls no Python per member or capacity.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        validate_default=True,
        ser_json_inf_nan="strings",
    )


def _is_none(value: object) -> bool:
    return value is None


def _is_false(value: object) -> bool:
    return value is False


#: A field absent by default: None, left out of every dump while it is None.
ABSENT: Any = Field(default=None, exclude_if=_is_none)
#: A switch absent by default: False, left out of every dump while it is False.
ABSENT_FALSE: Any = Field(default=False, exclude_if=_is_false)


def read_object(text: str | bytes | bytearray) -> dict[str, Any]:
    """A JSON object read strictly (:mod:`allocate.core.jsontext`), or a :class:`ProblemError`.

    Duplicate keys, ``NaN``, overlong numbers, deep nesting and a top level that is not an
    object are refused by name.
    """
    try:
        raw = jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise ProblemError([Issue(exc.where, str(exc))]) from None
    if not isinstance(raw, dict):
        raise ProblemError(
            [Issue("", f"the top level must be a JSON object, not {type(raw).__name__}")]
        )
    return raw


class Membership(StrEnum):
    """Level of membership (prospectus, section 13)."""

    FULL = "full"
    """May hold sub-contracts and vote."""
    ASSOCIATE = "associate"
    """May vote and receive support, but may not hold sub-contracts."""


class SizeBand(StrEnum):
    """The sector's size bands by annual income (NCVO Almanac)."""

    MICRO = "micro"
    """Under £10,000."""
    SMALL = "small"
    """£10,000 to under £100,000."""
    MEDIUM = "medium"
    """£100,000 to under £1m."""
    LARGE = "large"
    """£1m to under £10m."""
    MAJOR = "major"
    """£10m and over."""

    @classmethod
    def of(cls, income: Decimal) -> SizeBand:
        """The band of an annual income.

        >>> SizeBand.of(Decimal("9999.99")), SizeBand.of(Decimal("10000"))
        (<SizeBand.MICRO: 'micro'>, <SizeBand.SMALL: 'small'>)
        """
        for upper, band in _BAND_UPPER_LIMITS:
            if income < upper:
                return band
        return cls.MAJOR


_BAND_UPPER_LIMITS: tuple[tuple[Decimal, SizeBand], ...] = (
    (Decimal(10_000), SizeBand.MICRO),
    (Decimal(100_000), SizeBand.SMALL),
    (Decimal(1_000_000), SizeBand.MEDIUM),
    (Decimal(10_000_000), SizeBand.LARGE),
)


class Member(_Frozen):
    """A member organisation of the consortium."""

    id: Identifier
    """Unique identifier of the member."""
    name: str | None = None
    """Display name; the id is shown when absent."""
    membership: Membership = Membership.FULL
    """``full`` members may hold sub-contracts; ``associate`` members may not."""
    annual_income: Money
    """Annual income in pounds; sets the size band."""
    quality_score: Score
    """Assessed quality, 0 (poor) to 1 (excellent)."""
    qa_passed: bool
    """Whether the member passed the consortium's quality assurance."""
    reporting_compliance: Score
    """Share of monitoring returns made on time and complete, 0 to 1."""
    themes: tuple[Label, ...] = ()
    """Service themes the member delivers (e.g. ``advice``, ``health``)."""
    areas: tuple[Label, ...] = ()
    """Areas the member serves (e.g. ``Luton``)."""
    impact_score: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] | None = None
    """Assessed potential impact, above 0 up to 1 (weights the weighted rules on request)."""
    reserves: Money | None = ABSENT
    """Unrestricted reserves in pounds: what the member can carry a contract's cash flow with."""
    based_in: Label | None = ABSENT
    """The area the organisation is based in (social value: money kept local)."""

    @property
    def size_band(self) -> SizeBand:
        """Size band derived from :attr:`annual_income`."""
        return SizeBand.of(self.annual_income)

    @property
    def label(self) -> str:
        """The name, or the id when there is no name."""
        return self.name or self.id


class AwardMode(StrEnum):
    """How a lot is awarded to members (prospectus, section 4)."""

    PLANNED = "planned"
    """By joint delivery planning: the fairness rule splits the lot (the default)."""
    SUB_TENDER = "sub_tender"
    """By an open, scored competition among the members' ``bids`` (``policy.tender``)."""


class ClientGroup(StrEnum):
    """How hard a lot's clients are to help (the case-mix constraint pairs the two)."""

    STANDARD = "standard"
    HARD_TO_HELP = "hard_to_help"


class Lot(_Frozen):
    """A part of a contract with its own value, service theme and area."""

    id: Identifier
    """Identifier, unique across the whole problem."""
    value: Money
    """Value of the lot in pounds (before the hub's top-slice)."""
    theme: Label
    """Service theme; only members delivering it are eligible."""
    area: Label
    """Area; only members serving it are eligible."""
    unit: Label | None = None
    """What the lot is priced per (``client``, ``session``), if it is unit-priced."""
    unit_price: Money | None = None
    """Price per unit; the lot value must be a whole number of units."""
    client_group: ClientGroup | None = None
    """``standard`` or ``hard_to_help`` clients, for the case-mix constraint."""
    service: Label | None = None
    """Service the lot belongs to for the case-mix constraint (the theme when absent)."""
    award: AwardMode | None = None
    """How the lot is awarded: ``planned`` or ``sub_tender`` (the contract's ``award`` when
    absent)."""

    @property
    def is_unit_priced(self) -> bool:
        """Whether capacities and awards are counted in whole units."""
        return self.unit_price is not None

    @property
    def units(self) -> int | None:
        """Number of whole units the lot buys, for unit-priced lots."""
        if self.unit_price is None or self.unit_price == 0:
            return None
        return int(self.value / self.unit_price)


class PaymentFrequency(StrEnum):
    """How often a commissioner pays: the length of a payment period."""

    MONTHLY = "monthly"
    """Periods of one month."""
    QUARTERLY = "quarterly"
    """Periods of three months."""
    ANNUAL = "annual"
    """Periods of twelve months."""

    @property
    def months(self) -> int:
        """The period's length in months."""
        return {"monthly": 1, "quarterly": 3, "annual": 12}[self.value]


class PaymentTiming(StrEnum):
    """Whether a period is paid at its start or after its end."""

    ADVANCE = "advance"
    """Paid in the first month of the period."""
    ARREARS = "arrears"
    """Paid ``lag_months`` after the period's last month."""


class PaymentTerms(_Frozen):
    """How a commissioner pays the consortium for a contract, and how delivery runs over a year.

    Each period is paid for the share of the contract delivered in it (the delivery profile): the
    ``results_share`` of it ``results_lag_months`` after the period's last month (payment by
    results, once the outcomes are known), the rest in advance (the period's first month) or in
    arrears (``lag_months`` after its last month).  See ``docs/concepts.md``, "Money over time".
    """

    frequency: PaymentFrequency = PaymentFrequency.MONTHLY
    """Monthly, quarterly or annual periods."""
    timing: PaymentTiming = PaymentTiming.ARREARS
    """In advance or in arrears."""
    lag_months: Months | None = None
    """In arrears: months after the period's last month the payment comes (1 when absent; 0:
    in its last month).  Not with ``advance``."""
    results_share: Rate = Decimal(0)
    """The share of each period's value paid by results."""
    results_lag_months: Months = 3
    """Months after the period's last month the payment-by-results share comes."""
    delivery_profile: tuple[Annotated[Decimal, BeforeValidator(_profile_weight)], ...] | None = None
    """Twelve non-negative weights, one per month of a contract year, of how delivery (and its
    cost) is spread; flat when absent.  The same each year of the term."""

    @property
    def arrears_lag(self) -> int:
        """Months after a period's end its arrears payment comes (0 in advance)."""
        if self.timing is PaymentTiming.ADVANCE:
            return 0
        return 1 if self.lag_months is None else self.lag_months


class MemberPayBasis(StrEnum):
    """How the hub pays its members."""

    BACK_TO_BACK = "back_to_back"
    """As the commissioner pays the hub: each member's share of every payment, ``days`` after
    the hub receives it."""
    ON_CLAIM = "on_claim"
    """Monthly claims for the month's delivery, paid in full ``days`` after the month's end (the
    hub carries the commissioner's terms)."""


class MemberPaymentTerms(_Frozen):
    """How the hub pays members (a month counts 30 days: 1 to 30 days is the next month)."""

    basis: MemberPayBasis = MemberPayBasis.BACK_TO_BACK
    """``back_to_back`` or ``on_claim``."""
    days: Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=365)] = 0
    """Days after the hub is paid (back to back) or after the claim (on claim)."""
    advance_bands: tuple[SizeBand, ...] = ()
    """Members of these size bands are paid each month's delivery in advance, in that month,
    out of the hub's money (the hub's forecast shows what it costs)."""


class CashFlowTerms(_Frozen):
    """Money over time: how the consortium is paid and pays, for the cash-flow forecast."""

    commissioner: PaymentTerms = PaymentTerms()
    """The commissioners' terms for contracts without ``payment_terms`` of their own."""
    members: MemberPaymentTerms = MemberPaymentTerms()
    """How the hub pays its members."""
    reserves_flag_share: Rate = Decimal(1)
    """The forecast flags a member whose peak working capital exceeds this share of its
    reserves (1: its whole reserves)."""


class SocialValueTargets(_Frozen):
    """Targets for the social value of an allocation, on every contract and in total.

    Each is optional; the audit says which are met and which are missed (they are reported,
    not enforced).
    """

    min_small_share: Rate | None = None
    """At least this share of the members' awards goes to micro and small organisations."""
    min_local_share: Rate | None = None
    """At least this share goes to organisations based in the lot's area."""
    min_organisations: (
        Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=MAX_PROVIDERS)] | None
    ) = None
    """At least this many organisations funded."""
    max_hub_share: Rate | None = None
    """The hub keeps at most this share of the contract value."""


class Contract(_Frozen):
    """A contract a commissioner has awarded to the consortium."""

    id: Identifier
    """Unique identifier of the contract."""
    commissioner: str = ""
    """Who awarded it (a council, a health body ...)."""
    value: Money
    """Total value in pounds over the whole term; equal to the sum of its lots."""
    year: Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=MAX_YEARS)] = 1
    """Contract year being allocated, 1 for the first (drives a glide-path top-slice)."""
    term_years: Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=MAX_YEARS)] = 1
    """Length of the contract in years."""
    lots: tuple[Lot, ...] = Field(min_length=1)
    """The lots; at least one."""
    award: AwardMode = AwardMode.PLANNED
    """How its lots are awarded unless a lot says otherwise: ``planned`` (joint delivery
    planning, the fairness rule) or ``sub_tender`` (an open, scored competition on ``bids``)."""

    def award_of(self, lot: Lot) -> AwardMode:
        """How ``lot`` (one of this contract's) is awarded."""
        return lot.award if lot.award is not None else self.award

    payment_terms: PaymentTerms | None = ABSENT
    """How the commissioner pays this contract (``cash_flow.commissioner`` when absent)."""

    @property
    def annual_value(self) -> Decimal:
        """Value per contract year."""
        return self.value / self.term_years


class Capacity(_Frozen):
    """What a member can deliver: on one lot, or pooled across the lots of a theme and/or area.

    A per-lot capacity names ``lot``, in money (``amount``) or, on a unit-priced lot, ``units``.
    A pooled capacity names ``theme`` and/or ``area`` instead of a lot: one ``amount`` shared by
    every matching lot of every contract (the portfolio).
    """

    member: Identifier
    """Id of the member."""
    lot: Identifier | None = None
    """Id of the lot (or give ``theme`` and/or ``area`` for a pooled capacity)."""
    theme: Label | None = None
    """Pooled capacity: the theme of the lots it covers."""
    area: Label | None = None
    """Pooled capacity: the area of the lots it covers."""
    amount: Money | None = None
    """Capacity in pounds."""
    units: Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=MAX_UNITS)] | None = None
    """Capacity in whole units (unit-priced lots only)."""
    unit_cost: Money | None = ABSENT
    """Full cost of delivering one unit, overheads included (unit-priced lots only)."""
    cost_ratio: CostRatio | None = ABSENT
    """Full cost of delivering a pound of award, overheads included (1.1: costs 10% more than
    it is paid); on any per-lot capacity, instead of ``unit_cost``."""


class Bid(_Frozen):
    """A member's bid for a sub-tendered lot, with the evaluation panel's scores."""

    member: Identifier
    """Id of the bidding member."""
    lot: Identifier
    """Id of the sub-tendered lot."""
    quality: Score
    """The panel's quality and contract-compliance score, 0 to 1."""
    social_value: Score | None = None
    """The panel's fairness, equity and social-value score (needed when weighted)."""
    impact: Score | None = None
    """The panel's potential-impact score (needed when weighted)."""
    price: Money | None = None
    """``price_quality`` only: the price for the whole lot, or per unit on unit-priced lots."""
    capacity: Money | None = None
    """The most of the lot the bidder can deliver, in pounds (or give ``capacity_units``)."""
    capacity_units: (
        Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=MAX_UNITS)] | None
    ) = None
    """The most of a unit-priced lot the bidder can deliver, in whole units."""
    unit_cost: Money | None = None
    """The bidder's own declared cost (per unit on unit-priced lots, else for the whole lot): a
    price below it is abnormally low."""


class Hub(_Frozen):
    """The consortium's central team, funded by the top-slice."""

    name: str = "hub"
    """Display name."""
    annual_cost: Money | None = None
    """What running the hub costs per year; needed by the ``cost_recovery`` method."""


class TopSliceMethod(StrEnum):
    """How the hub's top-slice rate is set."""

    FIXED = "fixed"
    """A given rate (``rate``; ``max_rate`` when not given)."""
    GLIDE_PATH = "glide_path"
    """Linear from ``max_rate`` in contract year 1 to ``target_rate`` by ``target_year``."""
    COST_RECOVERY = "cost_recovery"
    """Just what the hub's annual cost needs, never above ``max_rate``."""


class TopSlicePolicy(_Frozen):
    """The rule for the hub's share of each contract (prospectus, section 11)."""

    max_rate: Rate = Decimal("0.10")
    """Ceiling: the hub never keeps more than this share of a contract (10%: 9:1)."""
    target_rate: Rate = Decimal("0.05")
    """Where the rate should fall over time (5%: 19:1)."""
    method: TopSliceMethod = TopSliceMethod.FIXED
    """How the rate is set."""
    rate: Rate | None = None
    """The rate for the ``fixed`` method; ``max_rate`` when not given."""
    target_year: (
        Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=MAX_YEARS)] | None
    ) = None
    """Contract year by which the ``glide_path`` reaches ``target_rate``."""


class Rule(StrEnum):
    """Fairness rule that turns claims (capacities) into fair shares (see :mod:`allocate.rules`)."""

    PROPORTIONAL = "proportional"
    """Shares proportional to capacity (the founding document's rule)."""
    CONSTRAINED_EQUAL_AWARDS = "constrained_equal_awards"
    """Equal awards, capped at capacity."""
    CONSTRAINED_EQUAL_LOSSES = "constrained_equal_losses"
    """Equal shortfalls from capacity, never below zero."""
    TALMUD = "talmud"
    """Aumann–Maschler: CEA on half-capacities, then CEL on the other halves."""
    WEIGHTED_PROPORTIONAL = "weighted_proportional"
    """Proportional to capacity × the policy's ``weight_factor``, capped at capacity."""
    WEIGHTED_CONSTRAINED_EQUAL_AWARDS = "weighted_constrained_equal_awards"
    """Proportional to the ``weight_factor`` alone, capped at capacity."""

    @property
    def is_weighted(self) -> bool:
        """Whether the rule uses the policy's ``weight_factor``."""
        return self in (Rule.WEIGHTED_PROPORTIONAL, Rule.WEIGHTED_CONSTRAINED_EQUAL_AWARDS)


class WeightFactor(StrEnum):
    """The member score that weights the weighted rules."""

    QUALITY_SCORE = "quality_score"
    IMPACT_SCORE = "impact_score"
    REPORTING_COMPLIANCE = "reporting_compliance"


class Exclusion(_Frozen):
    """A member that may not be awarded a lot, or any lot of a contract, and why."""

    member: Identifier
    """Id of the member."""
    lot: Identifier | None = None
    """Id of the lot (give ``lot`` or ``contract``)."""
    contract: Identifier | None = None
    """Id of the contract: every lot of it."""
    reason: str = Field(min_length=1)
    """Why (a conflict of interest, a commissioner's restriction ...); repeated in the audit."""


class Competition(StrEnum):
    """What the members of a sub-tendered lot compete on."""

    FIXED_PRICE = "fixed_price"
    """The price is the lot's member pot; bids compete on quality, social value, impact and
    capacity (no race to the bottom that small members would lose)."""
    PRICE_QUALITY = "price_quality"
    """Most advantageous tender: each bid names its price, scored against the others'."""


class PriceScoring(StrEnum):
    """How a price becomes a score in a ``price_quality`` competition."""

    LOWEST_RATIO = "lowest_ratio"
    """Lowest qualifying price ÷ this price (1 for the lowest)."""
    PROPORTIONAL_DIFFERENCE = "proportional_difference"
    """1 − (this price − lowest) ÷ lowest, never below 0 (double the lowest scores 0)."""


class Split(StrEnum):
    """How a lot with several winners is split among them."""

    RANK_ORDER = "rank_order"
    """The best-ranked winner up to its capacity, then the next, and so on."""
    SCORE_PROPORTIONAL = "score_proportional"
    """In proportion to the weighted scores, each capped at its capacity (water-filling)."""


class SavingUse(StrEnum):
    """Where the saving of a winning price below the pot goes (never to the hub)."""

    MORE_UNITS = "more_units"
    """The winner keeps the money and delivers more of the lot for it."""
    OTHER_WINNERS = "other_winners"
    """The winner is paid its price; the saving goes to the lot's other winners in proportion
    to their shares, up to their capacity; what they cannot take stays with the winner as more
    units."""


class TenderWeights(_Frozen):
    """The published weight of each award criterion; they sum to 1."""

    quality: Rate = Decimal("0.5")
    """Contract compliance and quality: the panel's ``quality`` score."""
    social_value: Rate = Decimal("0.2")
    """Fairness, equity and social value: the panel's ``social_value`` score."""
    impact: Rate = Decimal("0.2")
    """Potential impact: the panel's ``impact`` score."""
    capacity: Rate = Decimal("0.1")
    """Delivery capacity: the bid's capacity over the lot, at most 1."""
    price: Rate = Decimal("0")
    """Price (``price_quality`` competitions only): the price score."""


class TenderPolicy(_Frozen):
    """The published evaluation of sub-tendered lots (``docs/concepts.md``, Sub-tendering)."""

    competition: Competition = Competition.FIXED_PRICE
    """``fixed_price`` (quality competition at the pot's price) or ``price_quality``."""
    weights: TenderWeights = TenderWeights()
    """Criterion weights, summing to 1."""
    min_quality: Score = 0.0
    """Bids with a lower ``quality`` score do not qualify."""
    price_scoring: PriceScoring = PriceScoring.LOWEST_RATIO
    """How prices are scored (``price_quality`` only)."""
    max_winners: (
        Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=MAX_PROVIDERS)] | None
    ) = 1
    """Most winners of a lot (1: a single winner; null: every qualifying bid may win).  When the
    winners' capacities cannot cover the lot, the next-ranked bids are added until they do."""
    split: Split = Split.RANK_ORDER
    """How a lot is split among its winners."""
    saving: SavingUse = SavingUse.MORE_UNITS
    """Where the saving of a price below the pot goes."""
    abnormally_low: Rate = Decimal("0.7")
    """A price below this multiple of the median of the lot's other valid prices is abnormally
    low (so is one below the bidder's own declared ``unit_cost``)."""
    exclude_abnormally_low: bool = True
    """Whether abnormally low bids are excluded (otherwise only flagged in the audit)."""


class Policy(_Frozen):
    """The allocation policy: fairness rule, eligibility thresholds and side-constraints.

    Every side-constraint is optional (``None`` switches it off).  When none is set and every
    capacity is per lot, the allocation is the rule's exact closed form.
    """

    rule: Rule = Rule.PROPORTIONAL
    """The fairness rule."""
    weight_factor: WeightFactor = WeightFactor.QUALITY_SCORE
    """The member score that weights the weighted rules (a missing ``impact_score`` counts 1)."""
    quality_threshold: Score = 0.0
    """Members with a lower ``quality_score`` are not eligible."""
    reporting_threshold: Score = 0.0
    """Members with a lower ``reporting_compliance`` are not eligible."""
    min_award: Money | None = None
    """A member gets nothing or at least this much on a lot (no sub-contract too small to be
    worth its monitoring cost)."""
    max_member_share: Rate | None = None
    """No member receives more than this share of any contract's member pot, nor of the whole
    portfolio's."""
    max_dependency: Multiple | None = None
    """A member's total awards may not exceed this multiple of its annual income (0.5: half)."""
    small_org_share: Rate | None = None
    """At least this share of each contract's member pot goes to members in ``small_org_bands``."""
    small_org_bands: tuple[SizeBand, ...] = (SizeBand.MICRO, SizeBand.SMALL)
    """The size bands the ring-fence protects."""
    case_mix_tolerance: Rate | None = None
    """Where a service has ``standard`` and ``hard_to_help`` lots, each member's share of
    hard-to-help work on it stays within this of the service's overall share (no creaming)."""
    min_providers_per_area: (
        Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=MAX_PROVIDERS)] | None
    ) = None
    """Every area keeps at least this many providers (members with an award there), or as many
    as are eligible when fewer."""
    exclusions: tuple[Exclusion, ...] = ()
    """Member/lot or member/contract pairs that may not be awarded, with the reason."""
    tender: TenderPolicy = TenderPolicy()
    """How sub-tendered lots are evaluated and awarded (lots with ``award: sub_tender``)."""
    max_reserves_share: Rate | None = ABSENT
    """No member's peak working capital (cash-flow forecast) exceeds this share of its
    reserves; every member that may receive an award must declare ``reserves``."""
    social_value: SocialValueTargets | None = ABSENT
    """Targets for the social value section of the audit (reported, not enforced)."""
    full_cost_recovery: bool = ABSENT_FALSE
    """No award below its full cost: a member whose declared full cost (``cost_ratio`` above 1,
    or a ``unit_cost`` above what a unit pays the members) would subsidise the lot may not
    receive a share of it (eligibility reason ``below_full_cost``)."""

    @property
    def side_constraints(self) -> tuple[str, ...]:
        """Policy fields of the side-constraints switched on (see :mod:`allocate.core.families`)."""
        return tuple(f.setting for f in families.policy_settings() if f.is_on(self) and f.setting)


class Problem(_Frozen):
    """Everything needed to allocate a consortium's contracts.

    Construct with :meth:`model_validate` (a dict) or :meth:`model_validate_json` (text).
    Invalid input raises :class:`~allocate.ProblemError` listing every issue.  (Calling the
    class directly, ``Problem(members=...)``, validates the same way but raises pydantic's
    ``ValidationError``; both are ``ValueError``.)
    """

    name: str = ""
    """A name for the problem (shown in reports)."""
    members: tuple[Member, ...] = Field(min_length=1)
    """The member organisations."""
    contracts: tuple[Contract, ...] = Field(min_length=1)
    """The contracts won, each with its lots."""
    capacities: tuple[Capacity, ...] = ()
    """What each member can deliver on each lot."""
    bids: tuple[Bid, ...] = ()
    """Bids for the sub-tendered lots."""
    hub: Hub = Hub()
    """The hub."""
    top_slice: TopSlicePolicy = TopSlicePolicy()
    """How the hub's share is set."""
    policy: Policy = Policy()
    """Fairness rule, thresholds and constraints."""
    cash_flow: CashFlowTerms | None = ABSENT
    """Payment terms for the cash-flow forecast (money over time); none: no forecast, unless
    ``policy.max_reserves_share`` asks for one, then the default terms."""

    # -- construction that reports every issue ------------------------------------------------

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        **kwargs: Any,
    ) -> Self:
        """Validate a dict (or a Problem); raise :class:`~allocate.ProblemError` when invalid.

        The error lists every issue at once: the fields that are wrong, and the cross-references
        (unknown ids, sums that do not add up ...) among the parts that are right.
        """
        try:
            return super().model_validate(
                obj, strict=strict, from_attributes=from_attributes, context=context, **kwargs
            )
        except ValidationError as exc:
            error = _problem_error(exc, obj)
            more = _references_among_valid_parts(obj) if isinstance(obj, dict) else []
            seen = {str(i) for i in error.issues}
            issues = [*error.issues, *(i for i in more if str(i) not in seen)]
            raise ProblemError(issues) from None

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        context: Any | None = None,
        **kwargs: Any,
    ) -> Self:
        """Validate JSON text; raise :class:`~allocate.ProblemError` when invalid.

        The text is read strictly (:mod:`allocate.core.jsontext`): duplicate keys, ``NaN``,
        overlong numbers and deep nesting are refused by name; numbers are read exactly.
        """
        raw = read_object(json_data)
        return cls.model_validate(raw, strict=strict, context=context, **kwargs)

    def evolve(self, **changes: Any) -> Problem:
        """A validated copy with some fields replaced (for what-ifs).

        >>> from allocate.examples import example_dict
        >>> p = Problem.model_validate(example_dict())
        >>> p.evolve(name="what if").name
        'what if'
        """
        data = self.model_dump()
        for key, value in changes.items():
            data[key] = value.model_dump() if isinstance(value, BaseModel) else value
        return Problem.model_validate(data)

    @model_serializer(mode="wrap")
    def _without_unused_tender(self, handler: SerializerFunctionWrapHandler) -> Any:
        """The dump, without the sub-tender fields when no lot is sub-tendered.

        They cannot change such a problem's allocation, and leaving them out keeps its canonical
        JSON, and so its fingerprint, what it was before they existed.
        """
        data = handler(self)
        if self.bids or self.tendered or not isinstance(data, dict):
            return data
        data.pop("bids", None)
        if isinstance(data.get("policy"), dict):
            data["policy"].pop("tender", None)
        for contract in data.get("contracts", ()):
            contract.pop("award", None)
            for lot in contract.get("lots", ()):
                lot.pop("award", None)
        return data

    # -- cross-references -------------------------------------------------------------------

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        issues = list(_cross_reference_issues(self))
        if issues:
            raise _IssuesFoundError(issues)
        return self

    # -- look-ups (computed once per instance; ignored by equality and serialisation) ------

    @cached_property
    def member_index(self) -> dict[str, Member]:
        """Members by id."""
        return {m.id: m for m in self.members}

    @cached_property
    def lot_index(self) -> dict[str, tuple[Contract, Lot]]:
        """``(contract, lot)`` by lot id."""
        return {lot.id: (c, lot) for c in self.contracts for lot in c.lots}

    @cached_property
    def lots(self) -> tuple[Lot, ...]:
        """Every lot of every contract, in order."""
        return tuple(lot for c in self.contracts for lot in c.lots)

    @cached_property
    def tendered(self) -> frozenset[str]:
        """Ids of the lots awarded by sub-tender."""
        return frozenset(
            lot.id
            for c in self.contracts
            for lot in c.lots
            if c.award_of(lot) is AwardMode.SUB_TENDER
        )

    def _repr_html_(self) -> str:
        """Rich display in Jupyter: summary tables of contracts, members and policy."""
        return present.render(present.PROBLEM_HTML, self)

    def __repr__(self) -> str:
        lots = sum(len(c.lots) for c in self.contracts)
        total = sum((c.value for c in self.contracts), Decimal(0))
        name = f"{self.name!r}, " if self.name else ""
        return (
            f"Problem({name}{len(self.members)} members, {len(self.contracts)} contracts, "
            f"{lots} lots, {format_money(total)}, rule={self.policy.rule.value})"
        )


class _IssuesFoundError(ValueError):
    """Carries cross-reference issues out of a pydantic validator."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


def _cross_reference_issues(p: Problem) -> list[Issue]:
    """Every issue that needs more than one field to see, one group of checks at a time."""
    # the groups' order is the order users read the issues in: keep it
    members = {m.id for m in p.members}
    lots: dict[str, Lot] = {lot.id: lot for c in p.contracts for lot in c.lots}
    contracts = {c.id for c in p.contracts}
    return [
        *_duplicate_id_issues(p),
        *(issue for ci, c in enumerate(p.contracts) for issue in _contract_issues(ci, c)),
        *_portfolio_issues(p),
        *_capacity_issues(p.capacities, members, lots),
        *_exclusion_issues(p.policy.exclusions, members, lots, contracts),
        *_rate_issues(p.top_slice),
        *_method_issues(p),
        *_tender_policy_issues(p.policy.tender),
        *_bid_issues(p, members),
        *_cost_issues(p),
        *_payment_issues(p),
        *_reserves_issues(p),
    ]


def _cost_issues(p: Problem) -> Iterator[Issue]:
    """Unit costs on unit-priced per-lot capacities only; a cost ratio per lot; not both."""
    for k, cap in enumerate(p.capacities):
        if cap.unit_cost is None and cap.cost_ratio is None:
            continue
        where = f"capacities[{k}]"
        ident = f"{cap.member}/{cap.lot}" if cap.lot else f"{cap.member}/{cap.theme}/{cap.area}"
        if cap.lot is None:
            yield Issue(
                where,
                "a pooled capacity has no single lot to cost: give 'unit_cost' or 'cost_ratio' "
                "on per-lot capacities",
                ident,
            )
            continue
        if cap.unit_cost is not None and cap.cost_ratio is not None:
            yield Issue(where, "give at most one of 'unit_cost' or 'cost_ratio'", ident)
        pair = p.lot_index.get(cap.lot)
        if cap.unit_cost is not None and pair is not None and not pair[1].is_unit_priced:
            yield Issue(
                f"{where}.unit_cost",
                f"lot {cap.lot!r} is not unit-priced: give the full cost as 'cost_ratio'",
                ident,
                str(cap.unit_cost),
            )


def _payment_issues(p: Problem) -> Iterator[Issue]:
    """Each set of payment terms: no arrears lag in advance, a twelve-month positive profile."""
    places: list[tuple[str, str | None, PaymentTerms]] = []
    if p.cash_flow is not None:
        places.append(("cash_flow.commissioner", None, p.cash_flow.commissioner))
    places += [
        (f"contracts[{ci}].payment_terms", c.id, c.payment_terms)
        for ci, c in enumerate(p.contracts)
        if c.payment_terms is not None
    ]
    for where, ident, terms in places:
        if terms.timing is PaymentTiming.ADVANCE and terms.lag_months is not None:
            yield Issue(
                f"{where}.lag_months",
                "a payment in advance has no arrears lag: leave 'lag_months' out",
                ident,
                terms.lag_months,
            )
        profile = terms.delivery_profile
        if profile is None:
            continue
        if len(profile) != 12:
            yield Issue(
                f"{where}.delivery_profile",
                f"a delivery profile has one weight per month: 12, not {len(profile)}",
                ident,
                len(profile),
            )
        elif not any(profile):
            yield Issue(
                f"{where}.delivery_profile",
                "a delivery profile needs some positive weight",
                ident,
                [str(w) for w in profile],
            )


def _reserves_issues(p: Problem) -> Iterator[Issue]:
    """A reserves condition needs the reserves of every full member with a capacity."""
    if p.policy.max_reserves_share is None:
        return
    with_capacity = {cap.member for cap in p.capacities}
    for mi, m in enumerate(p.members):
        if m.reserves is None and m.membership is Membership.FULL and m.id in with_capacity:
            yield Issue(
                f"members[{mi}].reserves",
                "policy.max_reserves_share needs the reserves of every member that may receive "
                "an award",
                m.id,
                None,
            )


def _portfolio_issues(p: Problem) -> Iterator[Issue]:
    """All contracts together within the largest amount the library computes with exactly."""
    total = sum((c.value for c in p.contracts), Decimal(0))
    if total > MAX_MONEY:
        yield Issue(
            "contracts",
            f"the contracts' values add up to more than {format_money(MAX_MONEY)}, the most one "
            "problem may allocate (pence stay exact below it, in the solver too)",
            None,
            str(total),
        )


def _repeated(ids: list[str]) -> list[str]:
    """The ids given more than once, sorted (so the issues come out in a stable order)."""
    return sorted(i for i, n in Counter(ids).items() if n > 1)


def _duplicate_id_issues(p: Problem) -> Iterator[Issue]:
    """Member, contract and lot ids given twice."""
    for i in _repeated([m.id for m in p.members]):
        yield Issue("members", "duplicate member id", i, i)
    for i in _repeated([c.id for c in p.contracts]):
        yield Issue("contracts", "duplicate contract id", i, i)
    for i in _repeated([lot.id for c in p.contracts for lot in c.lots]):
        yield Issue(
            "contracts[].lots", "duplicate lot id (lot ids are unique across contracts)", i, i
        )


def _contract_issues(ci: int, c: Contract) -> Iterator[Issue]:
    """Contract ``ci``'s value against its lots, its year against its term, then its lots."""
    where = f"contracts[{ci}]"
    total = sum((lot.value for lot in c.lots), Decimal(0))
    if total != c.value:
        yield Issue(
            f"{where}.value",
            f"contract value {format_money(c.value)} differs from the sum of its lots "
            f"{format_money(total)}",
            c.id,
            str(c.value),
        )
    if c.value == 0:
        yield Issue(f"{where}.value", "a contract must have a positive value", c.id, "0.00")
    if c.year > c.term_years:
        yield Issue(
            f"{where}.year",
            f"contract year {c.year} is beyond the term of {c.term_years} year(s)",
            c.id,
            c.year,
        )
    for li, lot in enumerate(c.lots):
        yield from _unit_price_issues(f"{where}.lots[{li}]", lot)


def _unit_price_issues(where: str, lot: Lot) -> Iterator[Issue]:
    """A unit-priced lot's rules: both unit and price, a positive price, whole units."""
    if (lot.unit is None) != (lot.unit_price is None):
        yield Issue(
            f"{where}.unit_price",
            "a unit-priced lot needs both 'unit' and 'unit_price'",
            lot.id,
            str(lot.unit_price) if lot.unit_price is not None else lot.unit,
        )
    if lot.unit_price is None:
        return
    if lot.unit_price == 0:
        yield Issue(f"{where}.unit_price", "unit price must be positive", lot.id, "0.00")
    elif lot.value % lot.unit_price != 0:
        yield Issue(
            f"{where}.value",
            f"lot value {format_money(lot.value)} is not a whole number of units "
            f"at {format_money(lot.unit_price)} per {lot.unit} "
            f"({lot.value / lot.unit_price:.4f} units)",
            lot.id,
            str(lot.value),
        )


def _capacity_issues(
    capacities: tuple[Capacity, ...], members: set[str], lots: dict[str, Lot]
) -> Iterator[Issue]:
    """Each capacity's member, repetition and amount/units, then its lot or its pool."""
    if _per_lot_capacities_in_order(capacities, members, lots):
        return
    seen: set[tuple[str, str | None, str | None, str | None]] = set()
    for k, cap in enumerate(capacities):
        where = f"capacities[{k}]"
        pooled = cap.lot is None
        ident = f"{cap.member}/{cap.lot}" if not pooled else f"{cap.member}/{cap.theme}/{cap.area}"
        if cap.member not in members:
            yield Issue(f"{where}.member", "unknown member", ident, cap.member)
        key = (cap.member, cap.lot, cap.theme, cap.area)
        if key in seen:
            yield Issue(where, "capacity declared twice for the same member and lot/pool", ident)
        seen.add(key)
        if (cap.amount is None) == (cap.units is None):
            yield Issue(
                where,
                "give exactly one of 'amount' (pounds) or 'units'",
                ident,
                {"amount": cap.amount, "units": cap.units},
            )
        if pooled:
            yield from _pooled_capacity_issues(where, ident, cap, lots)
        else:
            yield from _lot_capacity_issues(where, ident, cap, lots)


def _per_lot_capacities_in_order(
    capacities: tuple[Capacity, ...], members: set[str], lots: dict[str, Lot]
) -> bool:
    """Whether every capacity is per lot and :func:`_capacity_issues` has nothing to say of it.

    That is: no pool, each names a known member and a known lot, no theme or area, no member and
    lot twice, exactly one of amount and units, and units only on unit-priced lots.  Checked a
    property at a time over all of them (a county has 50,000); any doubt goes to the full check.
    """
    keys = list(map(_CAPACITY_KEY, capacities))
    lot_ids = {lot for _, lot, _, _ in keys}
    if (
        None in lot_ids
        or not lot_ids <= lots.keys()
        or not {member for member, _, _, _ in keys} <= members
        or {(theme, area) for _, _, theme, area in keys} - {(None, None)}
        or len(set(keys)) != len(keys)
    ):
        return False
    priced = {lot_id for lot_id, lot in lots.items() if lot.unit_price is not None}
    return all(
        (amount is None) != (units is None) and (units is None or lot in priced)
        for amount, units, lot in map(_AMOUNT_UNITS_LOT, capacities)
    )


_CAPACITY_KEY = operator.attrgetter("member", "lot", "theme", "area")
_AMOUNT_UNITS_LOT = operator.attrgetter("amount", "units", "lot")


def _pooled_capacity_issues(
    where: str, ident: str, cap: Capacity, lots: dict[str, Lot]
) -> Iterator[Issue]:
    """A pooled capacity names a theme and/or area that some lot has, and is money."""
    if cap.theme is None and cap.area is None:
        yield Issue(where, "name a 'lot', or a 'theme' and/or 'area' to pool over", ident)
    elif not any(
        (cap.theme is None or lot.theme == cap.theme) and (cap.area is None or lot.area == cap.area)
        for lot in lots.values()
    ):
        yield Issue(where, "no lot matches this pooled capacity's theme/area", ident)
    if cap.units is not None:
        yield Issue(f"{where}.units", "a pooled capacity is money: give 'amount'", ident, cap.units)


def _lot_capacity_issues(
    where: str, ident: str, cap: Capacity, lots: dict[str, Lot]
) -> Iterator[Issue]:
    """A per-lot capacity names no pool, a known lot, and units only on a unit-priced lot."""
    if cap.theme is not None or cap.area is not None:
        yield Issue(where, "give a 'lot' or a 'theme'/'area' pool, not both", ident)
    assert cap.lot is not None
    cap_lot = lots.get(cap.lot)
    if cap_lot is None:
        yield Issue(f"{where}.lot", "unknown lot", ident, cap.lot)
    elif cap.units is not None and not cap_lot.is_unit_priced:
        yield Issue(
            f"{where}.units",
            f"lot {cap_lot.id!r} is not unit-priced: give capacity as 'amount'",
            ident,
            cap.units,
        )


def _exclusion_issues(
    exclusions: tuple[Exclusion, ...], members: set[str], lots: dict[str, Lot], contracts: set[str]
) -> Iterator[Issue]:
    """Each exclusion names a known member and exactly one known lot or contract."""
    for k, ex in enumerate(exclusions):
        where = f"policy.exclusions[{k}]"
        ident = f"{ex.member}/{ex.lot or ex.contract}"
        if ex.member not in members:
            yield Issue(f"{where}.member", "unknown member", ident, ex.member)
        if (ex.lot is None) == (ex.contract is None):
            yield Issue(where, "give exactly one of 'lot' or 'contract'", ident)
        elif ex.lot is not None and ex.lot not in lots:
            yield Issue(f"{where}.lot", "unknown lot", ident, ex.lot)
        elif ex.contract is not None and ex.contract not in contracts:
            yield Issue(f"{where}.contract", "unknown contract", ident, ex.contract)


def _rate_issues(ts: TopSlicePolicy) -> Iterator[Issue]:
    """The target rate and a fixed rate are within the maximum rate."""
    if ts.target_rate > ts.max_rate:
        yield Issue(
            "top_slice.target_rate",
            f"target rate {ts.target_rate} is above the maximum rate {ts.max_rate}",
            value=str(ts.target_rate),
        )
    if ts.rate is not None and ts.rate > ts.max_rate:
        yield Issue(
            "top_slice.rate",
            f"rate {ts.rate} is above the maximum rate {ts.max_rate}",
            value=str(ts.rate),
        )


def _method_issues(p: Problem) -> Iterator[Issue]:
    """The top-slice method's required parameters are given."""
    ts = p.top_slice
    if ts.method == TopSliceMethod.GLIDE_PATH and ts.target_year is None:
        yield Issue("top_slice.target_year", "the glide_path method needs a target_year")
    if ts.method == TopSliceMethod.COST_RECOVERY and p.hub.annual_cost is None:
        yield Issue("hub.annual_cost", "the cost_recovery method needs the hub's annual_cost")


def _tender_policy_issues(t: TenderPolicy) -> Iterator[Issue]:
    """The weights sum to 1, and price is weighted exactly when the competition is on price."""
    w = t.weights
    total = w.quality + w.social_value + w.impact + w.capacity + w.price
    if total != 1:
        yield Issue(
            "policy.tender.weights",
            f"the criterion weights sum to {total}, not 1",
            value=str(total),
        )
    if t.competition is Competition.FIXED_PRICE and w.price != 0:
        yield Issue(
            "policy.tender.weights.price",
            "a fixed_price competition does not score price: its weight must be 0",
            value=str(w.price),
        )
    if t.competition is Competition.PRICE_QUALITY and w.price == 0:
        yield Issue(
            "policy.tender.weights.price",
            "a price_quality competition needs a price weight above 0",
            value=str(w.price),
        )


def _bid_issues(p: Problem, members: set[str]) -> Iterator[Issue]:
    """Each bid names a known member and a sub-tendered lot once, with what the evaluation needs."""
    tender = p.policy.tender
    on_price = tender.competition is Competition.PRICE_QUALITY
    seen: set[tuple[str, str]] = set()
    for k, bid in enumerate(p.bids):
        where, ident = f"bids[{k}]", f"{bid.member}/{bid.lot}"
        if bid.member not in members:
            yield Issue(f"{where}.member", "unknown member", ident, bid.member)
        if (bid.member, bid.lot) in seen:
            yield Issue(where, "bid given twice for the same member and lot", ident)
        seen.add((bid.member, bid.lot))
        found = p.lot_index.get(bid.lot)
        if found is None:
            yield Issue(f"{where}.lot", "unknown lot", ident, bid.lot)
            continue
        contract, lot = found
        if contract.award_of(lot) is not AwardMode.SUB_TENDER:
            yield Issue(
                f"{where}.lot",
                "the lot is awarded by plan: bids are only for lots with award 'sub_tender'",
                ident,
                bid.lot,
            )
        for name in ("social_value", "impact"):
            if getattr(bid, name) is None and getattr(tender.weights, name) > 0:
                yield Issue(
                    f"{where}.{name}",
                    f"the published evaluation weights {name} "
                    f"{getattr(tender.weights, name)}: the bid needs a score",
                    ident,
                )
        if on_price and bid.price is None:
            yield Issue(f"{where}.price", "a price_quality competition needs a price", ident)
        if on_price and bid.price == 0:
            yield Issue(f"{where}.price", "a price must be positive", ident, "0.00")
        if not on_price and bid.price is not None:
            yield Issue(
                f"{where}.price",
                "a fixed_price competition pays the lot's member pot: give no price",
                ident,
                str(bid.price),
            )
        if bid.capacity is not None and bid.capacity_units is not None:
            yield Issue(
                where,
                "give at most one of 'capacity' (pounds) or 'capacity_units'",
                ident,
                {"capacity": str(bid.capacity), "capacity_units": bid.capacity_units},
            )
        if bid.capacity_units is not None and not lot.is_unit_priced:
            yield Issue(
                f"{where}.capacity_units",
                f"lot {lot.id!r} is not unit-priced: give capacity in pounds",
                ident,
                bid.capacity_units,
            )


_COLLECTIONS: dict[str, str] = {
    "members": "id",
    "contracts": "id",
    "lots": "id",
}


#: The top-level lists of a problem, with the class of their items.
_SECTIONS: dict[str, type[BaseModel]] = {
    "members": Member,
    "contracts": Contract,
    "capacities": Capacity,
    "bids": Bid,
}


def _references_among_valid_parts(raw: dict[str, Any]) -> list[Issue]:
    """Cross-reference issues of the problem made of its valid parts only.

    When a field is wrong, pydantic stops before the cross-reference checks; running them on
    the items that are valid reports those issues too, at the items' places in the input.  An
    issue that names an id of an item left out (a capacity on a lot whose contract had a wrong
    field, say) is not reported: the reference may be right once the item is.
    """
    kept: dict[str, Any] = {k: raw[k] for k in ("name", "hub", "top_slice", "policy") if k in raw}
    places: dict[str, list[int]] = {}
    dropped: set[str] = set()
    for section, model in _SECTIONS.items():
        items = raw.get(section)
        if not isinstance(items, list):
            continue
        kept[section], places[section] = [], []
        for n, item in enumerate(items):
            try:
                model.model_validate(item)
            except ValidationError:
                dropped |= _ids_in(item)
            else:
                kept[section].append(item)
                places[section].append(n)
    try:
        super(Problem, Problem).model_validate(kept)
    except ValidationError as exc:
        found = [
            issue
            for err in exc.errors(include_url=False)
            if isinstance((err.get("ctx") or {}).get("error"), _IssuesFoundError)
            for issue in err["ctx"]["error"].issues
        ]
        return [
            dataclasses.replace(
                i, location=_SECTION_PLACE.sub(lambda m: _placed(m, places), i.location)
            )
            for i in found
            if not ({i.id, str(i.value)} & dropped)
        ]
    return []


_SECTION_PLACE = re.compile(r"^(members|contracts|capacities|bids)\[(\d+)\]")


def _placed(match: re.Match[str], places: dict[str, list[int]]) -> str:
    """``section[k]`` of the valid items, as the item's place in the input."""
    return f"{match.group(1)}[{places[match.group(1)][int(match.group(2))]}]"


def _ids_in(item: Any) -> set[str]:
    """Every id an item names, read leniently (the item may be malformed)."""
    found: set[str] = set()
    if isinstance(item, dict):
        for key in ("id", "member", "lot", "contract"):
            if isinstance(item.get(key), str):
                found.add(item[key])
        for value in item.values():
            if isinstance(value, list):
                for sub in value:
                    found |= _ids_in(sub)
    return found


def _problem_error(exc: ValidationError, raw: Any) -> ProblemError:
    """Turn pydantic's errors into Issues that name the id of the item at fault."""
    issues: list[Issue] = []
    errors = exc.errors(include_url=False)
    # pydantic adds a "too short" error on a collection whose items failed: noise, drop it
    failed_inside = {tuple(e["loc"][:-2]) for e in errors if len(e["loc"]) >= 2}
    for err in errors:
        if err["type"] == "too_short" and tuple(err["loc"]) in failed_inside:
            continue
        ctx = err.get("ctx") or {}
        inner = ctx.get("error")
        if isinstance(inner, _IssuesFoundError | ProblemError):
            issues.extend(inner.issues)
            continue
        loc = tuple(err["loc"])
        message = err["msg"]
        if isinstance(inner, ValueError):
            message = str(inner)
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        value = err.get("input") if err["type"] != "missing" else None
        if isinstance(value, dict | list | tuple) and len(str(value)) > 80:
            value = None  # a whole sub-document says nothing the location does not
        issues.append(Issue(_render_loc(loc), message, _owner_id(raw, loc), value))
    return ProblemError(issues)


def _render_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _owner_id(raw: Any, loc: tuple[Any, ...]) -> str | None:
    """The id of the innermost identified item along ``loc`` in the raw input."""
    node = raw
    found: str | None = None
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            if isinstance(node.get("id"), str):
                found = node["id"]
            elif isinstance(node.get("member"), str) and isinstance(node.get("lot"), str):
                found = f"{node['member']}/{node['lot']}"
    return found


def declared_capacity(problem: Problem) -> dict[str, Decimal]:
    """Each member's declared capacity in pounds, over all its lots and pools.

    Units count at their lot's unit price.  (What it may be given is less: eligibility and the
    pools decide that; this is what it said it could deliver.)
    """
    out: dict[str, Decimal] = {}
    for cap in problem.capacities:
        if cap.units is not None and cap.lot is not None:
            amount = (problem.lot_index[cap.lot][1].unit_price or Decimal(0)) * cap.units
        else:
            amount = cap.amount or Decimal(0)
        out[cap.member] = out.get(cap.member, Decimal(0)) + amount
    return out
