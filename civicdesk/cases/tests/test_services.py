"""The case actions of R4.5: their results, their state rules, their audit entries and their input checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import override

from civicdesk.cases import services
from civicdesk.cases.models import (
    Attachment,
    Case,
    CaseCategory,
    CaseKind,
    CaseLink,
    CaseShare,
    Channel,
    CommentRequest,
    CommentRequestStatus,
    DeliveryState,
    EntryKind,
    FeedbackSubtype,
    LinkKind,
    ReferenceSequence,
    Resolution,
    ShareReason,
    Status,
    TimelineEntry,
)
from civicdesk.cases.permissions import can_handle_case, can_view_case
from civicdesk.cases.selectors import case_detail, case_get_for_user, comment_requests_waiting_for
from civicdesk.core.errors import ActionNotAllowedError, InvalidInputError, InvalidStateError, NotFoundError
from civicdesk.privacy.models import AuditEntry
from civicdesk.privacy.services import audit_verify_chain
from tests.factories import City, build_city

TOO_LONG = "x" * (settings.CASE_TEXT_MAX_CHARS + 1)


def _snapshot() -> dict[str, Any]:
    return {
        "cases": list(Case.objects.order_by("pk").values()),
        "case_categories": list(CaseCategory.objects.order_by("pk").values()),
        "timeline": list(TimelineEntry.objects.order_by("pk").values_list("pk", "case_id", "original_case_reference")),
        "audit": AuditEntry.objects.count(),
        "comment_requests": list(CommentRequest.objects.order_by("pk").values()),
        "shares": list(CaseShare.objects.order_by("pk").values()),
        "links": list(CaseLink.objects.order_by("pk").values()),
        "attachments": Attachment.objects.count(),
        "sequences": list(ReferenceSequence.objects.order_by("pk").values()),
    }


def _entries(case: Case, kind: str | None = None) -> list[TimelineEntry]:
    entries = TimelineEntry.objects.filter(case=case).order_by("created_at", "id")
    return list(entries.filter(kind=kind) if kind else entries)


@contextmanager
def audited(*actions: str, actor: Any) -> Iterator[None]:
    """The block writes exactly these audit entries, in this order, all by `actor`."""
    start = AuditEntry.objects.aggregate(last=Max("sequence"))["last"] or 0
    yield
    written = list(AuditEntry.objects.filter(sequence__gt=start).order_by("sequence"))
    assert [e.action for e in written] == list(actions)
    expected_actor = getattr(actor, "pk", None)
    assert all(e.actor_id == expected_actor for e in written), [(e.action, e.actor_id) for e in written]
    assert all(e.object_type == "case" for e in written)


def text_file(content: bytes = b"Kuvaus kuopasta.\n", name: str = "kuvaus.txt") -> ContentFile:
    return ContentFile(content, name=name)


# --- creating, reference numbers ----------------------------------------------------------


@pytest.mark.django_db
def test_create_routes_by_category_and_locates_the_area(city: City) -> None:
    with audited("case.create", actor=None):
        case = city.case()

    assert case.status == Status.NEW
    assert case.owner_group == city.streets
    assert case.area == city.area_west
    assert case.handler is None
    assert [c.pk for c in case.categories.all()] == [city.category_streets.pk]
    assert [e.kind for e in _entries(case)] == [EntryKind.CREATED]
    assert case.consent_at is not None


@pytest.mark.django_db
def test_create_without_category_goes_to_the_intake_group(city: City) -> None:
    case = city.case(categories=[], lat=None, lon=None)
    assert case.owner_group == city.intake
    assert case.area is None


@pytest.mark.django_db
def test_create_treats_none_as_nothing_given_for_optional_values(city: City) -> None:
    case = city.case(categories=None, address=None, consent_method=None, customer_phone=None, customer_type=None)
    assert case.owner_group == city.intake
    assert not case.categories.exists()
    assert (case.address, case.consent_method, case.customer_phone, case.customer_type) == ("", "", "", "")


@pytest.mark.django_db
def test_internal_customer_may_only_create_internal_requests(city: City) -> None:
    internal = city.fresh("internal")
    with audited("case.create", actor=internal):
        case = city.case(channel=Channel.INTERNAL, actor=internal, submitted_by=internal)
    assert case.submitted_by == internal

    before = _snapshot()
    with pytest.raises(ActionNotAllowedError):
        city.case(channel=Channel.PHONE, actor=internal)
    with pytest.raises(ActionNotAllowedError):
        city.case(channel=Channel.PHONE, actor=city.fresh("viewer"))
    assert _snapshot() == before


@pytest.mark.django_db
def test_reference_numbers_are_sequential_per_organisation_and_year(city: City, other_city: City) -> None:
    year = timezone.localtime().year
    ours = [city.case().reference for _ in range(3)]
    theirs = [other_city.case().reference for _ in range(2)]
    last_year = city.case(created_at=timezone.now().replace(year=year - 1, month=6, day=1)).reference
    ours.append(city.case().reference)

    assert ours == [f"{year}-000001", f"{year}-000002", f"{year}-000003", f"{year}-000004"]
    assert theirs == [f"{year}-000001", f"{year}-000002"]
    assert last_year == f"{year - 1}-000001"
    # The same number in two organisations: each finds its own.
    mine = case_get_for_user(user=city.fresh("advisor"), reference=f"{year}-000001")
    other = case_get_for_user(user=other_city.fresh("advisor"), reference=f"{year}-000001")
    assert mine.organization_id == city.org.pk
    assert other.organization_id == other_city.org.pk
    assert Case.objects.filter(reference=f"{year}-000001").count() == 2


@pytest.mark.django_db
def test_a_refused_create_leaves_no_gap_in_the_numbers(city: City) -> None:
    first = city.case()
    before = _snapshot()
    # The address is checked after the number was drawn: the whole write is rolled back.
    with pytest.raises(InvalidInputError):
        city.case(address="a" * 301)
    assert _snapshot() == before
    second = city.case()
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


# --- taking, assigning, forwarding --------------------------------------------------------


@pytest.mark.django_db
def test_take_opens_a_new_case(city: City) -> None:
    case = city.case()
    expert = city.fresh("expert")
    with audited("case.take", actor=expert):
        taken = services.case_take(case=case, actor=expert)

    assert taken.status == Status.OPEN
    assert taken.handler == expert
    entry = _entries(case, EntryKind.HANDLER_CHANGE)[-1]
    assert entry.actor == expert
    assert entry.data == {"from": None, "to": expert.pk}

    with pytest.raises(InvalidStateError):
        services.case_take(case=taken, actor=expert)


@pytest.mark.django_db
def test_take_of_a_closed_case_is_refused(city: City) -> None:
    case = city.case(answer_requested=False)
    services.case_close(case=case, actor=city.fresh("advisor"))
    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.case_take(case=case, actor=city.fresh("expert"))
    assert _snapshot() == before


@pytest.mark.django_db
def test_assign_to_a_member_of_the_group(city: City) -> None:
    case = city.case()
    advisor, expert2 = city.fresh("advisor"), city.fresh("expert2")
    with audited("case.assign", actor=advisor):
        assigned = services.case_assign(case=case, actor=advisor, handler=expert2, message="Sinulle")
    assert assigned.handler == expert2
    assert assigned.status == Status.OPEN
    assert _entries(case, EntryKind.HANDLER_CHANGE)[-1].body == "Sinulle"

    with pytest.raises(InvalidStateError):
        services.case_assign(case=assigned, actor=advisor, handler=expert2)


@pytest.mark.django_db
def test_assign_to_another_group_is_a_forward(city: City) -> None:
    case = city.case()
    advisor, parks_expert = city.fresh("advisor"), city.fresh("parks_expert")
    with audited("case.forward", actor=advisor):
        moved = services.case_assign(case=case, actor=advisor, service_group=city.parks, handler=parks_expert)
    assert moved.owner_group == city.parks
    assert moved.handler == parks_expert
    assert moved.status == Status.OPEN
    assert CaseShare.objects.filter(case=case, service_group=city.streets, reason=ShareReason.FORWARDED_FROM).exists()


@pytest.mark.django_db
def test_assign_to_the_own_group_without_a_person_is_refused(city: City) -> None:
    case = city.case()
    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.case_assign(case=case, actor=city.fresh("advisor"), service_group=city.streets)
    assert _snapshot() == before
    # With a person it is a plain assignment.
    assigned = services.case_assign(case=case, actor=city.fresh("advisor"), service_group=city.streets,
                                    handler=city.fresh("expert"))
    assert assigned.handler == city.users["expert"]
    assert assigned.owner_group == city.streets


@pytest.mark.django_db
def test_forward_changes_the_owner_and_lets_the_sender_follow(city: City) -> None:
    expert = city.fresh("expert")
    case = services.case_take(case=city.case(), actor=expert)
    with audited("case.forward", actor=expert):
        forwarded = services.case_forward(case=case, actor=expert, to_group=city.parks, message="Puiston puolella")

    assert forwarded.owner_group == city.parks
    assert forwarded.handler is None
    assert forwarded.status == Status.NEW
    entry = _entries(case, EntryKind.FORWARD)[-1]
    assert entry.body == "Puiston puolella"
    assert entry.data["from_group"] == city.streets.pk
    assert entry.data["to_group"] == city.parks.pk
    shares = CaseShare.objects.filter(case=case, service_group=city.streets, reason=ShareReason.FORWARDED_FROM)
    assert shares.count() == 1

    # The streets group still sees the case, no longer handles it; parks does.
    for name in ("expert", "expert2"):
        assert can_view_case(city.fresh(name), forwarded)
        assert not can_handle_case(city.fresh(name), forwarded)
    assert can_handle_case(city.fresh("parks_expert"), forwarded)
    # Its history stayed with it.
    assert [e.kind for e in _entries(case)][:2] == [EntryKind.CREATED, EntryKind.HANDLER_CHANGE]


@pytest.mark.django_db
def test_forward_to_the_same_group_is_refused(city: City) -> None:
    case = city.case()
    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.case_forward(case=case, actor=city.fresh("advisor"), to_group=city.streets)
    assert _snapshot() == before


# --- reclassifying and editing ------------------------------------------------------------


@pytest.mark.django_db
def test_reclassify_records_old_and_new(city: City) -> None:
    case = city.case()
    expert = city.fresh("expert")
    with audited("case.reclassify", actor=expert):
        services.case_reclassify(case=case, actor=expert, categories=[city.category_parks, city.category_streets],
                                 priority=4, public_works_status="PUBLIC_WORKS_IN_PROGRESS")
    case.refresh_from_db()
    assert case.priority == 4
    assert case.public_works_status == "PUBLIC_WORKS_IN_PROGRESS"
    assert case.detailed_status == "RECEIVED,PUBLIC_WORKS_IN_PROGRESS"
    primary = CaseCategory.objects.get(case=case, is_primary=True)
    assert primary.category == city.category_parks
    changes = _entries(case, EntryKind.CLASSIFICATION_CHANGE)[-1].data["changes"]
    assert changes["priority"] == [2, 4]
    assert changes["categories"] == [[city.category_streets.pk], [city.category_parks.pk, city.category_streets.pk]]


@pytest.mark.django_db
def test_reclassify_to_another_type_drops_the_feedback_subtype(city: City) -> None:
    case = city.case(case_type=city.types[CaseKind.FEEDBACK], feedback_subtype=FeedbackSubtype.COMPLAINT)
    services.case_reclassify(case=case, actor=city.fresh("advisor"), case_type=city.types[CaseKind.QUESTION])
    case.refresh_from_db()
    assert case.case_type == city.types[CaseKind.QUESTION]
    assert case.feedback_subtype == ""


@pytest.mark.django_db
def test_a_published_case_cannot_be_marked_special(city: City) -> None:
    advisor = city.fresh("advisor")
    case = services.case_publish(case=city.case(), actor=advisor, public_title="Kuoppa", public_text="Kuoppa tiellä.")
    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.case_reclassify(case=case, actor=advisor, contains_special_categories=True)
    assert _snapshot() == before


@pytest.mark.django_db
def test_edit_moves_the_case_to_the_new_area_and_keeps_personal_data_out_of_the_audit(city: City) -> None:
    case = city.case()
    advisor = city.fresh("advisor")
    with audited("case.edit", actor=advisor):
        edited = services.case_edit(case=case, actor=advisor, lat=60.17, lon=25.02, customer_email="uusi@example.fi",
                                    title="Kuoppa itäpuolella")
    assert edited.area == city.area_east
    assert edited.customer_email == "uusi@example.fi"
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None
    assert "uusi@example.fi" not in str(entry.changes)
    assert entry.changes["title"] == ["Kuoppa kadulla", "Kuoppa itäpuolella"]
    # The latitude stayed the same, so only the longitude counts as changed.
    assert _entries(case, EntryKind.EDIT)[-1].data["fields"] == ["customer_email", "lon", "title"]

    cleared = services.case_edit(case=edited, actor=advisor, lat=None, lon=None)
    assert cleared.area is None


# --- replies, notes and the customer's messages -------------------------------------------


@pytest.mark.django_db
def test_reply_answers_the_customer_and_makes_the_replier_the_handler(city: City) -> None:
    case = city.case()
    expert = city.fresh("expert")
    with audited("case.reply", actor=expert):
        entry = services.case_reply(case=case, actor=expert, body="Korjaamme kuopan tällä viikolla.")
    case.refresh_from_db()
    assert entry.kind == EntryKind.OUTBOUND_REPLY
    assert entry.is_internal is False
    assert entry.delivery_state == DeliveryState.QUEUED
    assert entry.data == {"to": "maija@example.fi"}
    assert case.status == Status.OPEN
    assert case.handler == expert
    assert case.first_response_at == entry.created_at


@pytest.mark.django_db
def test_reply_is_emailed_after_commit(city: City, django_capture_on_commit_callbacks: Any) -> None:
    case = city.case()
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.case_reply(case=case, actor=city.fresh("advisor"), body="Kiitos viestistä.")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["maija@example.fi"]
    assert case.reference in mail.outbox[0].subject
    entry.refresh_from_db()
    assert entry.delivery_state == DeliveryState.SENT


@pytest.mark.django_db
def test_waiting_for_the_customer_and_their_answer(city: City) -> None:
    case = city.case()
    services.case_reply(case=case, actor=city.fresh("advisor"), body="Missä kohtaa tarkalleen?", wait_for_customer=True)
    case.refresh_from_db()
    assert case.status == Status.WAITING

    with audited("case.customer_message", actor=None):
        message = services.case_record_customer_message(case=case, body="Bussipysäkin kohdalla.")
    case.refresh_from_db()
    assert case.status == Status.OPEN
    assert message.kind == EntryKind.INBOUND_MESSAGE
    assert message.actor_label == "Maija Meikäläinen"
    assert _entries(case, EntryKind.STATUS_CHANGE)[-1].data == {
        "from": Status.WAITING, "to": Status.OPEN, "by_customer": True, "reason": "customer_message",
    }


@pytest.mark.django_db
def test_a_customer_message_reopens_a_closed_case(city: City) -> None:
    advisor = city.fresh("advisor")
    case = city.case()
    services.case_take(case=case, actor=advisor)
    services.case_close(case=case, actor=advisor, reply="Korjattu.")
    services.case_record_customer_message(case=case, body="Kuoppa on yhä siellä!")
    case.refresh_from_db()
    assert case.status == Status.OPEN  # it still has its handler
    assert case.resolution == Resolution.NONE
    assert case.closed_at is None

    unhandled = city.case(answer_requested=False)
    services.case_close(case=unhandled, actor=advisor)
    services.case_record_customer_message(case=unhandled, body="Vielä yksi asia.")
    unhandled.refresh_from_db()
    assert unhandled.status == Status.NEW


@pytest.mark.django_db
def test_reply_needs_contact_details_and_an_open_case(city: City) -> None:
    advisor = city.fresh("advisor")
    anonymous_case = city.case(customer_name="", customer_email="", answer_requested=False)
    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.case_reply(case=anonymous_case, actor=advisor, body="Kiitos!")
    assert _snapshot() == before

    services.case_close_unnecessary(case=anonymous_case, actor=advisor, reason="Testi")
    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.case_reply(case=anonymous_case, actor=advisor, body="Kiitos!")
    assert _snapshot() == before


@pytest.mark.django_db
def test_note_is_internal(city: City) -> None:
    case = city.case()
    expert = city.fresh("expert")
    with audited("case.note", actor=expert):
        note = services.case_add_note(case=case, actor=expert, body="Urakoitsijalle tilaus.")
    assert note.kind == EntryKind.INTERNAL_NOTE
    assert note.is_internal is True
    case.refresh_from_db()
    assert case.status == Status.NEW  # a note is not an answer


# --- sharing and comment requests ---------------------------------------------------------


@pytest.mark.django_db
def test_send_for_information_shares_without_handing_over(city: City) -> None:
    case = city.case()
    advisor, parks_expert = city.fresh("advisor"), city.fresh("parks_expert")
    assert not can_view_case(parks_expert, case)
    with audited("case.send_for_information", actor=advisor):
        entry = services.case_send_for_information(case=case, actor=advisor, message="Tiedoksi",
                                                   to_user=parks_expert)
    assert entry.kind == EntryKind.INFORMATION
    assert CaseShare.objects.filter(case=case, user=parks_expert, reason=ShareReason.INFORMATION).exists()
    parks_expert = city.fresh("parks_expert")
    assert can_view_case(parks_expert, case)
    assert not can_handle_case(parks_expert, case)
    case.refresh_from_db()
    assert case.owner_group == city.streets

    # Again to the same person: one share, a second timeline entry.
    services.case_send_for_information(case=case, actor=advisor, message="Muistutus", to_user=parks_expert)
    assert CaseShare.objects.filter(case=case, user=parks_expert).count() == 1
    assert len(_entries(case, EntryKind.INFORMATION)) == 2


@pytest.mark.django_db
def test_comment_request_is_pending_on_both_sides_and_answered_once(city: City) -> None:
    case = city.case()
    expert, parks_expert = city.fresh("expert"), city.fresh("parks_expert")
    due = timezone.now() + dt.timedelta(days=3)
    with audited("case.request_comment", actor=expert):
        request = services.case_request_comment(case=case, actor=expert, question="Onko tämä puiston aluetta?",
                                                from_user=parks_expert, due_at=due)
    assert request.status == CommentRequestStatus.PENDING
    # The asker sees it pending on the case, the addressee in their list and can open the case.
    assert [r.pk for r in case_detail(case=case).comment_requests if r.status == CommentRequestStatus.PENDING] == [
        request.pk
    ]
    assert [r.pk for r in comment_requests_waiting_for(user=city.fresh("parks_expert"))] == [request.pk]
    assert can_view_case(city.fresh("parks_expert"), case)

    with pytest.raises(ActionNotAllowedError):
        services.comment_request_answer(comment_request=request, actor=city.fresh("expert2"), answer="Minä vastaan")

    with audited("case.answer_comment_request", actor=parks_expert):
        answered = services.comment_request_answer(comment_request=request, actor=parks_expert, answer="Ei ole.")
    assert answered.status == CommentRequestStatus.ANSWERED
    assert answered.answered_by == parks_expert
    reply = _entries(case, EntryKind.COMMENT_REPLY)[-1]
    assert reply.body == "Ei ole."
    assert reply.comment_request_id == request.pk
    assert comment_requests_waiting_for(user=city.fresh("parks_expert")) == []

    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.comment_request_answer(comment_request=request, actor=parks_expert, answer="Toinen vastaus")
    assert _snapshot() == before
    # Someone who cannot see the case learns nothing about the request.
    with pytest.raises(NotFoundError):
        services.comment_request_answer(comment_request=request, actor=city.fresh("social_expert"), answer="?")


@pytest.mark.django_db
def test_any_member_of_the_asked_group_may_answer(city: City) -> None:
    case = city.case()
    request = services.case_request_comment(case=case, actor=city.fresh("advisor"), question="Kommentoikaa?",
                                            from_group=city.streets)
    services.comment_request_answer(comment_request=request, actor=city.fresh("expert2"), answer="Hoidamme.")
    request.refresh_from_db()
    assert request.status == CommentRequestStatus.ANSWERED


# --- closing and reopening ----------------------------------------------------------------


@pytest.mark.django_db
def test_close_needs_a_reply_when_the_customer_asked_for_one(city: City) -> None:
    case = city.case(answer_requested=True)
    advisor = city.fresh("advisor")
    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.case_close(case=case, actor=advisor)
    assert _snapshot() == before

    with audited("case.reply", actor=advisor):
        closed = services.case_close(case=case, actor=advisor, reply="Kuoppa on paikattu.")
    assert closed.status == Status.CLOSED
    assert closed.resolution == Resolution.ANSWERED
    assert closed.closed_at is not None
    assert _entries(case, EntryKind.OUTBOUND_REPLY)[-1].body == "Kuoppa on paikattu."

    with pytest.raises(InvalidStateError):
        services.case_close(case=closed, actor=advisor, reply="Uudestaan")


@pytest.mark.django_db
def test_close_without_reply_when_none_was_asked(city: City) -> None:
    case = city.case(answer_requested=False)
    advisor = city.fresh("advisor")
    with audited("case.close", actor=advisor):
        closed = services.case_close(case=case, actor=advisor)
    assert closed.resolution == Resolution.NO_ANSWER_NEEDED
    assert _entries(case, EntryKind.STATUS_CHANGE)[-1].data["to"] == Status.CLOSED


@pytest.mark.django_db
def test_close_as_unnecessary_cancels_pending_comment_requests(city: City) -> None:
    case = city.case()
    advisor = city.fresh("advisor")
    pending = services.case_request_comment(case=case, actor=advisor, question="?", from_group=city.parks)
    with audited("case.close_unnecessary", actor=advisor):
        closed = services.case_close_unnecessary(case=case, actor=advisor, reason="Sama kuin 2025-000001")
    assert closed.status == Status.CLOSED
    assert closed.resolution == Resolution.UNNECESSARY
    pending.refresh_from_db()
    assert pending.status == CommentRequestStatus.CANCELLED
    assert comment_requests_waiting_for(user=city.fresh("parks_expert")) == []
    assert _entries(case, EntryKind.STATUS_CHANGE)[-1].body == "Sama kuin 2025-000001"


@pytest.mark.django_db
def test_reopen(city: City) -> None:
    advisor = city.fresh("advisor")
    case = services.case_close_unnecessary(case=city.case(), actor=advisor, reason="Vahinko")
    with audited("case.reopen", actor=advisor):
        reopened = services.case_reopen(case=case, actor=advisor, reason="Suljettu vahingossa")
    assert reopened.status == Status.NEW
    assert reopened.resolution == Resolution.NONE
    assert reopened.closed_at is None
    with pytest.raises(InvalidStateError):
        services.case_reopen(case=reopened, actor=advisor)


# --- publication --------------------------------------------------------------------------


@pytest.mark.django_db
def test_publish_and_unpublish(city: City) -> None:
    advisor = city.fresh("advisor")
    case = city.case()
    with audited("case.publish", actor=advisor):
        published = services.case_publish(case=case, actor=advisor, public_title="Kuoppa pyörätiellä",
                                          public_text="Pyörätiellä on kuoppa.", public_answer="Korjattu.")
    assert published.is_published
    first_published_at = published.published_at
    assert first_published_at is not None

    republished = services.case_publish(case=published, actor=advisor, public_title="Kuoppa",
                                        public_text="Pyörätiellä oli kuoppa.")
    assert republished.published_at == first_published_at
    assert republished.public_answer == ""

    with audited("case.unpublish", actor=advisor):
        unpublished = services.case_unpublish(case=republished, actor=advisor, reason="Vanhentunut")
    assert not unpublished.is_published
    with pytest.raises(InvalidStateError):
        services.case_unpublish(case=unpublished, actor=advisor)
    assert [e.data["published"] for e in _entries(case, EntryKind.PUBLICATION)] == [True, True, False]


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("public_text", "Palautteen antoi maija@example.fi."),
        ("public_text", "Kiitos MAIJA MEIKÄLÄINEN palautteesta."),
        ("public_text", "Soittakaa numeroon 040 123 4567."),
        ("public_text", "Henkilötunnus 010190-123A mainittiin."),
        ("public_text", "Ota yhteyttä pekka.virtanen@example.com"),
        ("public_title", "Maija Meikäläinen ja kuoppa"),
        ("public_answer", "Vastasimme osoitteeseen maija@example.fi"),
    ],
)
@pytest.mark.django_db
def test_publish_refuses_personal_data(city: City, field: str, text: str) -> None:
    case = city.case(customer_phone="040 123 4567")
    values = {"public_title": "Kuoppa", "public_text": "Kadulla on kuoppa.", "public_answer": "", field: text}
    before = _snapshot()
    with pytest.raises(InvalidInputError) as caught:
        services.case_publish(case=case, actor=city.fresh("advisor"), **values)
    assert str(caught.value)
    assert _snapshot() == before


@pytest.mark.django_db
def test_special_category_cases_are_never_published(city: City) -> None:
    case = city.case(case_type=city.special_type, categories=[city.category_social], contains_special_categories=True)
    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.case_publish(case=case, actor=city.fresh("social_expert"), public_title="Palaute",
                              public_text="Palaute palvelusta.")
    assert _snapshot() == before


# --- links and merges ---------------------------------------------------------------------


@pytest.mark.django_db
def test_link_is_symmetric_and_stored_once(city: City) -> None:
    first, second = city.case(), city.case()
    expert = city.fresh("expert")
    with audited("case.link", "case.link", actor=expert):
        link = services.case_link(case=second, other=first, actor=expert, kind=LinkKind.DUPLICATE)
    assert (link.from_case_id, link.to_case_id) == (first.pk, second.pk)
    assert [(kind, c.pk) for kind, c in case_detail(case=first).links] == [(LinkKind.DUPLICATE, second.pk)]
    assert [(kind, c.pk) for kind, c in case_detail(case=second).links] == [(LinkKind.DUPLICATE, first.pk)]
    assert len(_entries(first, EntryKind.LINK)) == len(_entries(second, EntryKind.LINK)) == 1

    before = _snapshot()
    for case, other in ((first, second), (second, first)):
        with pytest.raises(InvalidStateError):
            services.case_link(case=case, other=other, actor=expert)
    assert _snapshot() == before
    assert CaseLink.objects.count() == 1


@pytest.mark.django_db
def test_link_to_a_case_of_another_organisation_is_not_found(city: City, other_city: City) -> None:
    ours, theirs = city.case(), other_city.case()
    before = _snapshot()
    with pytest.raises(NotFoundError):
        services.case_link(case=ours, other=theirs, actor=city.fresh("advisor"))
    with pytest.raises(NotFoundError):
        services.case_merge(source=ours, target=theirs, actor=city.fresh("advisor"))
    assert _snapshot() == before


@pytest.mark.django_db
def test_merge_moves_the_history_and_the_old_reference_still_leads_there(city: City) -> None:
    advisor = city.fresh("advisor")
    source = city.case(categories=[city.category_parks], customer_email="toinen@example.fi")
    target = city.case()
    services.case_add_note(case=source, actor=advisor, body="Sama kuoppa kuin toisessa.")
    attachment = services.attachment_add(case=source, uploaded_file=text_file(), actor=advisor)
    request = services.case_request_comment(case=source, actor=advisor, question="?", from_group=city.parks)
    source_entries = {e.pk for e in _entries(source)}

    with audited("case.merge", "case.merge_receive", actor=advisor):
        merged = services.case_merge(source=source, target=target, actor=advisor)

    assert merged.pk == target.pk
    moved = TimelineEntry.objects.filter(pk__in=source_entries)
    assert {e.case_id for e in moved} == {target.pk}
    assert {e.original_case_reference for e in moved} == {source.reference}
    attachment.refresh_from_db()
    assert attachment.case_id == target.pk
    request.refresh_from_db()
    assert request.case_id == target.pk
    assert set(target.categories.values_list("pk", flat=True)) == {city.category_streets.pk, city.category_parks.pk}
    assert CaseCategory.objects.get(case=target, is_primary=True).category == city.category_streets
    assert CaseShare.objects.filter(case=target, service_group=city.parks).exists()
    assert CaseLink.objects.filter(from_case=source, to_case=target, kind=LinkKind.DUPLICATE).exists()

    found = case_get_for_user(user=city.fresh("advisor"), reference=source.reference)
    assert found.pk == source.pk
    assert found.merged_into_id == target.pk
    assert found.status == Status.CLOSED
    assert found.resolution == Resolution.MERGED
    assert [e.kind for e in _entries(source)] == [EntryKind.MERGE]

    # A customer answering the old case's e-mail reaches the case it was merged into.
    entry = services.case_record_customer_message(case=found, body="Lisätietoa")
    assert entry.case_id == target.pk


@pytest.mark.django_db
def test_merge_refusals(city: City) -> None:
    advisor = city.fresh("advisor")
    source, target, closed = city.case(), city.case(), city.case()
    services.case_close_unnecessary(case=closed, actor=advisor, reason="Tupla")
    before = _snapshot()
    with pytest.raises(InvalidInputError):
        services.case_merge(source=source, target=source, actor=advisor)
    with pytest.raises(InvalidStateError):
        services.case_merge(source=source, target=closed, actor=advisor)
    assert _snapshot() == before

    services.case_merge(source=source, target=target, actor=advisor)
    before = _snapshot()
    with pytest.raises(InvalidStateError):
        services.case_merge(source=source, target=target, actor=advisor)
    with pytest.raises(InvalidStateError):
        services.case_merge(source=target, target=source, actor=advisor)
    with pytest.raises(InvalidStateError):
        services.case_reopen(case=source, actor=advisor)
    with pytest.raises(InvalidStateError):
        services.case_publish(case=source, actor=advisor, public_title="Kuoppa", public_text="Kuoppa.")
    assert _snapshot() == before


@pytest.mark.django_db
def test_a_failure_late_in_a_merge_leaves_both_cases_as_they_were(city: City, monkeypatch: Any) -> None:
    advisor = city.fresh("advisor")
    source, target = city.case(categories=[city.category_parks]), city.case()
    services.case_add_note(case=source, actor=advisor, body="Huomio")
    real_audit_record = services.audit_record

    def failing_audit_record(**values: Any) -> Any:
        if values["action"] == "case.merge_receive":
            raise RuntimeError("the audit log is unavailable")
        return real_audit_record(**values)

    monkeypatch.setattr(services, "audit_record", failing_audit_record)
    before = _snapshot()
    with pytest.raises(RuntimeError):
        services.case_merge(source=source, target=target, actor=advisor)
    assert _snapshot() == before


@pytest.mark.django_db
def test_unlink(city: City) -> None:
    first, second = city.case(), city.case()
    expert = city.fresh("expert")
    services.case_link(case=first, other=second, actor=expert)
    with audited("case.unlink", "case.unlink", actor=expert):
        services.case_unlink(case=second, other=first, actor=expert)
    assert not CaseLink.objects.exists()
    assert case_detail(case=first).links == []
    before = _snapshot()
    with pytest.raises(NotFoundError):
        services.case_unlink(case=first, other=second, actor=expert)
    assert _snapshot() == before


@pytest.mark.django_db
def test_merging_a_special_case_makes_the_target_special(city: City) -> None:
    social_expert = city.fresh("social_expert")
    source = city.case(case_type=city.special_type, categories=[city.category_social],
                       contains_special_categories=True)
    target = city.case(case_type=city.special_type, categories=[city.category_social])
    services.case_merge(source=source, target=target, actor=social_expert)
    target.refresh_from_db()
    assert target.contains_special_categories
    assert not can_view_case(city.fresh("advisor"), target)


# --- attachments and views ----------------------------------------------------------------


@pytest.mark.django_db
def test_attachment_is_stored_by_content(city: City) -> None:
    case = city.case()
    expert = city.fresh("expert")
    with audited("case.attachment_add", actor=expert):
        attachment = services.attachment_add(case=case, uploaded_file=text_file(name="../../etc/passwd"), actor=expert)
    assert attachment.content_type == "text/plain"
    assert attachment.original_name == "passwd.txt"
    assert attachment.uploaded_by == expert
    assert attachment.size == len(b"Kuvaus kuopasta.\n")


@pytest.mark.django_db
def test_viewing_is_audited_and_refused_to_those_who_may_not_see(city: City) -> None:
    case = city.case()
    viewer = city.fresh("viewer")
    with audited("case.view", actor=viewer):
        services.case_view(user=viewer, case=case)
    before = _snapshot()
    with pytest.raises(NotFoundError):
        services.case_view(user=city.fresh("east_viewer"), case=case)
    assert _snapshot() == before


# --- the audit trail as a whole -----------------------------------------------------------


@pytest.mark.django_db
def test_a_whole_case_life_leaves_a_verifiable_audit_chain(city: City) -> None:
    advisor, expert, parks_expert = city.fresh("advisor"), city.fresh("expert"), city.fresh("parks_expert")
    with audited("case.create", actor=advisor):
        case = city.case(channel=Channel.PHONE, actor=advisor)
    other = city.case()
    steps: list[tuple[tuple[str, ...], Any, Callable[[], Any]]] = [
        (("case.take",), expert, lambda: services.case_take(case=case, actor=expert)),
        (("case.assign",), advisor, lambda: services.case_assign(case=case, actor=advisor,
                                                                 handler=city.fresh("expert2"))),
        (("case.reclassify",), expert, lambda: services.case_reclassify(case=case, actor=expert, priority=3)),
        (("case.edit",), expert, lambda: services.case_edit(case=case, actor=expert, address="Mannerheimintie 1")),
        (("case.note",), expert, lambda: services.case_add_note(case=case, actor=expert, body="Tilattu")),
        (("case.send_for_information",), expert,
         lambda: services.case_send_for_information(case=case, actor=expert, message="", to_group=city.parks)),
        (("case.request_comment",), expert,
         lambda: services.case_request_comment(case=case, actor=expert, question="?", from_user=parks_expert)),
        (("case.answer_comment_request",), parks_expert,
         lambda: services.comment_request_answer(comment_request=CommentRequest.objects.get(case=case),
                                                 actor=parks_expert, answer="Selvä")),
        (("case.reply",), expert, lambda: services.case_reply(case=case, actor=expert, body="Tulossa",
                                                              wait_for_customer=True)),
        (("case.customer_message",), None, lambda: services.case_record_customer_message(case=case, body="Kiitos")),
        (("case.attachment_add",), expert,
         lambda: services.attachment_add(case=case, uploaded_file=text_file(), actor=expert)),
        (("case.view",), advisor, lambda: services.case_view(user=advisor, case=case)),
        (("case.publish",), expert, lambda: services.case_publish(case=case, actor=expert, public_title="Kuoppa",
                                                                  public_text="Kuoppa tiellä.")),
        (("case.unpublish",), expert, lambda: services.case_unpublish(case=case, actor=expert)),
        (("case.link", "case.link"), expert, lambda: services.case_link(case=case, other=other, actor=expert)),
        (("case.reply",), expert, lambda: services.case_close(case=case, actor=expert, reply="Valmis")),
        (("case.reopen",), expert, lambda: services.case_reopen(case=case, actor=expert)),
        (("case.close_unnecessary",), expert,
         lambda: services.case_close_unnecessary(case=case, actor=expert, reason="Ei aihetta")),
        (("case.forward",), advisor, lambda: services.case_forward(case=other, actor=advisor, to_group=city.parks)),
        (("case.merge", "case.merge_receive"), advisor,
         lambda: services.case_merge(source=case, target=other, actor=advisor)),
    ]
    for actions, actor, step in steps:
        with audited(*actions, actor=actor):
            step()

    every = AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)).order_by("sequence")
    assert every.first().object_label == case.reference  # type: ignore[union-attr]
    assert all(e.subjects == ["maija@example.fi"] for e in every)
    result = audit_verify_chain()
    assert result.ok, result


# --- bad input ----------------------------------------------------------------------------
#
# Every malformed value gets an InvalidInputError with a message, and nothing is written. The
# organisations and cases are built once for the module (rolled back at the end).


@dataclass
class World:
    city: City
    other_city: City
    case_id: int
    other_id: int
    closed_id: int
    published_id: int
    comment_request_id: int
    foreign_user_id: int

    def case(self, key: str = "case_id") -> Case:
        return Case.objects.get(pk=getattr(self, key))

    def user(self, name: str = "advisor") -> Any:
        return self.city.fresh(name)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        city, other_city = build_city(), build_city("othercity")
        advisor = city.users["advisor"]
        case, other, closed, published = city.case(), city.case(), city.case(), city.case()
        request = services.case_request_comment(case=case, actor=advisor, question="?",
                                                from_user=city.users["parks_expert"])
        services.case_close_unnecessary(case=closed, actor=advisor, reason="Tupla")
        services.case_publish(case=published, actor=advisor, public_title="Kuoppa", public_text="Kuoppa tiellä.")
        yield World(city=city, other_city=other_city, case_id=case.pk, other_id=other.pk, closed_id=closed.pk,
                    published_id=published.pk, comment_request_id=request.pk,
                    foreign_user_id=other_city.users["expert"].pk)
        transaction.set_rollback(True)


def _create(w: World, **overrides: Any) -> Any:
    return w.city.case(**overrides)


def _foreign_user(w: World) -> Any:
    return w.other_city.fresh("expert")


def _exe() -> ContentFile:
    return ContentFile(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, name="kuva.jpg")


PAST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
# The services' annotations say what a caller should pass; these calls pass wrong types on purpose.
untyped: Any = services

BAD_INPUT: dict[str, Callable[[World], Any]] = {
    # creating
    "create/title None": lambda w: _create(w, title=None),
    "create/title number": lambda w: _create(w, title=42),
    "create/title empty": lambda w: _create(w, title=""),
    "create/title blank": lambda w: _create(w, title="   \x00 "),
    "create/title too long": lambda w: _create(w, title="k" * 201),
    "create/description too long": lambda w: _create(w, description=TOO_LONG),
    "create/description list": lambda w: _create(w, description=["Kuoppa"]),
    "create/email invalid": lambda w: _create(w, customer_email="maija@"),
    "create/email number": lambda w: _create(w, customer_email=12),
    "create/phone invalid": lambda w: _create(w, customer_phone="soita minulle"),
    "create/lat 91": lambda w: _create(w, lat=91, lon=24.9),
    "create/lon 181": lambda w: _create(w, lat=60.1, lon=181),
    "create/lat not a number": lambda w: _create(w, lat="pohjoinen", lon=24.9),
    "create/lat nan": lambda w: _create(w, lat=float("nan"), lon=24.9),
    "create/lat without lon": lambda w: _create(w, lat=60.17, lon=None),
    "create/lon without lat": lambda w: _create(w, lat="", lon=24.94),
    "create/category of another organisation": lambda w: _create(w, categories=[w.other_city.category_streets]),
    "create/category unknown id": lambda w: _create(w, categories=[999_999]),
    "create/category not an id": lambda w: _create(w, categories=["katu"]),
    "create/eleven categories": lambda w: _create(w, categories=[w.city.category_streets] * 11),
    "create/group of another organisation": lambda w: _create(w, owner_group=w.other_city.streets),
    "create/case type of another organisation": lambda w: _create(w, case_type=w.other_city.types["feedback"]),
    "create/channel unknown": lambda w: _create(w, channel="pigeon"),
    "create/language unknown": lambda w: _create(w, language="klingon"),
    "create/language list": lambda w: _create(w, language=["fi"]),
    "create/priority unknown": lambda w: _create(w, priority=9),
    "create/subtype on a fault report": lambda w: _create(w, feedback_subtype=FeedbackSubtype.THANKS),
    "create/answer without contact details": lambda w: _create(w, customer_email="", answer_requested=True),
    "create/answer requested not a bool": lambda w: _create(w, answer_requested="kyllä"),
    "create/special not a bool": lambda w: _create(w, contains_special_categories="ei"),
    "create/due not a time": lambda w: _create(w, due_at="huomenna"),
    "create/consent method number": lambda w: _create(w, consent_method=1),
    "create/address too long": lambda w: _create(w, address="a" * 301),
    "create/name number": lambda w: _create(w, customer_name=123),
    # assigning and forwarding
    "assign/nobody": lambda w: untyped.case_assign(case=w.case(), actor=w.user()),
    "assign/handler not in the group": lambda w: untyped.case_assign(case=w.case(), actor=w.user(),
                                                                      handler=w.user("parks_expert")),
    "assign/handler a reader": lambda w: untyped.case_assign(case=w.case(), actor=w.user(), handler=w.user("viewer")),
    "assign/handler of another organisation": lambda w: untyped.case_assign(case=w.case(), actor=w.user(),
                                                                             handler=_foreign_user(w)),
    "assign/handler not a user": lambda w: untyped.case_assign(case=w.case(), actor=w.user(), handler="expert"),
    "assign/group of another organisation": lambda w: untyped.case_assign(case=w.case(), actor=w.user(),
                                                                           service_group=w.other_city.parks),
    "assign/group not a group": lambda w: untyped.case_assign(case=w.case(), actor=w.user(), service_group="parks"),
    "assign/message too long": lambda w: untyped.case_assign(case=w.case(), actor=w.user(),
                                                              handler=w.user("expert"), message=TOO_LONG),
    "forward/group of another organisation": lambda w: untyped.case_forward(case=w.case(), actor=w.user(),
                                                                             to_group=w.other_city.parks),
    "forward/no group": lambda w: untyped.case_forward(case=w.case(), actor=w.user(), to_group=None),
    "forward/group not a group": lambda w: untyped.case_forward(case=w.case(), actor=w.user(), to_group="parks"),
    "forward/handler not in the new group": lambda w: untyped.case_forward(
        case=w.case(), actor=w.user(), to_group=w.city.parks, handler=w.user("expert")
    ),
    "forward/message number": lambda w: untyped.case_forward(case=w.case(), actor=w.user(), to_group=w.city.parks,
                                                              message=5),
    # reclassifying and editing
    "reclassify/nothing": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user()),
    "reclassify/category of another organisation": lambda w: untyped.case_reclassify(
        case=w.case(), actor=w.user(), categories=[w.other_city.category_parks]
    ),
    "reclassify/no categories": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(), categories=[]),
    "reclassify/category None": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(), categories=[None]),
    "reclassify/categories text": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(),
                                                                     categories="streets"),
    "reclassify/type of another organisation": lambda w: untyped.case_reclassify(
        case=w.case(), actor=w.user(), case_type=w.other_city.types["question"]
    ),
    "reclassify/type not a type": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(),
                                                                     case_type="question"),
    "reclassify/priority unknown": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(), priority=0),
    "reclassify/priority text": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(), priority="high"),
    "reclassify/subtype unknown": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(),
                                                                     feedback_subtype="rant"),
    "reclassify/subtype on a fault report": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(),
                                                                               feedback_subtype="thanks"),
    "reclassify/public works state unknown": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(),
                                                                                public_works_status="DONE"),
    "reclassify/special not a bool": lambda w: untyped.case_reclassify(case=w.case(), actor=w.user(),
                                                                        contains_special_categories="kyllä"),
    "reclassify/good priority, foreign category": lambda w: untyped.case_reclassify(
        case=w.case(), actor=w.user(), priority=4, categories=[w.other_city.category_parks]
    ),
    "edit/nothing": lambda w: untyped.case_edit(case=w.case(), actor=w.user()),
    "edit/unknown field": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), status="closed"),
    "edit/title None": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), title=None),
    "edit/title empty": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), title=""),
    "edit/description too long": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), description=TOO_LONG),
    "edit/lat 91": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), lat=91),
    "edit/lat without lon": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), lat=60.2, lon=None),
    "edit/email invalid": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), customer_email="a@b"),
    "edit/phone invalid": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), customer_phone="12"),
    "edit/customer type unknown": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), customer_type="alien"),
    "edit/due not a time": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), due_at="2030-01-01"),
    "edit/language unknown": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), language="xx"),
    "edit/answer requested not a bool": lambda w: untyped.case_edit(case=w.case(), actor=w.user(),
                                                                     answer_requested="ei"),
    "edit/good title, bad email": lambda w: untyped.case_edit(case=w.case(), actor=w.user(), title="Uusi otsikko",
                                                              customer_email="ei-osoite"),
    # replying and noting
    "reply/None": lambda w: untyped.case_reply(case=w.case(), actor=w.user(), body=None),
    "reply/empty": lambda w: untyped.case_reply(case=w.case(), actor=w.user(), body=" "),
    "reply/number": lambda w: untyped.case_reply(case=w.case(), actor=w.user(), body=1),
    "reply/too long": lambda w: untyped.case_reply(case=w.case(), actor=w.user(), body=TOO_LONG),
    "note/None": lambda w: untyped.case_add_note(case=w.case(), actor=w.user(), body=None),
    "note/empty": lambda w: untyped.case_add_note(case=w.case(), actor=w.user(), body=""),
    "note/bytes": lambda w: untyped.case_add_note(case=w.case(), actor=w.user(), body=b"huomio"),
    "note/too long": lambda w: untyped.case_add_note(case=w.case(), actor=w.user(), body=TOO_LONG),
    "customer message/empty": lambda w: untyped.case_record_customer_message(case=w.case(), body=""),
    "customer message/channel unknown": lambda w: untyped.case_record_customer_message(case=w.case(), body="Hei",
                                                                                        channel="fax"),
    # sharing and comments
    "information/nobody": lambda w: untyped.case_send_for_information(case=w.case(), actor=w.user(), message=""),
    "information/both": lambda w: untyped.case_send_for_information(
        case=w.case(), actor=w.user(), message="", to_user=w.user("parks_expert"), to_group=w.city.parks
    ),
    "information/group of another organisation": lambda w: untyped.case_send_for_information(
        case=w.case(), actor=w.user(), message="", to_group=w.other_city.parks
    ),
    "information/user of another organisation": lambda w: untyped.case_send_for_information(
        case=w.case(), actor=w.user(), message="", to_user=_foreign_user(w)
    ),
    "information/user not a user": lambda w: untyped.case_send_for_information(case=w.case(), actor=w.user(),
                                                                                message="", to_user=7),
    "information/message too long": lambda w: untyped.case_send_for_information(
        case=w.case(), actor=w.user(), message=TOO_LONG, to_group=w.city.parks
    ),
    "comment/question empty": lambda w: untyped.case_request_comment(case=w.case(), actor=w.user(), question="",
                                                                      from_group=w.city.parks),
    "comment/question too long": lambda w: untyped.case_request_comment(
        case=w.case(), actor=w.user(), question=TOO_LONG, from_group=w.city.parks
    ),
    "comment/nobody": lambda w: untyped.case_request_comment(case=w.case(), actor=w.user(), question="?"),
    "comment/both": lambda w: untyped.case_request_comment(
        case=w.case(), actor=w.user(), question="?", from_group=w.city.parks, from_user=w.user("parks_expert")
    ),
    "comment/oneself": lambda w: untyped.case_request_comment(case=w.case(), actor=w.user(), question="?",
                                                               from_user=w.user()),
    "comment/a reader": lambda w: untyped.case_request_comment(case=w.case(), actor=w.user(), question="?",
                                                                from_user=w.user("reporter")),
    "comment/user of another organisation": lambda w: untyped.case_request_comment(
        case=w.case(), actor=w.user(), question="?", from_user=_foreign_user(w)
    ),
    "comment/user not a user": lambda w: untyped.case_request_comment(case=w.case(), actor=w.user(), question="?",
                                                                       from_user="parks"),
    "comment/group of another organisation": lambda w: untyped.case_request_comment(
        case=w.case(), actor=w.user(), question="?", from_group=w.other_city.parks
    ),
    "comment/due in the past": lambda w: untyped.case_request_comment(
        case=w.case(), actor=w.user(), question="?", from_group=w.city.parks, due_at=PAST
    ),
    "comment/due not a time": lambda w: untyped.case_request_comment(
        case=w.case(), actor=w.user(), question="?", from_group=w.city.parks, due_at="perjantaina"
    ),
    "answer/None": lambda w: untyped.comment_request_answer(
        comment_request=CommentRequest.objects.get(pk=w.comment_request_id), actor=w.user("parks_expert"), answer=None
    ),
    "answer/too long": lambda w: untyped.comment_request_answer(
        comment_request=CommentRequest.objects.get(pk=w.comment_request_id), actor=w.user("parks_expert"),
        answer=TOO_LONG,
    ),
    # closing and reopening
    "close/reply number": lambda w: untyped.case_close(case=w.case(), actor=w.user(), reply=5),
    "close/reply too long": lambda w: untyped.case_close(case=w.case(), actor=w.user(), reply=TOO_LONG),
    "close unnecessary/no reason": lambda w: untyped.case_close_unnecessary(case=w.case(), actor=w.user(),
                                                                             reason=""),
    "close unnecessary/reason None": lambda w: untyped.case_close_unnecessary(case=w.case(), actor=w.user(),
                                                                               reason=None),
    "close unnecessary/reason too long": lambda w: untyped.case_close_unnecessary(case=w.case(), actor=w.user(),
                                                                                   reason=TOO_LONG),
    "reopen/reason number": lambda w: untyped.case_reopen(case=w.case("closed_id"), actor=w.user(), reason=3),
    "reopen/reason too long": lambda w: untyped.case_reopen(case=w.case("closed_id"), actor=w.user(),
                                                             reason=TOO_LONG),
    # publication
    "publish/title empty": lambda w: untyped.case_publish(case=w.case(), actor=w.user(), public_title="",
                                                           public_text="Kuoppa."),
    "publish/text None": lambda w: untyped.case_publish(case=w.case(), actor=w.user(), public_title="Kuoppa",
                                                         public_text=None),
    "publish/text too long": lambda w: untyped.case_publish(case=w.case(), actor=w.user(), public_title="Kuoppa",
                                                             public_text=TOO_LONG),
    "publish/answer number": lambda w: untyped.case_publish(case=w.case(), actor=w.user(), public_title="Kuoppa",
                                                             public_text="Kuoppa.", public_answer=4),
    "publish/identity code": lambda w: untyped.case_publish(case=w.case(), actor=w.user(), public_title="Kuoppa",
                                                             public_text="Hetu 010190-123A"),
    "unpublish/reason number": lambda w: untyped.case_unpublish(case=w.case("published_id"), actor=w.user(),
                                                                 reason=7),
    # links and merges
    "link/kind unknown": lambda w: untyped.case_link(case=w.case(), other=w.case("other_id"), actor=w.user(),
                                                      kind="sibling"),
    "link/itself": lambda w: untyped.case_link(case=w.case(), other=w.case(), actor=w.user()),
    "merge/itself": lambda w: untyped.case_merge(source=w.case(), target=w.case(), actor=w.user()),
    # attachments
    "attachment/None": lambda w: untyped.attachment_add(case=w.case(), uploaded_file=None, actor=w.user()),
    "attachment/text instead of a file": lambda w: untyped.attachment_add(case=w.case(), uploaded_file="kuva.jpg",
                                                                           actor=w.user()),
    "attachment/empty": lambda w: untyped.attachment_add(case=w.case(), uploaded_file=ContentFile(b"", name="a.txt"),
                                                          actor=w.user()),
    "attachment/program": lambda w: untyped.attachment_add(case=w.case(), uploaded_file=_exe(), actor=w.user()),
    "attachment/entry of another case": lambda w: untyped.attachment_add(
        case=w.case(), uploaded_file=text_file(), actor=w.user(), entry=_entries(w.case("other_id"))[0]
    ),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
@pytest.mark.django_db
def test_bad_input_is_refused_with_a_message_and_nothing_written(world: World, name: str) -> None:
    before = _snapshot()
    with pytest.raises(InvalidInputError) as caught:
        BAD_INPUT[name](world)
    assert type(caught.value) is InvalidInputError
    assert isinstance(str(caught.value), str)
    assert str(caught.value).strip()
    assert caught.value.status_code == 400
    assert _snapshot() == before


@pytest.mark.django_db
def test_bad_input_messages_name_the_field(world: World) -> None:
    with pytest.raises(InvalidInputError) as caught:
        services.case_add_note(case=world.case(), actor=world.user(), body="")
    assert caught.value.field == "body"
    with pytest.raises(InvalidInputError) as caught:
        _create(world, title="k" * 201)
    assert caught.value.field == "title"
    assert "200" in str(caught.value)
    with pytest.raises(InvalidInputError) as caught:
        _create(world, lat=60.17, lon=None)
    assert caught.value.field == "location"


FINNISH_CATALOGUE = settings.BASE_DIR / "locale" / "fi" / "LC_MESSAGES" / "django.mo"


@pytest.mark.xfail(
    not FINNISH_CATALOGUE.exists(), reason="The Finnish catalogue has not been compiled (compilemessages).",
    strict=False,
)
@pytest.mark.django_db
def test_error_messages_are_translated(world: World) -> None:
    messages = {}
    for language in ("en", "fi", "sv"):
        with override(language), pytest.raises(InvalidInputError) as caught:
            services.case_add_note(case=world.case(), actor=world.user(), body="")
        messages[language] = str(caught.value)
    assert messages["en"] == "Note is required."
    assert messages["fi"] != messages["en"]
    assert messages["sv"] != messages["en"]

