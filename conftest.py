import pytest

from tests.factories import City, build_city


@pytest.fixture
def city(db: None) -> City:
    return build_city()


@pytest.fixture
def other_city(db: None) -> City:
    return build_city("othercity")
