"""Certificates: proofs, checked without a solver, that an allocation is fairest or impossible.

Every allocation :func:`allocate.solve` returns carries one (:attr:`Allocation.certificate
<allocate.Allocation.certificate>`), and :func:`allocate.check_certificate` verifies it in exact
rational arithmetic from the problem and the allocation alone (see ``docs/certificates.md``).

* ``leximin`` and ``closed_form``: a list of **stages** of the progressive filling.  Each stage
  gives a level (a ratio of award to fair share), the claimants it freezes, and non-negative
  multipliers on named conditions (a lot's budget, a claimant's ratio row, the hold of a claimant
  frozen earlier, a side-constraint's row) whose combination bounds the level: no allocation
  that keeps every earlier-frozen claimant at its certified award lifts every claimant still
  rising above the bound.  A closed form has one exact stage per lot (everyone at its fair share,
  level 1) and the water-filling level that explains the shares.
* ``infeasible``: multipliers on named conditions whose combination needs more money placed than
  the capacities and caps allow (a Farkas certificate); or a **proof tree** (``proof``) that
  splits the awards into cases, by whole pence (units) and by whether each sub-contract is made,
  and proves each case impossible with a Farkas combination: no allocation in whole pence and
  units exists for any sub-contract choice.

Multipliers and integers are written as decimal strings (they are often larger than JSON readers
keep exactly), rationals as ``"p/q"`` (or ``"p"``).  A certificate is conditional on the
sub-contract choice it states (``choice``): which sub-contracts are made (at least the minimum
award) and which are not.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from allocate.core.record import Record

__all__ = [
    "Branch",
    "Certificate",
    "CertificateStage",
    "Farkas",
    "FrozenClaimant",
    "HeldWinner",
    "PairRef",
    "ProofNode",
    "SubcontractChoice",
    "TenderedLot",
    "WaterLevel",
]

#: The kinds of certificate.
CertificateKind = Literal["leximin", "closed_form", "infeasible"]


class PairRef(Record):
    """One (member, lot) pair."""

    member: str
    """Member id."""
    lot: str
    """Lot id."""


class FrozenClaimant(Record):
    """A claimant a stage freezes, and how."""

    member: str
    """Member id."""
    lot: str
    """Lot id."""
    at: Literal["level", "capacity", "floor"]
    """``level``: held at the stage's level (award = fair share × level); ``capacity`` or
    ``floor``: held at a bound of its own (its capacity, or the minimum award of a sub-contract
    made)."""


class CertificateStage(Record):
    """One stage of the progressive filling and the multipliers that bound its level."""

    level: str
    """The level reached, as an exact rational ``"p/q"``: the worst ratio of award to fair share
    among the claimants still rising."""
    frozen: list[FrozenClaimant]
    """The claimants this stage freezes."""
    denominator: str
    """The common denominator of the multipliers (a positive integer, as a string)."""
    multipliers: dict[str, str]
    """Integer numerator of each multiplier (over ``denominator``), by condition name:
    ``budget:<lot>`` (signed), ``ratio:<member>:<lot>`` and ``hold:<member>:<lot>`` (each at least
    0), and each side-constraint row by its name ``<family>:<ids>`` (at least 0).  Conditions not
    named have multiplier 0."""


class WaterLevel(Record):
    """The closed form's shares of one lot as water-filling: ``min(claim, level × weight)``."""

    lot: str
    """Lot id."""
    level: str
    """The water level λ, an exact rational ``"p/q"`` in the lot's quantity per unit of weight
    (for constrained equal losses, the loss μ: ``share = max(0, claim − μ)``)."""
    capped: list[str]
    """Members held at their whole claim (capacity) rather than the level (for constrained equal
    losses: those who receive nothing)."""


class SubcontractChoice(Record):
    """The sub-contract decisions a certificate is conditional on."""

    made: list[PairRef]
    """Sub-contracts made with a floor: each receives at least the minimum award (or, for a
    provider kept in its area under ``min_providers_per_area`` alone, a penny or a unit)."""
    closed: list[PairRef]
    """Sub-contracts not made: each receives nothing."""


class Farkas(Record):
    """A combination of conditions that no allocation can satisfy."""

    denominator: str
    """The common denominator of the multipliers (a positive integer, as a string)."""
    multipliers: dict[str, str]
    """Integer numerator of each multiplier, by condition name: ``budget:<lot>`` (signed) and
    each side-constraint row ``<family>:<ids>`` (at least 0).  Capacities and floors enter
    through each award's bounds."""
    need: str
    """What the combination's budgets and ``≥`` rows need placed, in pence (exact rational
    ``"p/q"``; the largest of their multipliers is 1)."""
    allow: str
    """The most the capacities, floors and caps allow against it, in pence (``"p/q"``); less
    than ``need``."""


