import time

import pytest

from tests.factories import City, build_city


@pytest.fixture(autouse=True)
def _rate_limit_windows_do_not_roll(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the rate limits' fixed windows (django-ratelimit's and core.rate_limits') for the length of each test.

    Its counters live in a window that ends at a fixed time; a test counting requests that
    straddles the end would see the count restart and fail now and then on a slow machine.
    """
    from django_ratelimit import core

    started = int(time.time())
    original = core._get_window
    monkeypatch.setattr(core, "_get_window", lambda value, period: original(value, period) if period == 1
                        else started - (started % period) + period)
    from civicdesk.core import rate_limits

    window_end = rate_limits._window_end
    monkeypatch.setattr(rate_limits, "_window_end", lambda value, seconds, now: window_end(value, seconds, now)
                        if seconds == 1 else started - (started % seconds) + seconds)


@pytest.fixture(autouse=True)
def _access_kept_by_no_earlier_test():
    """Users' access is kept per process (accounts.permissions.access_for). A test's database is rolled
    back, configuration generation included, so a later test could meet an entry kept under the same
    number for a user of the same id: each test starts with none, and counts its queries from there."""
    from civicdesk.accounts import permissions
    from civicdesk.cases import permissions as case_permissions

    permissions._ACCESS.clear()
    case_permissions._SPECIAL_DATA_GROUPS.clear()


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request through the test client leaves its language active in the thread (LocaleMiddleware
    activates it and nothing deactivates it), so a later test in the same worker would run in, say,
    English. Each test ends back on the default language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def city(db: None) -> City:
    return build_city()


@pytest.fixture
def other_city(db: None) -> City:
    return build_city("othercity")
