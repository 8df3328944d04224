"""Hypothesis settings profiles for fairness properties: ``allocate-dev``, ``-ci`` and ``-long``.

Importing this module (or :mod:`allocate.testing`) changes nothing in Hypothesis: your own
profiles, and the one loaded, stay as they were.  :func:`register_profiles` registers three
profiles under the kit's own names, and :func:`load_profile` registers them and loads one:

``allocate-dev``
    25 examples a test, random, with the example database: quick feedback while editing.
``allocate-ci``
    60 examples a test, derandomised (the same examples on every run, so CI is reproducible),
    no database, and the failure blob printed for ``@reproduce_failure``.
``allocate-long``
    1,000 examples a test, random, no database: a long hunt, run by hand or on a schedule rather
    than on every commit (``HYPOTHESIS_PROFILE=allocate-long``).

None has a deadline: a solve that builds a linear programme takes milliseconds, but its time
varies with the machine.  :func:`load_profile` loads ``$HYPOTHESIS_PROFILE`` when set, else
``allocate-ci`` when ``$CI`` is set (as CI services do), else ``allocate-dev``.  A short name,
``dev``, ``ci`` or ``long``, means the kit's profile of that kind only when no profile of that
very name is registered: yours wins, and so does Hypothesis's own built-in ``ci``.  A test that
solves much more than a cheap property asks for a share of the profile's examples with
:func:`examples`.

Examples
--------
In a ``conftest.py`` (``allocate``'s own does exactly this)::

    from allocate.testing.settings import load_profile

    load_profile()  # allocate-dev, or allocate-ci under $CI, or $HYPOTHESIS_PROFILE

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
from hypothesis.errors import InvalidArgument

__all__ = [
    "CI",
    "DEV",
    "LONG",
    "PROFILES",
    "examples",
    "load_profile",
    "profile_name",
    "register_profiles",
]

#: Name of the fast profile.
DEV = "allocate-dev"
#: Name of the thorough, reproducible profile.
CI = "allocate-ci"
#: Name of the long, random profile.
LONG = "allocate-long"
#: The kit's profiles by their short names (a profile registered under the short name wins).
PROFILES: dict[str, str] = {"dev": DEV, "ci": CI, "long": LONG}


def register_profiles() -> None:
    """Register (or re-register) the kit's three profiles, under their ``allocate-`` names.

    Only ``allocate-dev``, ``allocate-ci`` and ``allocate-long`` are touched; none is loaded.
    """
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
    """The profile asked for: ``$HYPOTHESIS_PROFILE``, else ``allocate-ci`` or ``allocate-dev``.

    ``allocate-ci`` when ``$CI`` is set, as CI services do.

    >>> profile_name({"CI": "true"}), profile_name({}), profile_name({"HYPOTHESIS_PROFILE": "x"})
    ('allocate-ci', 'allocate-dev', 'x')
    """
    env = os.environ if environ is None else environ
    return env.get("HYPOTHESIS_PROFILE") or (CI if env.get("CI") else DEV)


def _registered(name: str) -> bool:
    try:
        settings.get_profile(name)
    except InvalidArgument:
        return False
    return True


def load_profile(name: str | None = None) -> str:
    """Register the kit's profiles, load one (:func:`profile_name`'s by default), return its name.

    ``dev``, ``ci`` and ``long`` load the kit's ``allocate-*`` profile of that kind, unless a
    profile of that very name is registered (yours, or Hypothesis's built-in ``ci``): that one
    is loaded.  An unknown name
    raises Hypothesis's ``InvalidArgument``, which names it.
    """
    register_profiles()
    chosen = name or profile_name()
    if chosen in PROFILES and not _registered(chosen):
        chosen = PROFILES[chosen]
    settings.load_profile(chosen)
    return chosen


def examples(fraction: float, *, minimum: int = 5) -> settings:
    """Settings for a test that runs ``fraction`` of the loaded profile's examples.

    Parameters
    ----------
    fraction
        Share of the current profile's ``max_examples`` (0.5 gives 30 under ``allocate-ci``).
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
