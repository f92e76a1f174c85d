"""The API as clients that no one here wrote see it, over a real socket.

- `georeport` (PyPI) reads services, a service definition and requests, in JSON and in XML;
- `requests` posts the plain form-encoded body the GeoReport v2 spec defines;
- schemathesis fuzzes every operation of our OpenAPI description and checks for server errors and
  that each response matches the documented shapes (JSON) and status codes.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from georeport import GeoReport
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from civicdesk.api.tests.conftest import BASE, Open311City
from civicdesk.cases.models import Case


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_client_reads_services_and_requests(live: Any, o311: Open311City,
                                                      output_format: str) -> None:
    first, second = o311.published(), o311.published()
    client = GeoReport(f"{live.url}{BASE}", jurisdiction=o311.org.slug, output_format=output_format)
    services = client.get_service_list()
    assert [s["service_code"] for s in services] == ["171", "172"]
    definition = client.get_service_definition("171")
    assert definition["service_code"] == "171"
    listed = client.get_service_requests(status="open", service_code="171")
    assert {r["service_request_id"] for r in listed} == {first.reference, second.reference}
    one = client.get_service_request(first.reference)
    assert one["service_request_id"] == first.reference
    assert one["description"] == "Kadulla on kuoppa."


def test_plain_form_encoded_post_over_http(live: Any, o311: Open311City) -> None:
    response = requests.post(f"{live.url}{BASE}/requests.json", data={
        "api_key": o311.key, "jurisdiction_id": o311.org.slug, "service_code": "171",
        "description": "Katuvalo ei pala.", "lat": "60.17", "long": "24.94",
    }, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    token = response.json()[0]["token"]
    assert Case.objects.filter(tracking_token=token).count() == 1
    answer = requests.get(f"{live.url}{BASE}/tokens/{token}.json", timeout=30).json()
    assert answer == [{"service_request_id": Case.objects.get(tracking_token=token).reference, "token": token}]


def _check(case: Any, key: str) -> None:
    # Half of the posts carry a real key, so the fuzzing reaches the validation behind it.
    if case.method == "POST" and isinstance(case.body, dict) and len(str(case.body.get("description", ""))) % 2 == 0:
        case.body["api_key"] = key
        case.body.pop("jurisdiction_id", None)
    response = case.call()
    checks = [not_a_server_error, status_code_conformance]
    if response.headers.get("Content-Type", "").startswith("application/json"):
        checks.append(response_schema_conformance)
    case.validate_response(response, checks=checks)


@pytest.mark.slow
@pytest.mark.django_db
def test_schemathesis_against_the_openapi_description(o311: Open311City, settings: Any) -> None:
    """Every operation, 15 generated requests each (seeded, so a failure repeats)."""
    settings.OPEN311_POST_RATE_LIMIT = "100000/m"
    settings.OPEN311_READ_RATE_LIMIT = "100000/m"
    o311.published()
    # The WSGI handler closes "obsolete" connections after each request, and inside the test's
    # transaction PostgreSQL's connection counts as one; Django's own test client unhooks it too.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        api = schemathesis.openapi.from_wsgi(f"{BASE}/openapi.json", get_wsgi_application())
        operations = [result.ok() for result in api.get_all_operations()]  # type: ignore[union-attr]
        assert len(operations) == 7  # discovery, services, definition, requests (GET, POST), request, token
        for operation in operations:
            @given(case=operation.as_strategy())
            @hypothesis_settings(max_examples=15, deadline=None, derandomize=True, database=None,
                                 suppress_health_check=list(HealthCheck))
            def run(case: Any) -> None:
                _check(case, o311.key)

            run()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
