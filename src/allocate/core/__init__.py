"""The core layer: the input model, money, errors, the output data and the rules on numbers.

Everything the other layers share and nothing that solves: frozen pydantic inputs
(:mod:`~allocate.core.model`), exact money (:mod:`~allocate.core.money`), the error hierarchy
(:mod:`~allocate.core.errors`), the allocation and its audit as data
(:mod:`~allocate.core.outcome`), the claims rules and apportionment on plain numbers
(:mod:`~allocate.core.rules`, :mod:`~allocate.core.apportion`) and the demo consortium
(:mod:`~allocate.core.examples`).  It imports nothing of ``allocate`` outside itself.
"""
