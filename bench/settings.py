"""Settings of the benchmarks (`make bench`): the portal's, with a URLconf that adds one minimal view.

The portal's own URLconf stays as it is (the authorization-matrix test knows every pattern of it);
`bench/urls.py` adds `/bench/minimal/` beside it, the baseline of the licence-check load test.
"""

from portal.settings import *  # noqa: F403 (the portal's settings, those below changed)

ROOT_URLCONF = "bench.urls"
# Item 4 imports 5,000 people as the large team's admin: it measures the import, not the limits on
# invitations (200 an admin an hour, 1,000 a team a day), which would refuse it as a site may not.
INVITATIONS_PER_ADMIN_PER_HOUR = INVITATIONS_PER_TEAM_PER_DAY = 0
