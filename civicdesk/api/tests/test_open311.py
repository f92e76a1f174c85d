"""Open311 GeoReport v2: shapes (JSON and XML as in the spec's examples), filters, posting, errors."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from civicdesk.accounts.api_keys import api_client_create, api_client_revoke
from civicdesk.api.tests.conftest import BASE, SVG_WITH_SCRIPT, Open311City, jpeg_with_exif
from civicdesk.cases import services as case_services
from civicdesk.cases.models import Attachment, Case, CaseKind, Channel
from civicdesk.organizations.models import Organization

pytestmark = pytest.mark.django_db

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
]


def form_post(client: Client, path: str, data: dict[str, Any], **extra: Any) -> Any:
    """A plain form-encoded POST, as the GeoReport v2 spec defines it."""
    return client.post(path, urlencode(data), content_type="application/x-www-form-urlencoded", **extra)


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 (our own response)


def node(element: ET.Element, path: str) -> ET.Element:
    found = element.find(path)
    assert found is not None, path
    return found


def post_data(o311: Open311City, **overrides: Any) -> dict[str, Any]:
    data = {"api_key": o311.key, "service_code": "171", "description": "Iso kuoppa pyörätiellä.",
            "lat": "60.17", "long": "24.94", "email": "maija@example.fi", "first_name": "Maija",
            "last_name": "Meikäläinen"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- discovery and services ---------------------------------------------------------------


def test_discovery_json_and_xml(client: Client, o311: Open311City) -> None:
    data = client.get(f"{BASE}/discovery.json").json()
    assert list(data) == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in node(root, "endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_list_only_coded_active_categories(client: Client, o311: Open311City) -> None:
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    services = response.json()
    assert [s["service_code"] for s in services] == ["171", "172"]
    first = services[0]
    assert list(first) == SERVICE_FIELDS
    assert first == {
        "service_code": "171", "service_name": "Katujen kunto", "description": "Kuopat, reunakivet ja päällysteet.",
        "metadata": True, "type": "batch", "keywords": "kuoppa, katu", "group": "",
    }
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert [child.tag for child in root[0]] == SERVICE_FIELDS
    assert node(root, "service/metadata").text == "true"
    assert node(root, "service/service_code").text == "171"


def test_service_names_follow_locale_and_accept_language(client: Client, o311: Open311City) -> None:
    assert client.get(f"{BASE}/services.json?locale=sv").json()[0]["service_name"] == "Gatornas skick"
    assert client.get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="sv-FI,sv;q=0.9").json()[0][
        "service_name"] == "Gatornas skick"
    assert client.get(f"{BASE}/services.json?locale=fi_FI").json()[0]["service_name"] == "Katujen kunto"


def test_service_definition(client: Client, o311: Open311City) -> None:
    data = client.get(f"{BASE}/services/171.json").json()
    assert data["service_code"] == "171"
    codes = [a["code"] for a in data["attributes"]]
    assert codes == ["case_type", "feedback_subtype"]
    case_type = data["attributes"][0]
    assert list(case_type) == ["variable", "code", "datatype", "required", "datatype_description", "order",
                               "description", "values"]
    assert case_type["datatype"] == "singlevaluelist"
    assert case_type["values"][0]["key"] == o311.city.types[CaseKind.SERVICE_REQUEST].code
    root = xml(client.get(f"{BASE}/services/171.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key") is not None
    missing = client.get(f"{BASE}/services/999.json", {"locale": "en"})
    assert missing.status_code == 404
    assert missing.json() == [{"code": 404, "description": "service_code: no such service."}]


def test_jurisdiction_is_required_when_several_are_hosted(client: Client, o311: Open311City) -> None:
    assert client.get(f"{BASE}/services.json").status_code == 200
    Organization.objects.create(slug="other", name="Muu")
    refused = client.get(f"{BASE}/services.json")
    assert refused.status_code == 400
    assert refused.json()[0]["description"].startswith("jurisdiction_id:")
    assert client.get(f"{BASE}/services.json?jurisdiction_id={o311.org.slug}").status_code == 200
    assert client.get(f"{BASE}/services.json?jurisdiction_id=nowhere").status_code == 404


# --- POST requests ------------------------------------------------------------------------


def test_form_encoded_post_creates_exactly_one_case(client: Client, o311: Open311City) -> None:
    before = Case.objects.count()
    response = form_post(client, f"{BASE}/requests.json", post_data(o311, title="Kuoppa"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body) == 1
    # Processed asynchronously (ADR 0022): the spec's token instead of the id.
    assert list(body[0]) == ["token", "service_notice", "account_id"]
    assert Case.objects.count() == before + 1
    case = Case.objects.get(tracking_token=body[0]["token"])
    assert case.channel == Channel.MOBILE_APP
    assert case.categories.get().pk == o311.city.category_streets.pk
    assert case.case_type.kind == CaseKind.SERVICE_REQUEST
    assert (case.lat, case.lon, case.title) == (60.17, 24.94, "Kuoppa")
    assert case.customer_name == "Maija Meikäläinen"
    assert case.customer_email == "maija@example.fi"
    assert case.answer_requested is True
    assert case.consent_text == o311.client.consent_text
    token = client.get(f"{BASE}/tokens/{case.tracking_token}.json").json()
    assert token == [{"service_request_id": case.reference, "token": case.tracking_token}]


def test_post_xml_response_and_attributes(client: Client, o311: Open311City) -> None:
    feedback = o311.city.types[CaseKind.FEEDBACK]
    response = form_post(client, f"{BASE}/requests.xml", post_data(
        o311, email="", first_name="", last_name="", **{"attribute[case_type]": feedback.code,
                                                         "attribute[feedback_subtype]": "thanks"}))
    root = xml(response)
    assert root.tag == "service_requests"
    request = node(root, "request")
    assert [child.tag for child in request] == ["token", "service_notice", "account_id"]
    case = Case.objects.get(tracking_token=node(request, "token").text)
    assert (case.case_type, case.feedback_subtype, case.answer_requested) == (feedback, "thanks", False)
    assert case.consent_text == ""


def test_post_with_media_strips_exif(client: Client, o311: Open311City) -> None:
    photo = SimpleUploadedFile("kuoppa.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = client.post(f"{BASE}/requests.json", {**post_data(o311), "media": [photo]})
    assert response.status_code == 200, response.content
    attachment = Attachment.objects.get(case__reference=response.json()[0]["service_request_id"])
    assert attachment.content_type == "image/jpeg"
    with attachment.file.open("rb") as handle, Image.open(handle) as image:
        assert not image.getexif()


@pytest.mark.parametrize(("name", "content"), [
    ("kuva.svg", SVG_WITH_SCRIPT),
    ("kuva.jpg", b"\x00\x01not an image at all\x00" * 20),
    ("kuva.jpg", b"\xff\xd8\xff\xe0" + b"broken" * 50),
])
def test_post_refuses_bad_media_and_keeps_nothing(client: Client, o311: Open311City, name: str,
                                                   content: bytes) -> None:
    before = Case.objects.count()
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = client.post(f"{BASE}/requests.json", {**post_data(o311), "media[]": [upload]})
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
    assert response.json()[0]["description"].startswith("media")
    assert Case.objects.count() == before


def test_post_refuses_broken_multipart(client: Client, o311: Open311City) -> None:
    body = b"--xyz\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n" + o311.key.encode()
    response = client.post(f"{BASE}/requests.json", body, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code in (400, 403)
    assert response.json()[0]["code"] == response.status_code
    odd = client.post(f"{BASE}/requests.json", b"{}", content_type="application/json")
    assert odd.status_code == 415
    assert Case.objects.count() == 0


@pytest.mark.parametrize(("overrides", "status", "parameter"), [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "cdk_wrongwrongwr_" + "x" * 43}, 403, "api_key"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "999"}, 400, "service_code"),
    ({"description": None}, 400, "description"),
    ({"description": "x" * 4001}, 400, "description"),
    ({"lat": "north"}, 400, "lat"),
    ({"lat": "91", "long": "24"}, 400, "lat"),
    ({"long": None}, 400, "lat"),
    ({"lat": "nan", "long": "inf"}, 400, "lat"),
    ({"lat": "0", "long": "0"}, 400, "lat"),  # outside every area of the city
    ({"lat": "61.5", "long": "23.8"}, 400, "lat"),
    ({"email": "not-an-address"}, 400, "email"),
    ({"phone": "call me maybe"}, 400, "phone"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"attribute[case_type]": "nope"}, 400, "attribute[case_type]"),
    ({"attribute[colour]": "red"}, 400, "attribute[colour]"),
    ({"attribute[feedback_subtype]": "thanks"}, 400, "attribute[feedback_subtype]"),
    ({"jurisdiction_id": "othercity"}, 403, "jurisdiction_id"),
    ({"answer_requested": "perhaps"}, 400, "answer_requested"),
])
def test_post_errors_have_the_spec_shape(client: Client, o311: Open311City, overrides: dict[str, Any], status: int,
                                         parameter: str) -> None:
    response = form_post(client, f"{BASE}/requests.json", post_data(o311, **overrides))
    assert response.status_code == status, response.content
    errors = response.json()
    assert errors[0]["code"] == status
    assert errors[0]["description"].startswith(parameter), errors
    assert Case.objects.count() == 0
    root = xml(form_post(client, f"{BASE}/requests.xml", post_data(o311, **overrides)))
    assert root.tag == "errors"
    assert node(root, "error/code").text == str(status)


def test_revoked_key_is_refused(client: Client, o311: Open311City) -> None:
    api_client_revoke(client=o311.client)
    assert form_post(client, f"{BASE}/requests.json", post_data(o311)).status_code == 403


def test_a_key_kept_by_the_process_stops_at_once_when_revoked_or_its_organisation_closes(
        client: Client, o311: Open311City, settings: Any) -> None:
    settings.CONFIG_CACHE_SECONDS = 300  # the production default: keys are kept per process (ADR 0021)
    assert form_post(client, f"{BASE}/requests.json", post_data(o311)).status_code == 200
    api_client_revoke(client=o311.client)
    assert form_post(client, f"{BASE}/requests.json", post_data(o311)).status_code == 403
    _client, key = api_client_create(organization=o311.org, name="Toinen sovellus")
    assert form_post(client, f"{BASE}/requests.json", post_data(o311, api_key=key)).status_code == 200
    o311.org.is_active = False
    o311.org.save()
    assert form_post(client, f"{BASE}/requests.json", post_data(o311, api_key=key)).status_code in (403, 404)


def test_html_in_text_is_kept_as_text(client: Client, o311: Open311City) -> None:
    text = '<script>alert("x")</script> <b>kuoppa</b>'
    response = form_post(client, f"{BASE}/requests.json", post_data(o311, description=text))
    case = Case.objects.get(tracking_token=response.json()[0]["token"])
    assert case.description == text


def test_rate_limits_per_key_and_per_address(client: Client, o311: Open311City, settings: Any) -> None:
    o311.client.rate_limit = "2/m"
    o311.client.save()
    for _ in range(2):
        assert form_post(client, f"{BASE}/requests.json", post_data(o311)).status_code == 200
    refused = form_post(client, f"{BASE}/requests.json", post_data(o311))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json()[0]["code"] == 429
    settings.OPEN311_READ_RATE_LIMIT = "3/m"
    codes = [client.get(f"{BASE}/services.json").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# --- GET requests -------------------------------------------------------------------------


def test_requests_list_only_published_public_texts(client: Client, o311: Open311City) -> None:
    published = o311.published()
    o311.city.case(title="Unpublished", description="Private words of Maija.")
    data = client.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in data] == [published.reference]
    row = data[0]
    assert list(row) == REQUEST_FIELDS
    assert row["status"] == "open"
    assert row["description"] == "Kadulla on kuoppa."
    assert row["status_notes"] == "Korjataan viikolla 12."
    assert (row["service_code"], row["service_name"]) == ("171", "Katujen kunto")
    assert row["agency_responsible"] == "Katujen kunnossapito"
    assert (row["lat"], row["long"]) == (60.17, 24.94)
    assert dt.datetime.fromisoformat(row["requested_datetime"]).utcoffset() is not None
    content = client.get(f"{BASE}/requests.json?extensions=true").content.decode()
    for personal in ("Maija", "maija@example.fi", "040 1234567", "Private words"):
        assert personal not in content
    extended = client.get(f"{BASE}/requests.json?extensions=true").json()[0]["extended_attributes"]
    assert extended == {"title": "Kuoppa kadulla", "detailed_status": "RECEIVED", "media_urls": []}


def test_requests_xml_shape(client: Client, o311: Open311City) -> None:
    o311.published()
    root = xml(client.get(f"{BASE}/requests.xml?extensions=true"))
    assert root.tag == "service_requests"
    request = node(root, "request")
    assert [child.tag for child in request] == [*REQUEST_FIELDS, "extended_attributes"]
    assert node(request, "expected_datetime").text is None
    assert node(request, "extended_attributes/detailed_status").text == "RECEIVED"
    assert request.find("extended_attributes/media_urls") is not None


def test_single_request_published_unpublished_special(client: Client, o311: Open311City) -> None:
    published = o311.published()
    hidden = o311.city.case(title="Hidden", description="Private words of Maija.")
    special = o311.city.case(case_type=o311.city.special_type, contains_special_categories=True,
                             categories=[o311.city.category_social])
    full = client.get(f"{BASE}/requests/{published.reference}.json").json()
    assert full[0]["description"] == "Kadulla on kuoppa."
    minimal = client.get(f"{BASE}/requests/{hidden.reference}.json?extensions=true").json()[0]
    assert minimal["status"] == "open"
    assert minimal["requested_datetime"]
    assert minimal["description"] == minimal["service_code"] == minimal["agency_responsible"] == ""
    assert minimal["lat"] is None
    assert minimal["extended_attributes"] == {"title": "", "detailed_status": "RECEIVED", "media_urls": []}
    assert "Maija" not in client.get(f"{BASE}/requests/{hidden.reference}.xml").content.decode()
    for missing in (special.reference, "2020-999999", "nonsense"):
        response = client.get(f"{BASE}/requests/{missing}.json")
        assert response.status_code == 404
        assert response.json()[0]["code"] == 404
    by_ids = client.get(f"{BASE}/requests.json?service_request_id={published.reference},{hidden.reference},"
                        f"{special.reference}").json()
    assert {r["service_request_id"] for r in by_ids} == {published.reference, hidden.reference}


def test_requests_of_another_organisation_are_not_found(client: Client, o311: Open311City, other_city: Any) -> None:
    published = o311.published()
    response = client.get(f"{BASE}/requests/{published.reference}.json?jurisdiction_id={other_city.org.slug}")
    assert response.status_code == 404


def test_request_filters(client: Client, o311: Open311City) -> None:
    city = o311.city
    west = o311.published(lat=60.17, lon=24.94)
    east = o311.published(lat=60.18, lon=25.02, categories=[city.category_parks])
    closed = o311.published(lat=60.19, lon=24.95)
    case_services.case_close(case=closed, actor=city.users["advisor"], reply="Korjattu.")
    Case.objects.filter(pk=west.pk).update(created_at=timezone.now() - dt.timedelta(days=10),
                                           last_activity_at=timezone.now() - dt.timedelta(days=10))

    def ids(query: str) -> set[str]:
        response = client.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    assert ids("") == {west.reference, east.reference, closed.reference}
    assert ids("status=closed") == {closed.reference}
    assert ids("status=open") == {west.reference, east.reference}
    assert ids("status=open,closed") == {west.reference, east.reference, closed.reference}
    assert ids("service_code=172") == {east.reference}
    assert ids("service_code=171,172") == {west.reference, east.reference, closed.reference}
    assert ids("bbox=24.9,60.1,24.99,60.2") == {west.reference, closed.reference}
    assert ids("bbox=24.9,60.1,24.99,60.2&status=open") == {west.reference}
    assert ids("lat=60.17&long=24.94&radius=500") == {west.reference}
    assert ids("lat=60.17&long=24.94&radius=3000") == {west.reference, closed.reference}
    week_ago = (timezone.now() - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"start_date={week_ago}") == {east.reference, closed.reference}
    assert ids(f"end_date={week_ago}") == {west.reference}
    assert ids(f"updated_after={week_ago}") == {east.reference, closed.reference}
    assert ids(f"updated_before={week_ago}") == {west.reference}
    listed = client.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in listed][-1] == west.reference  # newest first
    assert ids("page_size=1") == {listed[0]["service_request_id"]}
    assert ids("page_size=1&page=2") == {listed[1]["service_request_id"]}
    assert ids("page_size=1&page=4") == set()


@pytest.mark.parametrize("query", [
    "status=pending", "bbox=1,2,3", "bbox=30,60,20,61", "bbox=a,b,c,d", "lat=60.1", "radius=-5&lat=1&long=1",
    "start_date=yesterday", "updated_after=2024-13-45", "page=0", "page_size=100000", "extensions=maybe",
    "lat=1e400&long=1",
])
def test_bad_filters_are_400(client: Client, o311: Open311City, query: str) -> None:
    response = client.get(f"{BASE}/requests.json?{query}")
    assert response.status_code == 400, response.content
    assert response.json()[0]["code"] == 400


def test_requests_list_query_count(client: Client, o311: Open311City, django_assert_max_num_queries: Any) -> None:
    for _ in range(5):
        o311.published()
    url = f"{BASE}/requests.json?status=open&bbox=24,60,25,61"
    # The configuration generation, the organisations, its categories and groups, the page.
    with django_assert_max_num_queries(5):
        response = client.get(url)
    assert len(response.json()) == 5
    # Organisations are kept until the configuration changes (the generation tells), categories and
    # groups for 30 s per process: the generation and the page.
    with django_assert_max_num_queries(2):
        response = client.get(url)
    assert len(response.json()) == 5


def test_unknown_paths_and_formats_are_open311_404(client: Client, o311: Open311City) -> None:
    for path in ("services.html", "nothing.json", "", "requests/1.yaml"):
        response = client.get(f"{BASE}/{path}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404
        assert response.json() == [{"code": 404, "description": "Not found."}]
    assert client.delete(f"{BASE}/requests.json").status_code == 405


def test_openapi_shapes_name_the_fields_the_views_return(client: Client, o311: Open311City) -> None:
    from civicdesk.api import schema

    assert list(schema.ServiceSerializer().fields) == SERVICE_FIELDS
    assert list(schema.ServiceRequestSerializer().fields) == [*REQUEST_FIELDS, "extended_attributes"]
    assert list(schema.ExtendedAttributesSerializer().fields) == ["title", "detailed_status", "media_urls"]
    assert list(schema.PostedSerializer().fields) == ["service_request_id", "service_notice", "account_id", "token"]
    assert list(schema.DiscoverySerializer().fields) == list(client.get(f"{BASE}/discovery.json").json())
    description = client.get(f"{BASE}/openapi.json").json()
    assert "/open311/v2/requests.{response_format}" in description["paths"]
