"""Test-session settings.

Under CI (``CI`` set, as `.ci/run` is run) Hypothesis draws a fixed, derandomised set of
examples, so a pass or fail never depends on the run; locally it explores at random.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
