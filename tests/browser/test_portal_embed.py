"""The contact form embedded on another site, in a real browser (issue 4: R1.4).

The form is embedded with `static/js/embed.js` in a page served by a second HTTP server on another
origin (127.0.0.1 against the live server's localhost: another site, so the browser withholds the
portal's SameSite cookies from the frame, as on a real city site). The resident sends a contact
inside the frame and reads the receipt there; the frame grows to its content. A site that is not
among the organisation's embedding origins gets nothing shown.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from civicdesk.cases.models import Case
from civicdesk.intake.models import LocationNeed, Topic
from civicdesk.organizations.models import Organization
from tests.browser.checks import axe_check
from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP_VIEWPORT, Workspace

pytestmark = pytest.mark.browser


class _HostPage(http.server.BaseHTTPRequestHandler):
    """A city's own page on another origin, with the one-tag snippet; `body` is set per test."""

    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def host_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _page_on_both_sites(site: Workspace, host: str) -> Any:
    """A browser page that may reach the live server and the host site, and nothing else."""
    browser = site._started_browser()
    context = browser.new_context(viewport=DESKTOP_VIEWPORT, locale="en-GB", timezone_id="Europe/Helsinki")
    context.set_default_timeout(10_000)
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    context.route(lambda url: not (url.startswith((site.base_url, host))),
                  site._refuse_outside_request)
    site._contexts.append(context)
    page = context.new_page()
    page.on("pageerror", lambda error: site.errors.append(f"{page.url}: {error}"))
    page.on("response", site._check_asset)
    return page


def test_the_embedded_form_works_inside_a_page_on_another_origin(workspace: Workspace, host_site: str) -> None:
    city = workspace.city
    Organization.objects.filter(pk=city.org.pk).update(embed_origins=host_site)
    Topic.objects.create(organization=city.org, slug="bench", name="Rikkinäinen penkki", name_en="A broken bench",
                         category=city.category_parks, kinds=["fault_report"], location=LocationNeed.NONE)
    base = workspace.base_url
    form_src = f"{base}/embed/{city.org.slug}/en/contact/{city.org.slug}/?topic=bench"
    _HostPage.body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>City site</title></head>
<body><h1>Feedback</h1><p>Send us feedback below.</p>
<script src="{base}/static/js/embed.js" async data-civicdesk-src="{form_src}"
        data-civicdesk-title="Contact form"></script>
<p id="after">The city's footer.</p></body></html>""".encode()
    assert not CHROMIUM_ARGS.count("--disable-web-security")

    page = _page_on_both_sites(workspace, host_site)
    page.goto(f"{host_site}/")
    iframe = page.locator("iframe[data-civicdesk-frame]")
    assert iframe.get_attribute("title") == "Contact form"
    frame = page.frame_locator("iframe[data-civicdesk-frame]")
    description = frame.locator("#id_description")
    description.wait_for()
    # The frame is as tall as its page: the height message from the embedded page was accepted.
    page.wait_for_function(
        "() => parseInt(document.querySelector('iframe[data-civicdesk-frame]').style.height || '0') > 400")
    assert frame.locator(".site-header").count() == 0
    embedded = next(f for f in page.frames if "/embed/" in f.url)
    axe_check(embedded, label="the embedded form")

    description.fill("The bench by the pond is broken.")
    kind = frame.locator("[name=kind]")
    if kind.first.get_attribute("type") == "radio":
        kind.first.check()
    frame.locator("#id_consent").check()
    frame.locator("form button[type=submit]").last.click()
    frame.locator("[data-tracking-link]").wait_for()
    receipt_link = frame.locator("[data-tracking-link]").get_attribute("href") or ""
    assert "/track/" in receipt_link

    case = Case.objects.get(description="The bench by the pond is broken.")
    assert case.organization_id == city.org.pk
    assert case.reference in frame.locator("main").inner_text()
    # The host page around the frame is untouched.
    assert page.locator("#after").is_visible()


def test_a_site_not_allowed_cannot_frame_the_form(workspace: Workspace, host_site: str) -> None:
    city = workspace.city
    Organization.objects.filter(pk=city.org.pk).update(embed_origins="https://somewhere-else.example")
    base = workspace.base_url
    _HostPage.body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Other site</title></head>
<body><iframe title="form" src="{base}/embed/{city.org.slug}/en/contact/{city.org.slug}/"></iframe></body></html>
""".encode()
    page = _page_on_both_sites(workspace, host_site)
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response) if "/embed/" in response.url else None)
    page.goto(f"{host_site}/")
    page.wait_for_timeout(500)
    assert responses, "the frame's page was never requested"
    assert "frame-ancestors 'self' https://somewhere-else.example" in responses[0].headers["content-security-policy"]
    # The browser refused to show it: the frame holds no page of ours.
    frame = page.frames[1]
    assert frame.locator("#main").count() == 0
