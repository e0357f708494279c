"""Settings of the benchmarks (`make bench`): the portal's, with a URLconf that adds one minimal view.

The portal's own URLconf stays as it is (the authorization-matrix test knows every pattern of it);
`bench/urls.py` adds `/bench/minimal/` beside it, the baseline of the licence-check load test.
"""

from portal.settings import *  # noqa: F403 (the portal's settings, one changed below)

ROOT_URLCONF = "bench.urls"
