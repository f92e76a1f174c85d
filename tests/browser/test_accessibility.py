"""Every workspace page passes axe-core (WCAG 2.1 A/AA), reflows at 200 % zoom and works by keyboard.

The tour visits each page an advisor uses, with enough data that every list, form and error
state is on screen, in English and in Finnish; it also takes the staff guide's screenshots when
CIVICDESK_SCREENSHOTS is set (see docs/guides/staff.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civicdesk.cases import services
from civicdesk.cases.models import Case, LinkKind, Status, TimelineEntry
from civicdesk.routing.tests.test_workflows import fault_report_workflow
from tests.browser.checks import (
    axe_check,
    focus_description,
    focus_is_visible,
    keyboard_check,
    reflow_check,
    screenshot,
)
from tests.browser.conftest import Workspace, submit
from tests.factories import City

pytestmark = pytest.mark.browser


def _seed(city: City) -> dict[str, Case]:
    """Cases that fill every part of the advisor's pages: lists, timeline, links, attachments, pending requests."""
    advisor, expert, parks_expert = city.fresh("advisor"), city.fresh("expert"), city.fresh("parks_expert")
    unclear = city.case(
        title="Epäselvä palaute", categories=[], address="Kauppatori", description="Torilla on ollut roskia jo viikon."
    )
    pothole = city.case(title="Kuoppa pyörätiellä", address="Mannerheimintie 10")
    services.case_take(case=pothole, actor=advisor)
    services.case_add_note(case=pothole, actor=expert, body="Tarkastettu paikan päällä: kuoppa on syvä.")
    services.attachment_add(
        case=pothole,
        actor=expert,
        uploaded_file=SimpleUploadedFile("havainnot.txt", b"Kuoppa 40 cm leve\xc3\xa4.", content_type="text/plain"),
    )
    services.case_request_comment(
        case=pothole,
        actor=expert,
        from_user=advisor,
        question="Onko samasta paikasta tullut muita ilmoituksia?",
        due_at=timezone.now() + dt.timedelta(days=2),
    )
    services.case_reply(case=pothole, actor=advisor, body="Kiitos ilmoituksesta. Kuoppa korjataan tällä viikolla.")
    fallen_tree = city.case(title="Kaatunut puu", categories=[city.category_parks], address="Esplanadin puisto")
    services.case_close(case=fallen_tree, actor=parks_expert, reply="Puu on poistettu ja alue siivottu.")
    services.case_publish(
        case=fallen_tree,
        actor=parks_expert,
        public_title="Kaatunut puu puistossa",
        public_text="Puistossa oli kaatunut puu.",
        public_answer="Puu poistettiin.",
    )
    services.case_link(case=pothole, other=fallen_tree, actor=advisor, kind=LinkKind.RELATED)
    # Fault reports follow a workflow from now on: the open pothole shows its step and moves on its page.
    fault_report_workflow(city)
    return {"unclear": unclear, "pothole": pothole, "closed": fallen_tree}


def _open_all_details(page: Any) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


