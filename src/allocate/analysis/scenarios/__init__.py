"""What-ifs and sweeps: named changes to a problem, solved side by side, on any executor.

A :class:`Scenario` is a name and a list of **changes**, each a small, immutable, picklable
record made by a helper below.  :meth:`Scenario.apply` returns a *validated copy* of a problem
with the changes made, in order; the problem itself is never touched, and a scenario with no
change returns a problem equal to the one given.  An invalid change raises
:class:`ScenarioError`, which names the scenario, the change and the offending value.

=================================  ===============================================================
helper                             change
=================================  ===============================================================
:func:`set_top_slice`              the top-slice method or rates (``method="glide_path"`` ...)
:func:`set_policy`                 the rule, a threshold or a side-constraint (``None`` = off)
:func:`set_hub`                    the hub (its ``annual_cost``)
:func:`add_member`                 a member joins, with its capacities
:func:`remove_member`              a member leaves (its capacities and exclusions go with it)
:func:`update_member`              any field of a member (income, reporting compliance ...)
:func:`set_quality`                a member's quality score and/or QA result
:func:`scale_capacity`             a member's capacity, on every lot or one, times a factor
:func:`set_capacity`               a member's capacity on one lot, set (or declared)
:func:`scale_contract`             a contract grows or shrinks (every lot times a factor)
:func:`update_contract`            any other field of a contract (its ``year`` ...)
:func:`set_tender`                 the sub-tender evaluation (weights merged, competition ...)
:func:`set_bid`                    a member's bid for a sub-tendered lot, changed or made
:func:`remove_bid`                 a member's bid withdrawn
:func:`set_payment_terms`          how the commissioners pay (every contract, or one)
:func:`set_member_payments`        how the hub pays members (basis, days, advance bands)
:func:`set_advances`               the size bands the hub pays in advance
:func:`set_reserves`               a member's reserves
=================================  ===============================================================

Over the life of a contract, a scenario may also change the **review** a version is
reallocated by, or the **year plan** a contract is allocated by
(:mod:`~allocate.analysis.scenarios.life_changes`), and :func:`sweep` and :func:`compare` run
them with ``version=`` and ``review=``, or ``years=``:

=================================  ===============================================================
helper                             change
=================================  ===============================================================
:func:`set_review`                 the review's fields (``elapsed``, ``left``, ``joined`` ...)
:func:`set_review_policy`          what each outcome means (``keep``, ``delivery_rate`` ...)
:func:`set_outcome`                a member's review outcome (``None``: good)
:func:`set_delivery`               a member's delivery so far on a lot
:func:`scale_deliveries`           deliveries so far times a factor (all, a member's, a lot's)
:func:`set_stability`              the year plan's stability share (``None``: off)
:func:`set_year`                   one contract year's values, capacities or members
=================================  ===============================================================

:func:`sweep` solves many scenarios, in the calling process or on any
:class:`concurrent.futures.Executor` (a process pool, or a Dask cluster: its ``Client`` or
``client.get_executor()``); results come back in the order of the scenarios and are identical
whichever executor ran them, as a :class:`SweepResults` list whose ``.to_frame()`` is one tidy
DataFrame.  :func:`compare` tabulates scenarios with the differences from a baseline.  Every
table takes ``money="float"`` (the default), ``"pence"`` or ``"decimal"``.  Three analyses are
built on them: :func:`glide_path`, :func:`sensitivity` and :func:`constraint_prices`.

Examples
--------
>>> from allocate.examples import demo_problem
>>> problem = demo_problem()
>>> joins = Scenario("Luton Youth doubles its capacity", [scale_capacity("luton-youth", 2)])
>>> frame = compare(problem, [joins])
>>> row = frame.query("scenario != 'baseline' and measure == 'award' and item == 'luton-youth'")
>>> print(row[["value", "baseline", "change"]].to_string(index=False))
   value  baseline   change
57345.13  32079.21 25265.92
"""

