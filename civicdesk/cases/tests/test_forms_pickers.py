"""The organisation's pickers (civicdesk/cases/forms_pickers.py): read once per process, rebuilt after every
change of what they show, rendered exactly as Django renders the same choices, validated against the database."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.utils import translation

from civicdesk.accounts.models import GroupMembership, Role, User
from civicdesk.cases import forms_pickers
from civicdesk.cases.forms import (
    AssignForm,
    BlankQueueFilter,
    BulkActionForm,
    CommentRequestForm,
    InformationForm,
    QueueFilterForm,
    ReclassifyForm,
    queue_filter_form,
)
from civicdesk.cases.forms_pickers import OptionList, PickerSelect, PickerSelectMultiple, option
from civicdesk.cases.models import Case
from civicdesk.core.form_renderer import FormRenderer
from tests.factories import City, UserFactory, add_role

pytestmark = pytest.mark.django_db


def _options(html: str, name: str) -> list[str]:
    """The labels of the options of the select named `name` on a page."""
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r"<option [^>]*>([^<]*)</option>", select.group(1))


def _case_page(client: Any, case: Case) -> str:
    response = client.get(f"/staff/cases/{case.reference}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_staff_member_added_shows_up_on_the_next_page(client: Any, city: City) -> None:
    case = city.case()
    client.force_login(city.users["advisor"])
    assert "Uusi Asiantuntija" not in _options(_case_page(client, case), "information-to_user")

    newcomer: User = UserFactory(first_name="Uusi", last_name="Asiantuntija")  # type: ignore[assignment]
    add_role(newcomer, city.org, Role.EXPERT, groups=(city.streets,))

    page = _case_page(client, case)
    assert "Uusi Asiantuntija" in _options(page, "information-to_user")
    assert "Uusi Asiantuntija" in _options(page, "assign-handler")  # a member of the case's group


def test_a_renamed_group_shows_its_new_name_and_a_deactivated_one_goes(client: Any, city: City) -> None:
    case = city.case()
    client.force_login(city.users["advisor"])
    assert "Puistot" in _options(_case_page(client, case), "forward-to_group")

    city.parks.name = "Puistot ja viheralueet"
    city.parks.save()
    city.social.is_active = False
    city.social.save()

    groups = _options(_case_page(client, case), "forward-to_group")
    assert "Puistot ja viheralueet" in groups
    assert "Puistot" not in groups
    assert "Sosiaalipalvelut" not in groups


def test_a_user_who_leaves_or_is_deactivated_is_no_longer_offered(client: Any, city: City) -> None:
    case = city.case()
    expert2 = city.users["expert2"]
    expert2.first_name, expert2.last_name = "Toinen", "Asiantuntija"
    expert2.save()
    client.force_login(city.users["advisor"])
    assert "Toinen Asiantuntija" in _options(_case_page(client, case), "assign-handler")

    GroupMembership.objects.filter(user=expert2, service_group=city.streets).delete()
    assert "Toinen Asiantuntija" not in _options(_case_page(client, case), "assign-handler")
    assert "Toinen Asiantuntija" in _options(_case_page(client, case), "information-to_user")

    expert2.is_active = False
    expert2.save()
    assert "Toinen Asiantuntija" not in _options(_case_page(client, case), "information-to_user")


def test_a_new_group_member_shows_in_the_queue_filter_and_the_bulk_bar(client: Any, city: City) -> None:
    city.case()
    client.force_login(city.users["advisor"])
    url = f"/staff/queues/{city.streets.pk}/"
    page = client.get(url).content.decode()
    assert "Puisto Asiantuntija" not in _options(page, "handler")

    parks_expert = city.users["parks_expert"]
    parks_expert.first_name, parks_expert.last_name = "Puisto", "Asiantuntija"
    parks_expert.save()
    GroupMembership.objects.create(user=parks_expert, service_group=city.streets)

    page = client.get(url).content.decode()
    assert "Puisto Asiantuntija" in _options(page, "handler")
    assert "Puisto Asiantuntija" in _options(page, "bulk-handler")


def test_blank_list_fields_are_written_once_and_match_a_fresh_rendering(city: City) -> None:
    advisor = city.fresh("advisor")
    blank = QueueFilterForm(group=city.streets, actor=advisor)
    kept = blank.fields_html()
    again = QueueFilterForm(group=city.streets, actor=advisor)
    assert again.fields_html() is kept
    assert kept == again._render_fields()
    # `?page=2` binds the form without giving a filter: the same fields, kept apart from the blank form's.
    paged = QueueFilterForm({"page": "2"}, group=city.streets, actor=advisor)
    assert paged.is_valid()
    assert paged.fields_html() == kept
    # The organisation's list offers other handlers than a group's queue.
    assert QueueFilterForm(organization_id=city.org.pk, actor=advisor).fields_html() != kept
    # A page asked with no parameters at all gets the blank form's stand-in: the same kept fields.
    stand_in = queue_filter_form(QueryDict(), group=city.streets, actor=advisor)
    assert isinstance(stand_in, BlankQueueFilter)
    assert stand_in.fields_html() is kept
    assert isinstance(queue_filter_form(QueryDict("page=2"), group=city.streets, actor=advisor), QueueFilterForm)

    bulk = BulkActionForm(actor=advisor, organization_id=city.org.pk, group=city.streets).field_groups
    assert BulkActionForm(actor=advisor, organization_id=city.org.pk, group=city.streets).field_groups is bulk
    fresh = BulkActionForm(actor=advisor, organization_id=city.org.pk, group=city.streets)
    assert bulk == {name: fresh[name].as_field_group() for name in fresh.fields}


def test_the_blank_stand_in_writes_the_fields_itself_when_none_are_kept(city: City) -> None:
    advisor = city.fresh("advisor")
    written = BlankQueueFilter(organization_id=city.org.pk, actor=advisor).fields_html()
    assert written == QueueFilterForm(organization_id=city.org.pk, actor=advisor)._render_fields()
    assert 'name="category"' in written


def test_given_filters_are_shown_selected_not_taken_from_the_kept_fields(city: City) -> None:
    advisor = city.fresh("advisor")
    kept = QueueFilterForm(group=city.streets, actor=advisor).fields_html()
    filtered = QueueFilterForm({"handler": "me", "q": "<katu>"}, group=city.streets, actor=advisor)
    assert filtered.is_valid()
    html = filtered.fields_html()
    assert html != kept
    assert '<option value="me" selected>' in html
    assert 'value="&lt;katu&gt;"' in html
    invalid = QueueFilterForm({"category": "abc"}, group=city.streets, actor=advisor)
    assert not invalid.is_valid()
    assert 'class="errors"' in invalid.fields_html()


def test_each_set_of_bulk_actions_gets_its_own_bar(city: City) -> None:
    partner = city.fresh("partner")  # may close cases, not assign or forward them
    partner_bar = BulkActionForm(actor=partner, organization_id=city.org.pk, group=city.partner_group)
    advisor_bar = BulkActionForm(actor=city.fresh("advisor"), organization_id=city.org.pk, group=city.partner_group)
    assert partner_bar.actions != advisor_bar.actions
    assert _options(partner_bar.field_groups["action"], "bulk-action") == ["—", "Sulje tarpeettomana"]
    assert len(_options(advisor_bar.field_groups["action"], "bulk-action")) == 4


def test_a_login_does_not_rebuild_the_pickers(city: City) -> None:
    forms_pickers.organization_pickers(city.org.pk)
    version = forms_pickers._current_version()
    user = city.users["expert"]
    user.save(update_fields=["last_login"])
    assert forms_pickers._current_version() == version
    user.save(update_fields=["first_name"])
    assert forms_pickers._current_version() != version


def test_the_version_changes_again_when_the_change_commits(city: City, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        city.parks.save()
        saved = forms_pickers._current_version()
    for callback in callbacks:
        callback()
    # Another process may have read the old rows between the save and the commit: it rebuilds again.
    assert forms_pickers._current_version() != saved


def test_a_change_that_bypasses_the_signals_shows_after_the_maximum_age(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    pickers = forms_pickers.organization_pickers(city.org.pk)
    assert "Puistot" in [o.label for o in pickers.groups]
    type(city.parks).objects.filter(pk=city.parks.pk).update(name="Puistot 2")  # no signal

    assert "Puistot" in [o.label for o in forms_pickers.organization_pickers(city.org.pk).groups]
    now = forms_pickers.time.monotonic()
    monkeypatch.setattr(forms_pickers.time, "monotonic", lambda: now + forms_pickers.MAX_AGE_SECONDS + 1)
    assert "Puistot 2" in [o.label for o in forms_pickers.organization_pickers(city.org.pk).groups]


def test_a_stale_option_is_still_refused_when_posted(city: City) -> None:
    case = city.case()
    advisor = User.objects.get(pk=city.users["advisor"].pk)
    InformationForm(case=case, actor=advisor)  # builds the pickers
    expert2 = city.users["expert2"]
    User.objects.filter(pk=expert2.pk).update(is_active=False)  # bypasses the signals: still offered

    form = InformationForm({"information-to_user": str(expert2.pk)}, case=case, actor=advisor)
    assert str(expert2.pk) in [value for value, _label in form.fields["to_user"].choices]  # type: ignore[attr-defined]
    assert not form.is_valid()
    assert "to_user" in form.errors


def test_pickers_are_per_language(city: City) -> None:
    city.parks.name_sv = "Parker"  # type: ignore[attr-defined]
    city.parks.save()
    with translation.override("sv"):
        assert "Parker" in [o.label for o in forms_pickers.organization_pickers(city.org.pk).groups]
    with translation.override("fi"):
        assert "Puistot" in [o.label for o in forms_pickers.organization_pickers(city.org.pk).groups]


def test_per_user_state_the_actor_is_not_offered_and_the_current_values_are_selected(city: City) -> None:
    case = city.case()
    expert = User.objects.get(pk=city.users["expert"].pk)
    comment = CommentRequestForm(case=case, actor=expert)
    assert str(expert.pk) not in [value for value, _label in comment.fields["from_user"].choices]  # type: ignore[attr-defined]

    html = str(ReclassifyForm(case=case, actor=expert)["category"])
    assert f'<option value="{city.category_streets.pk}" selected>Katujen kunto</option>' in html
    assert html.count(" selected") == 1
    bound = AssignForm({"assign-handler": str(city.users["expert2"].pk)}, case=case, actor=expert)
    assert f'<option value="{city.users["expert2"].pk}" selected>' in str(bound["handler"])


def test_the_queue_filter_still_refuses_a_handler_it_does_not_offer(city: City) -> None:
    form = QueueFilterForm({"handler": str(city.users["parks_expert"].pk)}, group=city.streets,
                           actor=city.users["expert"])
    assert not form.is_valid()
    form = QueueFilterForm({"handler": str(city.users["expert2"].pk)}, group=city.streets, actor=city.users["expert"])
    assert form.is_valid(), form.errors


CHOICES = [("", "---------"), ("1", "Ä & <b>"), ("2", "Toinen"), ("10", '"Lainattu"'), ("3", "Kolmas")]


@pytest.mark.parametrize("renderer", [FormRenderer(), DjangoTemplates()], ids=["project", "django"])
@pytest.mark.parametrize("multiple", [False, True])
@pytest.mark.parametrize("value", [None, "", "2", ["1", "10"], ["99"]])
def test_a_picker_renders_exactly_as_django_renders_the_same_choices(
    renderer: Any, multiple: bool, value: Any
) -> None:
    plain: forms.Select = forms.SelectMultiple(attrs={"size": 4}) if multiple else forms.Select()
    picker: forms.Select = PickerSelectMultiple(attrs={"size": 4}) if multiple else PickerSelect()
    plain.choices = CHOICES
    picker.choices = OptionList([option(v, label) for v, label in CHOICES[1:]], leading=[option(*CHOICES[0])])
    attrs = {"id": "id_x", "required": True}

    expected = plain.render("x", value, attrs=attrs, renderer=DjangoTemplates())
    assert picker.render("x", value, attrs=attrs, renderer=renderer) == expected
    assert list(picker.choices) == CHOICES