class Branch(Record):
    """A case split on one pair's award, exhaustive for awards in whole pence (units).

    ``integer``: the award is at most ``at`` or at least ``at + 1``, in the lot's quantity (pence,
    or units on a unit-priced lot).  ``subcontract``: the award is 0 or at least ``at`` (at most
    the minimum award in the lot's quantity, or one penny or unit without one).
    """

    member: str
    """Member id."""
    lot: str
    """Lot id."""
    kind: Literal["integer", "subcontract"]
    """``integer`` (whole pence or units) or ``subcontract`` (made with the minimum, or not)."""
    at: str
    """The integer the split is at, in the lot's quantity (a decimal string)."""


class ProofNode(Record):
    """One case of an infeasibility proof tree: the awards' boxes narrowed along its path.

    A node splits (``branch`` and two ``children``: the lower case first) or is a leaf proved by
    a ``farkas`` combination over its boxes, by a box left empty by the splits above it, or by
    counting (``providers``): an area where the boxes leave fewer members able to provide than
    the policy's providers per area needs.
    """

    branch: Branch | None
    """The split of this case into two (None on a leaf)."""
    children: list[int]
    """The indices in :attr:`Certificate.proof` of the two cases (``≤ at``/``= 0`` first);
    empty on a leaf."""
    farkas: Farkas | None
    """A leaf's combination, computed with the leaf's boxes (None when a box is empty)."""
    # a node not proved by counting is written exactly as before the field existed
    providers: str | None = Field(
        default=None,
        exclude_if=lambda area: area is None,
        json_schema_extra={"description": "Written only on a leaf proved by counting providers."},
    )
    """A leaf proved by counting: the area where the leaf's boxes leave fewer members an award
    of a provider's least (the minimum award, or a penny or a unit) than the area needs."""


class HeldWinner(Record):
    """A bid a side-constraint held back on a sub-tendered lot, and the condition that did."""

    member: str
    """Member id."""
    level: int
    """The most it may receive on the lot, in the lot's quantity (pence, or units): the limit
    the competition's split was made again with (the rest of the lot passed down the ranking)."""
    floor: int
    """The least it keeps on the lot, in the lot's quantity: its level, or less where its new
    share is less (it made room for a minimum award further down).  The proof is conditional on
    it, as on the sub-contract choice."""
    condition: str
    """The side-constraint row that holds it there, by name (``<family>:<ids>``): with the
    allocation's awards on the other lots, it allows the bid at most ``level`` and a penny (a
    unit, or the lot's rounding window) on this lot."""


class TenderedLot(Record):
    """The outcome of one sub-tendered lot's competition, as the proof uses it."""

    lot: str
    """Lot id."""
    winners: list[str]
    """The bids with a positive share, in rank order (best first)."""
    held: list[HeldWinner]
    """The bids held back by a side-constraint, by member id (empty: none)."""


class Certificate(Record):
    """A proof, checkable in exact arithmetic alone, that the allocation is leximin-optimal.

    Or, for ``infeasible``, that no allocation exists.  See ``docs/certificates.md``.
    """

    kind: CertificateKind
    """``leximin`` (the programme's stages), ``closed_form`` (the rule's shares, one stage per
    lot) or ``infeasible`` (a Farkas combination)."""
    claim: str
    """What the certificate proves, in words."""
    choice: SubcontractChoice
    """The sub-contract decisions the proof is conditional on (empty lists: none)."""
    stages: list[CertificateStage]
    """The stages, in order of level (``leximin`` and ``closed_form``)."""
    water_levels: list[WaterLevel]
    """The closed form's water levels, lot by lot (``closed_form`` only)."""
    rounding: dict[str, int]
    """By lot id, how far rounding moved an award from the certified solution, in the lot's
    quantity (pence, or units), where that is more than one: the exact repair found no whole
    allocation within one penny (unit) keeping every side row exactly and widened its window.
    Elsewhere every award is within one penny (one unit) of the certified solution."""
    farkas: Farkas | None = None
    """The infeasibility proof (``infeasible`` only), when one combination proves it."""
    # written only when there is one, so every other certificate is written as before
    proof: list[ProofNode] | None = Field(
        default=None,
        exclude_if=lambda nodes: nodes is None,
        json_schema_extra={"description": "Written only for an infeasibility proof tree."},
    )
    """An infeasibility proof tree (``infeasible`` only, instead of ``farkas``): node 0 is the
    root, whose boxes are every award's ``[0, capacity]``; no allocation in whole pence and units
    exists, whatever sub-contracts are made."""
    # a certificate without a sub-tendered lot is written exactly as before the field existed
    tender: list[TenderedLot] = Field(
        default_factory=list,
        exclude_if=lambda tender: not tender,
        json_schema_extra={"description": "Written only when the problem has a sub-tendered lot."},
    )
    """Each sub-tendered lot's competition outcome (``leximin`` and ``closed_form``; empty
    without sub-tendered lots): its winners in rank order and the bids held back.  The checker
    scores and ranks the bids again and splits each lot with the stated limits, so that the
    competition's shares are the fair shares of the lot's bids in the stages.  Written only when
    the problem has a sub-tendered lot."""