def _tour(site: Workspace, cases: dict[str, Case], *, language: str) -> None:
    """Visit every page, checking axe and reflow on each, and take the guide's screenshots."""
    suffix = "" if language == "en" else f"-{language}"
    city = site.city

    login = site.new_page(language=language)
    login.goto(site.url("/accounts/login/", language=language))
    axe_check(login, label="login")
    reflow_check(login, must_see=("#id_username", "#id_password", "main button[type=submit]"), label="login")
    keyboard_check(login, label="login")
    screenshot(login, f"staff-login{suffix}")

    page = site.log_in("advisor", language=language)
    axe_check(page, label="home")
    reflow_check(page, must_see=("main h1", "#queue-counts a"), label="home")
    keyboard_check(page, label="home")
    screenshot(page, f"staff-home{suffix}")

    page.goto(site.url(f"/staff/queues/{city.intake.pk}/", language=language))
    axe_check(page, label="intake queue")
    reflow_check(page, must_see=(".filters button[type=submit]", ".case-list a"), label="intake queue")

    page.goto(site.url("/staff/all/", language=language))
    axe_check(page, label="all contacts")
    reflow_check(page, must_see=(".filters button[type=submit]", ".case-list a"), label="all contacts")
    screenshot(page, f"staff-queue{suffix}")

    page.goto(site.url(f"/staff/all/?category={city.category_streets.pk}&q=kuoppa&handler=me", language=language))
    assert page.locator(f"text={cases['pothole'].reference}").count() >= 1
    axe_check(page, label="all contacts, filtered")

    # A saved view, listed beside the list with its rename and delete controls.
    page.locator("#save-view-name").fill("Kuopat")
    submit(page, page.locator("form.save-view button[type=submit]"))
    assert page.locator(".saved-views a", has_text="Kuopat").count() == 1
    _open_all_details(page)
    axe_check(page, label="all contacts with a saved view")
    reflow_check(page, must_see=(".saved-views a",), label="all contacts with a saved view")
    keyboard_check(page, label="all contacts with a saved view")

    # A bulk action and its result.
    page.goto(site.url("/staff/all/", language=language))
    page.locator(f"input[name=case][value='{cases['unclear'].pk}']").check()
    page.locator("select[name=bulk-action]").select_option("close-unnecessary")
    page.locator("input[name=bulk-reason]").fill("Sama asia on jo hoidettu.")
    submit(page, page.locator(".bulk-actions > button[type=submit]"))
    assert cases["unclear"].reference in page.locator(".bulk-result").inner_text()
    axe_check(page, label="result of a bulk action")
    reflow_check(page, must_see=(".bulk-result",), label="result of a bulk action")

    page.goto(site.url("/staff/all/?category=not-a-number", language=language))
    axe_check(page, label="all contacts with a filter error")
    reflow_check(page, must_see=(".filters .errors",), label="all contacts with a filter error")

    case_path = f"/staff/cases/{cases['pothole'].reference}/"
    page.goto(site.url(case_path, language=language))
    axe_check(page, label="case page")
    reflow_check(page, must_see=("main h1", ".case-actions summary"), label="case page")
    screenshot(page, f"staff-case{suffix}")
    _open_all_details(page)
    axe_check(page, label="case page, every action open")
    reflow_check(page, must_see=(".case-actions form button[type=submit]",), label="case page, every action open")
    keyboard_check(page, label="case page, every action open")
    for action, name in (
        ("reclassify", "staff-reclassify"),
        ("forward", "staff-forward"),
        ("comment-request", "staff-comment-request"),
        ("comment-answer", "staff-comment-answer"),
        ("publish", "staff-publish"),
    ):
        details = page.locator(f"details:has(form[action*='/actions/{action}/'])")
        details.scroll_into_view_if_needed()
        screenshot(page, f"{name}{suffix}", element=details)

    assert page.locator("#workflow-heading").count() == 1
    assert page.locator(".workflow-move textarea").count() >= 1

    page.goto(site.url(f"/staff/routing/cases/{cases['pothole'].reference}/why/", language=language))
    axe_check(page, label="how routing saw the case")
    reflow_check(page, must_see=("main h1",), label="how routing saw the case")
    page.goto(site.url("/staff/routing/workflows/", language=language))
    page.locator(".workflow-steps th a").first.click()
    page.wait_for_load_state()
    assert page.locator("#step-heading").count() == 1
    axe_check(page, label="cases by workflow step")
    reflow_check(page, must_see=("main h1", ".workflow-steps"), label="cases by workflow step")
    keyboard_check(page, label="cases by workflow step")
    page.goto(site.url("/staff/routing/procedures/", language=language))
    axe_check(page, label="procedures to fix")
    reflow_check(page, must_see=("main h1",), label="procedures to fix")
    page.goto(site.url(case_path, language=language))
    _open_all_details(page)

    # An action that fails comes back with its error summary open and announced.
    publish = page.locator("form[action*='/actions/publish/']")
    publish.locator("textarea[name='publish-public_text']").fill("Ilmoittaja maija@example.fi kertoi kuopasta.")
    submit(page, publish.locator("button[type=submit]"))
    assert page.locator("#action-errors").is_visible()
    axe_check(page, label="case page with an action error")
    reflow_check(page, must_see=("#action-errors",), label="case page with an action error")
    screenshot(page, f"staff-publish-error{suffix}", element=page.locator(".case-actions"))

    page.goto(site.url(f"/staff/cases/{cases['closed'].reference}/", language=language))
    _open_all_details(page)
    assert page.locator("form[action*='/actions/reopen/']").count() == 1
    assert page.locator("form[action*='/actions/unpublish/']").count() == 1
    axe_check(page, label="closed, published case, every action open")
    reflow_check(page, must_see=("main h1",), label="closed case")

    page.goto(site.url("/staff/search/?q=kuoppa", language=language))
    assert page.locator(".case-list a").count() >= 1
    axe_check(page, label="search results")
    reflow_check(page, must_see=("#q", "form[role=search] button", ".case-list a"), label="search results")
    keyboard_check(page, label="search results")
    screenshot(page, f"staff-search{suffix}")

    response = page.goto(site.url("/staff/cases/2000-999999/", language=language))
    assert response is not None
    assert response.status == 404
    axe_check(page, label="error page for a missing case")
    reflow_check(page, must_see=("main h1",), label="error page")
    keyboard_check(page, label="error page")

    viewer = site.log_in("viewer", language=language)
    viewer.goto(site.url(case_path, language=language))
    axe_check(viewer, label="case page of a viewer")
    viewer.goto(site.url("/staff/all/", language=language))
    axe_check(viewer, label="viewer's cases in my areas")

    partner = site.log_in("partner", language=language)
    axe_check(partner, label="partner's home")


