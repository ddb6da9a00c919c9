"""Settings every test file shares: the hypothesis profiles of the fuzz suites.

``make test`` runs the ``ci`` profile (a few dozen derandomised examples); ``make fuzz``
(``HYPOTHESIS_PROFILE=fuzz``) thousands of random ones.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

#: slow examples, large inputs and a fixture shared across examples are what fuzzing is
_ALLOWED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, suppress_health_check=_ALLOWED
)
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=_ALLOWED)


def fuzz_profile(ci_examples: int) -> settings:
    """The fuzz suites' settings: ``ci_examples`` examples in ``make test``, the ``fuzz``
    profile's thousands under ``HYPOTHESIS_PROFILE=fuzz``."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    profile = settings.get_profile(name)
    return settings(profile, max_examples=ci_examples) if name == "ci" else profile
