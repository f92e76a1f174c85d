"""Fixtures of the Open311 tests: a city whose categories are services, an API key, published cases."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from PIL import Image

from civicdesk.accounts.api_keys import api_client_create
from civicdesk.accounts.models import ApiClient
from civicdesk.api.selectors import configuration_forget
from civicdesk.cases import services as case_services
from civicdesk.cases.models import Case
from tests.database import audit_log_empty_for_flush
from tests.factories import City

BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # Rate-limit counters live in the cache, which tests in one process share; so does the
    # per-process copy of each organisation's categories and case types.
    cache.clear()
    configuration_forget()


@dataclass
class Open311City:
    city: City
    client: ApiClient
    key: str

    @property
    def org(self) -> Any:
        return self.city.org

    def published(self, **overrides: Any) -> Case:
        values: dict[str, Any] = {"title": "Kuoppa", "description": "Kuoppa Mannerheimintiellä, Maija 040 1234567."}
        values.update(overrides)
        case = self.city.case(**values)
        return case_services.case_publish(
            case=case, actor=self.city.users["advisor"], public_title="Kuoppa kadulla",
            public_text="Kadulla on kuoppa.", public_answer="Korjataan viikolla 12.",
        )


@pytest.fixture
def o311(city: City) -> Open311City:
    city.category_streets.open311_service_code = "171"
    city.category_streets.name_sv = "Gatornas skick"  # type: ignore[attr-defined]
    city.category_streets.description = "Kuopat, reunakivet ja päällysteet."
    city.category_streets.keywords = "kuoppa, katu"
    city.category_streets.save()
    city.category_parks.open311_service_code = "172"
    city.category_parks.save()
    client, key = api_client_create(organization=city.org, name="Kaupunkisovellus", rate_limit="1000/m",
                                    consent_text="Hyväksyn, että kaupunki käsittelee tietojani.")
    return Open311City(city=city, client=client, key=key)


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def live(live_server: Any, transactional_db: None) -> Iterator[Any]:
    """pytest-django's live server, and an audit log emptied before the closing flush.

    On SQLite the flush is a DELETE, which the audit log's append-only triggers refuse; as in
    tests/browser, the log is emptied with the triggers dropped and they are put back as the
    migration makes them. PostgreSQL flushes with TRUNCATE, which row triggers do not see.
    """
    yield live_server
    audit_log_empty_for_flush()
