"""The solving pipeline: one module per step, in the order the data flows.

``Problem`` → :mod:`~allocate.pipeline.eligibility` → :mod:`~allocate.pipeline.topslice` →
fair shares → sub-contract decisions → formulation → :mod:`~allocate.pipeline.engine` →
rounding → verification (:mod:`allocate.checks`) → :mod:`~allocate.pipeline.audit` →
``Allocation``; :mod:`~allocate.pipeline.solve` only orchestrates.  See ``docs/architecture.md``.
"""
