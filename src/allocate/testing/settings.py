"""Hypothesis settings profiles for fairness properties: ``dev``, ``ci`` and ``long``.

Importing this module registers three profiles:

``dev``
    25 examples a test, random, with the example database: quick feedback while editing.
``ci``
    60 examples a test, derandomised (the same examples on every run, so CI is reproducible),
    no database, and the failure blob printed for ``@reproduce_failure``.
``long``
    1,000 examples a test, random, no database: a long hunt, run by hand or on a schedule rather
    than on every commit (``HYPOTHESIS_PROFILE=long``).

None has a deadline: a solve that builds a linear programme takes milliseconds, but its time
varies with the machine.  :func:`load_profile` loads ``$HYPOTHESIS_PROFILE`` when set, else
``ci`` when ``$CI`` is set (as CI services do), else ``dev``.  A test that solves much more than
a cheap property asks for a share of the profile's examples with :func:`examples`.

Examples
--------
In a ``conftest.py`` (``allocate``'s own does exactly this)::

    from allocate.testing.settings import load_profile

    load_profile()  # dev, or ci under $CI, or $HYPOTHESIS_PROFILE

On an expensive test (decorators run after ``conftest.py`` has loaded the profile):

>>> from hypothesis import given, strategies as st
>>> @examples(0.2)
... @given(st.integers())
... def test_expensive(x):
...     pass
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hypothesis import HealthCheck, settings

__all__ = ["CI", "DEV", "LONG", "examples", "load_profile", "profile_name", "register_profiles"]

#: Name of the fast profile.
DEV = "dev"
#: Name of the thorough, reproducible profile.
CI = "ci"
#: Name of the long, random profile.
LONG = "long"


def register_profiles() -> None:
    """Register (or re-register) the ``dev``, ``ci`` and ``long`` profiles."""
    settings.register_profile(
        DEV,
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        CI,
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        LONG,
        max_examples=1000,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def profile_name(environ: Mapping[str, str] | None = None) -> str:
    """The profile to use: ``$HYPOTHESIS_PROFILE``, else ``ci`` under ``$CI``, else ``dev``.

    >>> profile_name({"CI": "true"}), profile_name({}), profile_name({"HYPOTHESIS_PROFILE": "x"})
    ('ci', 'dev', 'x')
    """
    env = os.environ if environ is None else environ
    return env.get("HYPOTHESIS_PROFILE") or (CI if env.get("CI") else DEV)


def load_profile(name: str | None = None) -> str:
    """Load a profile (by default the one :func:`profile_name` picks) and return its name."""
    chosen = name or profile_name()
    settings.load_profile(chosen)
    return chosen


def examples(fraction: float, *, minimum: int = 5) -> settings:
    """Settings for a test that runs ``fraction`` of the loaded profile's examples.

    Parameters
    ----------
    fraction
        Share of the current profile's ``max_examples`` (0.5 gives 30 under ``ci``).
    minimum
        Never fewer examples than this.

    >>> examples(0.5).max_examples >= 5
    True
    """
    if fraction <= 0:
        raise ValueError(f"fraction must be positive, not {fraction}")
    current = settings.default
    base = current.max_examples if current is not None else 100
    return settings(max_examples=max(minimum, round(base * fraction)))


register_profiles()