# Where the code lives, by what it does (each module's docstring says more):
#   changes        the Change records and the helpers that make them (set_policy ...)
#   scenario       Scenario: a name and changes, applied as a validated copy
#   errors         ScenarioError (and the ChangeError raised inside a change)
#   frozen         how a change keeps its keyword arguments hashable
#   results        ScenarioResult, summarised from one allocation
#   sweeps         sweep(): many scenarios on any executor; progress: its bar or callback
#   comparison     compare(): a sweep against a baseline, as a tidy DataFrame
#   life_changes   changes to a review or a year plan (set_review_policy, set_stability ...)
#   life_results   ReviewResult, YearsResult: what a review or year-plan scenario gave
#   glide_paths, sensitivities, prices
#                  the built-in analyses glide_path(), sensitivity(), constraint_prices()
#
# "X as X" re-exports public names kept out of __all__ (the change records, the columns of the
# tables, the defaults), so that they stay reachable here as they were before the split.

from allocate.analysis.scenarios.changes import AddMember as AddMember
from allocate.analysis.scenarios.changes import (
    Change,
    add_member,
    remove_bid,
    remove_member,
    scale_capacity,
    scale_contract,
    set_advances,
    set_bid,
    set_capacity,
    set_hub,
    set_member_payments,
    set_payment_terms,
    set_policy,
    set_quality,
    set_reserves,
    set_tender,
    set_top_slice,
    update_contract,
    update_member,
)
from allocate.analysis.scenarios.changes import RemoveMember as RemoveMember
from allocate.analysis.scenarios.changes import ScaleCapacity as ScaleCapacity
from allocate.analysis.scenarios.changes import ScaleContract as ScaleContract
from allocate.analysis.scenarios.changes import SetCapacity as SetCapacity
from allocate.analysis.scenarios.changes import SetHub as SetHub
from allocate.analysis.scenarios.changes import SetPolicy as SetPolicy
from allocate.analysis.scenarios.changes import SetTopSlice as SetTopSlice
from allocate.analysis.scenarios.changes import UpdateContract as UpdateContract
from allocate.analysis.scenarios.changes import UpdateMember as UpdateMember
from allocate.analysis.scenarios.comparison import COMPARE_COLUMNS as COMPARE_COLUMNS
from allocate.analysis.scenarios.comparison import compare
from allocate.analysis.scenarios.errors import ScenarioError
from allocate.analysis.scenarios.glide_paths import glide_path
from allocate.analysis.scenarios.life_changes import (
    scale_deliveries,
    set_delivery,
    set_outcome,
    set_review,
    set_review_policy,
    set_stability,
    set_year,
)
from allocate.analysis.scenarios.life_results import ReviewResult, YearsResult
from allocate.analysis.scenarios.prices import MEMBER_PRICE_COLUMNS as MEMBER_PRICE_COLUMNS
from allocate.analysis.scenarios.prices import PRICE_COLUMNS as PRICE_COLUMNS
from allocate.analysis.scenarios.prices import SWITCHED_OFF as SWITCHED_OFF
from allocate.analysis.scenarios.prices import constraint_prices
from allocate.analysis.scenarios.progress import AUTO_PROGRESS_MIN as AUTO_PROGRESS_MIN
from allocate.analysis.scenarios.progress import Progress as Progress
from allocate.analysis.scenarios.results import METRICS as METRICS
from allocate.analysis.scenarios.results import RESULT_COLUMNS as RESULT_COLUMNS
from allocate.analysis.scenarios.results import ScenarioResult, SweepResults
from allocate.analysis.scenarios.scenario import Scenario
from allocate.analysis.scenarios.sensitivities import sensitivity
from allocate.analysis.scenarios.sweeps import SWEEP_SOLVE_DEFAULTS as SWEEP_SOLVE_DEFAULTS
from allocate.analysis.scenarios.sweeps import sweep

__all__ = [
    "Change",
    "ReviewResult",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "SweepResults",
    "YearsResult",
    "add_member",
    "compare",
    "constraint_prices",
    "glide_path",
    "remove_bid",
    "remove_member",
    "scale_capacity",
    "scale_contract",
    "scale_deliveries",
    "sensitivity",
    "set_advances",
    "set_bid",
    "set_capacity",
    "set_delivery",
    "set_hub",
    "set_member_payments",
    "set_outcome",
    "set_payment_terms",
    "set_policy",
    "set_quality",
    "set_reserves",
    "set_review",
    "set_review_policy",
    "set_stability",
    "set_tender",
    "set_top_slice",
    "set_year",
    "sweep",
    "update_contract",
    "update_member",
]
