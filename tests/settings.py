"""Settings for the test suite: the real settings, with a throw-away secret when none is set."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")

from msp_portal.settings import *  # noqa: F403

# Hashing cost is not what the tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The tests' targets all listen on loopback; allowing it is explicit, as an MSP admin would.
MONITORING_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]

# Most tests sign staff in with client.force_login and test something else than the second
# factor; tests/accounts/test_two_factor.py switches the requirement back on (the default).
OTP_REQUIRED_FOR_STAFF = False