def test_every_workspace_page_passes_axe_and_reflows_in_english(workspace: Workspace) -> None:
    _tour(workspace, _seed(workspace.city), language="en")


def test_every_workspace_page_passes_axe_and_reflows_in_finnish(workspace: Workspace) -> None:
    _tour(workspace, _seed(workspace.city), language="fi")


def test_the_case_page_works_by_keyboard_alone(workspace: Workspace) -> None:
    """Skip link first, focus always visible, every action reachable, opened and sent from the keyboard."""
    cases = _seed(workspace.city)
    case = cases["pothole"]
    page = workspace.log_in("advisor")
    page.goto(workspace.url(f"/staff/cases/{case.reference}/"))

    page.keyboard.press("Tab")
    focus = focus_description(page)
    assert "skip-link" in focus["className"], f"the first Tab stop is {focus}, not the skip link"
    assert focus_is_visible(focus), f"the skip link shows no focus indicator: {focus}"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Walk the page with Tab from the main content: every stop shows focus; every action is reached.
    summaries = page.locator(".case-actions summary")
    expected = summaries.count()
    reached: list[str] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        focus = focus_description(page)
        assert focus_is_visible(focus), f"no visible focus indicator on {focus}"
        if focus["tag"] == "summary":
            reached.append(focus["text"])
            if len(reached) == expected:
                break
    assert len(reached) == expected, f"Tab reached {reached} of {expected} actions"

    # Each action opens with Enter or Space from its summary.
    for index in range(expected):
        summary = summaries.nth(index)
        summary.focus()
        page.keyboard.press("Enter" if index % 2 else " ")
        assert summary.evaluate("s => s.parentElement.open"), f"{summary.inner_text()} did not open"
        page.keyboard.press("Enter" if index % 2 else " ")  # and closes again
        assert not summary.evaluate("s => s.parentElement.open")

    # An internal note, typed and sent without the mouse.
    note = page.locator("details:has(form[action*='/actions/note/'])")
    note.locator("summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "note-body"
    page.keyboard.type("Kirjattu näppäimistöllä.")
    page.keyboard.press("Tab")
    focus = focus_description(page)
    assert focus["tag"] == "button", f"after the note text Tab went to {focus}"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".messages").is_visible()
    assert TimelineEntry.objects.filter(case=case, body="Kirjattu näppäimistöllä.").exists()

    # Taking a new case by keyboard: Space on the button sends its form.
    unclear = cases["unclear"]
    page.goto(workspace.url(f"/staff/cases/{unclear.reference}/"))
    page.locator("details:has(form[action*='/actions/take/']) summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focus_description(page)["tag"] == "button"
    with page.expect_navigation():
        page.keyboard.press(" ")
    unclear.refresh_from_db()
    assert unclear.handler_id == workspace.city.users["advisor"].pk
    assert unclear.status == Status.OPEN
