"""The whole handling loop in a real browser, as residents and staff do it (issue 3, "staff workspace").

A resident sends a contact through the portal's form; an advisor finds it among all contacts,
corrects its category and forwards it; an expert asks a colleague for a comment, gets it,
answers the resident and closes the case; the resident's reply on the tracking page reopens
it; the expert publishes an anonymised version, after the first try with the resident's email
in it is refused. Every page on the way passes axe-core and the 200 % zoom check. A partner
cannot reach the case, and a viewer can read a case but not act on it.

Each step uses the pages as a person would: navigation links, filters, the action summaries
opened and the forms sent from the keyboard. The database is only read, to confirm what the
pages say.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from civicdesk.cases.models import Case, CaseCategory, CommentRequest, CommentRequestStatus, EntryKind, Status
from civicdesk.cases.models import TimelineEntry as Entry
from tests.browser.checks import axe_check, reflow_check
from tests.browser.conftest import Workspace, submit
from tests.factories import City, add_topic

pytestmark = pytest.mark.browser

POTHOLE = "Pyörätiellä on syvä kuoppa Mannerheimintien ja Kalevankadun kulmassa. Joku voi kaatua."
ANSWER = "Kiitos ilmoituksesta. Korjaamme kuopan tällä viikolla."
RESIDENT_REPLY = "Kuoppa on yhä paikallaan, ja viereen on tullut toinen."
PUBLIC_TEXT = "Pyörätiellä Mannerheimintien ja Kalevankadun kulmassa oli syvä kuoppa."


def _check(page: Any, label: str, *, must_see: tuple[str, ...] = ("main h1",)) -> None:
    axe_check(page, label=label)
    reflow_check(page, must_see=must_see, label=label)


def _open_action(page: Any, action: str) -> Any:
    """Open an action's <details> from the keyboard; the form inside it."""
    form = page.locator(f"form[action*='/actions/{action}/']")
    summary = page.locator(f"details:has(form[action*='/actions/{action}/']) > summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert form.is_visible(), f"Enter on the summary did not open the {action} form"
    return form


def _send(page: Any, form: Any) -> None:
    """Send a form from the keyboard: focus its button, press Enter, wait for the answer."""
    form.locator("button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _flash(page: Any) -> str:
    return str(page.locator(".messages").inner_text())


def _resident_sends_a_contact(site: Workspace) -> tuple[Any, str, str]:
    """The resident's contact, about a pothole but filed under parks; the receipt's reference and link.

    The test must have added the parks topic (`_park_topic`) before the browser started.
    """
    resident = site.new_page()
    resident.goto(site.url("/contact/"))
    _check(resident, "contact topics", must_see=("main .topic-list a",))
    submit(resident, resident.get_by_role("link", name="Parks and benches"))
    _check(resident, "contact form", must_see=("main form button[type=submit]",))
    form = resident.locator("form.contact-form")
    form.get_by_role("radio", name="Fault report").check()
    form.locator("textarea[name=description]").fill(POTHOLE)
    form.locator("input[name=address]").fill("Mannerheimintie 50")
    form.locator("input[name=name]").fill("Maija Meikäläinen")
    form.locator("input[name=email]").fill("maija@example.fi")
    form.locator("input[name=phone]").fill("040 123 4567")
    form.locator("input[name=answer_requested]").check()
    form.locator("input[name=consent]").press("Space")
    _send(resident, form)
    _check(resident, "receipt")
    reference = resident.locator("main [role=status] strong").inner_text().strip()
    tracking = resident.locator("[data-tracking-link]").get_attribute("href")
    assert reference
    assert tracking
    assert "/track/" in tracking
    return resident, reference, tracking


def _advisor_corrects_and_forwards(site: Workspace, reference: str) -> None:
    city = site.city
    advisor = site.log_in("advisor")
    _check(advisor, "advisor's home", must_see=("main h1", "#queue-counts"))
    with advisor.expect_navigation():
        advisor.get_by_role("navigation", name="Main").get_by_role("link", name="All contacts").click()
    advisor.locator("select[name=category]").select_option(str(city.category_parks.pk))
    submit(advisor, advisor.locator("form.filters button[type=submit]"))
    _check(advisor, "all contacts filtered by category", must_see=(".case-list a",))
    submit(advisor, advisor.get_by_role("link", name=reference))
    assert advisor.locator("main h1").inner_text().startswith(reference)
    _check(advisor, "case page (advisor)", must_see=("main h1", ".case-actions summary"))

    form = _open_action(advisor, "reclassify")
    form.locator("select[name=reclassify-category]").select_option(str(city.category_streets.pk))
    form.locator("select[name=reclassify-other_categories]").select_option([])
    _send(advisor, form)
    assert "classification was changed" in _flash(advisor)
    assert city.category_streets.name in advisor.locator(".case-facts").inner_text()

    form = _open_action(advisor, "forward")
    _check(advisor, "forward form open", must_see=("form[action*='/actions/forward/'] button",))
    form.locator("select[name=forward-to_group]").select_option(str(city.streets.pk))
    form.locator("textarea[name=forward-message]").fill("Kuoppa pyörätiellä, ei puistoasia.")
    _send(advisor, form)
    assert "forwarded" in _flash(advisor)
    assert city.streets.name in advisor.locator(".case-facts").inner_text()

    case = Case.objects.get(reference=reference, organization=city.org)
    assert case.owner_group_id == city.streets.pk
    primary = CaseCategory.objects.get(case=case, is_primary=True)
    assert primary.category_id == city.category_streets.pk
    assert list(CaseCategory.objects.filter(case=case).values_list("category_id", flat=True)) == [
        city.category_streets.pk
    ]


def _expert_asks_for_a_comment(site: Workspace, reference: str) -> Any:
    city = site.city
    expert = site.log_in("expert")
    submit(expert, expert.locator("#queue-counts").get_by_role("link", name=city.streets.name))
    _check(expert, "expert's queue", must_see=(".case-list a",))
    submit(expert, expert.get_by_role("link", name=reference))

    _send(expert, _open_action(expert, "take"))
    assert "You now handle the case" in _flash(expert)

    form = _open_action(expert, "comment-request")
    form.locator("select[name=comment-request-from_user]").select_option(label=city.users["expert2"].username)
    form.locator("textarea[name=comment-request-question]").fill("Onko tämä kohta jo korjauslistalla?")
    due = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(hour=12, minute=0)
    form.locator("input[name=comment-request-due_at]").fill(due.strftime("%Y-%m-%dT%H:%M"))
    _check(expert, "comment request form open", must_see=("form[action*='/actions/comment-request/'] button",))
    _send(expert, form)
    assert "comment was requested" in _flash(expert)
    request = CommentRequest.objects.get(case__reference=reference)
    assert request.requested_from_user_id == city.users["expert2"].pk
    assert request.due_at is not None
    return expert


def _second_expert_answers(site: Workspace, reference: str) -> None:
    colleague = site.log_in("expert2")
    waiting = colleague.locator("section[aria-labelledby=comments-heading]")
    assert "Onko tämä kohta jo korjauslistalla?" in waiting.inner_text()
    _check(colleague, "home with a comment request waiting")
    submit(colleague, waiting.get_by_role("link", name=reference))
    form = _open_action(colleague, "comment-answer")
    form.locator("select[name=comment-answer-comment_request]").select_option(index=1)
    form.locator("textarea[name=comment-answer-answer]").fill("On, korjausryhmä käy paikalla torstaina.")
    _send(colleague, form)
    assert "Your comment was added" in _flash(colleague)
    assert CommentRequest.objects.get(case__reference=reference).status == CommentRequestStatus.ANSWERED


def _expert_replies_and_closes(expert: Any, reference: str) -> None:
    expert.reload()
    assert "On, korjausryhmä käy paikalla torstaina." in expert.locator(".timeline").inner_text()
    form = _open_action(expert, "close")
    form.locator("textarea[name=close-reply]").fill(ANSWER)
    _send(expert, form)
    assert "The case was closed" in _flash(expert)
    assert "Closed" in expert.locator(".case-facts").inner_text()
    _check(expert, "closed case page", must_see=("main h1", ".case-actions summary"))
    case = Case.objects.get(reference=reference)
    assert case.status == Status.CLOSED
    assert Entry.objects.filter(case=case, kind=EntryKind.OUTBOUND_REPLY, body=ANSWER).exists()


def _resident_replies(resident: Any, tracking: str, reference: str) -> None:
    resident.goto(tracking)
    _check(resident, "tracking page of a closed case", must_see=("main h1", "textarea[name=message]"))
    assert resident.locator("dd[data-status]").get_attribute("data-status") == Status.CLOSED
    assert ANSWER in resident.locator(".timeline").inner_text()
    assert "On, korjausryhmä" not in resident.content(), "an internal comment reached the resident"
    resident.locator("textarea[name=message]").fill(RESIDENT_REPLY)
    _send(resident, resident.locator("main form"))
    assert resident.locator("dd[data-status]").get_attribute("data-status") == Status.OPEN
    assert RESIDENT_REPLY in resident.locator(".timeline").inner_text()
    _check(resident, "tracking page after the resident's reply")
    case = Case.objects.get(reference=reference)
    assert case.status == Status.OPEN
    assert case.closed_at is None


def _expert_publishes(expert: Any, reference: str) -> None:
    expert.reload()
    assert "In progress" in expert.locator(".case-facts").inner_text()
    assert RESIDENT_REPLY in expert.locator(".timeline").inner_text()

    form = _open_action(expert, "publish")
    form.locator("input[name=publish-public_title]").fill("Kuoppa pyörätiellä")
    form.locator("textarea[name=publish-public_text]").fill(f"{PUBLIC_TEXT} Ilmoittaja: maija@example.fi")
    form.locator("textarea[name=publish-public_answer]").fill("Kuoppa korjataan.")
    _send(expert, form)
    errors = expert.locator("#action-errors")
    assert errors.is_visible()
    assert "still contains personal data" in expert.locator("form[action*='/actions/publish/']").inner_text()
    assert expert.evaluate("location.hash") == "#action-errors"
    _check(expert, "publish refused", must_see=("#action-errors",))
    assert not Case.objects.get(reference=reference).is_published

    form = expert.locator("form[action*='/actions/publish/']")
    form.locator("textarea[name=publish-public_text]").fill(PUBLIC_TEXT)
    _send(expert, form)
    assert "The case was published" in _flash(expert)
    case = Case.objects.get(reference=reference)
    assert case.is_published
    assert case.public_text == PUBLIC_TEXT
    assert case.status == Status.OPEN


def _park_topic(city: City) -> None:
    add_topic(city, "parks", name="Puistot ja penkit", name_en="Parks and benches", category=city.category_parks,
              kinds=["fault_report", "complaint"], location="optional")


def test_resident_to_publication_through_the_browser(workspace: Workspace) -> None:
    _park_topic(workspace.city)
    resident, reference, tracking = _resident_sends_a_contact(workspace)
    _advisor_corrects_and_forwards(workspace, reference)
    expert = _expert_asks_for_a_comment(workspace, reference)
    _second_expert_answers(workspace, reference)
    _expert_replies_and_closes(expert, reference)
    _resident_replies(resident, tracking, reference)
    _expert_publishes(expert, reference)
    kinds = list(Entry.objects.filter(case__reference=reference).order_by("id").values_list("kind", flat=True))
    for kind in (
        EntryKind.CREATED,
        EntryKind.CLASSIFICATION_CHANGE,
        EntryKind.FORWARD,
        EntryKind.HANDLER_CHANGE,
        EntryKind.COMMENT_REQUEST,
        EntryKind.COMMENT_REPLY,
        EntryKind.OUTBOUND_REPLY,
        EntryKind.INBOUND_MESSAGE,
        EntryKind.PUBLICATION,
    ):
        assert kind in kinds, f"no {kind} entry in {kinds}"


def _partner_case_and_other(city: City) -> tuple[Case, Case]:
    assigned = city.case(title="Urakoitsijan korjattava", owner_group=city.partner_group)
    other = city.case(title="Katujen oma asia")
    return assigned, other


def test_partner_reaches_only_its_own_cases(workspace: Workspace) -> None:
    assigned, other = _partner_case_and_other(workspace.city)
    partner = workspace.log_in("partner")
    _check(partner, "partner's home")
    home = partner.locator("main").inner_text()
    assert other.reference not in home

    submit(partner, partner.locator("#queue-counts").get_by_role("link", name=workspace.city.partner_group.name))
    listed = partner.locator(".case-list").inner_text()
    assert assigned.reference in listed
    assert other.reference not in listed
    _check(partner, "partner's queue", must_see=(".case-list a",))
    submit(partner, partner.get_by_role("link", name=assigned.reference))
    assert partner.locator("main h1").inner_text().startswith(assigned.reference)

    response = partner.goto(workspace.url(f"/staff/cases/{other.reference}/"))
    assert response is not None
    assert response.status == 404
    assert other.title not in partner.content()
    partner.goto(workspace.url(f"/staff/search/?q={other.reference}"))
    assert other.reference not in partner.locator("main").inner_text()
    response = partner.goto(workspace.url("/staff/all/"))
    assert response is not None
    assert response.status == 404


def test_viewer_reads_but_cannot_act(workspace: Workspace) -> None:
    city = workspace.city
    case = city.case(title="Länsialueen asia", lat=60.17, lon=24.93)
    entries = Entry.objects.filter(case=case).count()
    viewer = workspace.log_in("viewer")
    viewer.goto(workspace.url(f"/staff/cases/{case.reference}/"))
    assert viewer.locator("main h1").inner_text().startswith(case.reference)
    assert viewer.locator("main form[action*='/actions/']").count() == 0
    assert viewer.locator(".case-actions").count() == 0
    _check(viewer, "viewer's case page")

    # A crafted POST with the viewer's own session and CSRF token, as a modified page would send.
    token = viewer.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = viewer.request.post(
        workspace.url(f"/staff/cases/{case.reference}/actions/take/"),
        form={"csrfmiddlewaretoken": token},
        headers={"Referer": viewer.url},
    )
    assert response.status == 403
    case.refresh_from_db()
    assert case.handler_id is None
    assert case.status == Status.NEW
    assert Entry.objects.filter(case=case).count() == entries
