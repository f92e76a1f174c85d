"""The case page's action forms written in Python (templatetags/case_page.py) against the loop they replaced."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from civicdesk.cases.forms import ACTION_FORMS, BlankActionForm, action_forms_for
from civicdesk.cases.templatetags.case_page import case_action_forms
from tests.factories import City

pytestmark = pytest.mark.django_db

# The loop of cases/detail.html before it became the `case_action_forms` tag.
REFERENCE_LOOP = """{% for form in action_forms %}
  <details{% if form is failed_action %} open{% endif %}>
    <summary>{{ form.title }}</summary>
    {# The fragment brings the reader straight to the error summary when the form comes back. #}
    <form method="post" action="{% url 'cases:action' case.reference form.action_name %}#action-errors"\
{% if form.is_multipart %} enctype="multipart/form-data"{% endif %} novalidate>
      {% csrf_token %}
      {% for field in form.hidden_fields %}{{ field }}{% endfor %}
      {% for field in form.visible_fields %}
        <div class="field">
          {{ field.label_tag }}
          {{ field }}
          {% if field.errors %}<div class="errors" id="{{ field.auto_id }}_errors">{{ field.errors }}</div>{% endif %}
        </div>
      {% endfor %}
      <button type="submit">{{ form.title }}</button>
    </form>
  </details>
  {% endfor %}"""


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("failing", [None, "reply", "assign", "attachment"])
def test_the_tag_writes_what_the_loop_wrote(city: City, language: str, failing: str | None) -> None:
    case = city.case(title='<script>alert("x")</script>')
    actor = city.fresh("advisor")
    bound = None
    if failing is not None:
        bound = ACTION_FORMS[failing]({f"{failing}-message": "<b>x</b>"}, {}, case=case, actor=actor)
        assert not bound.is_valid()
    with translation.override(language):
        forms = action_forms_for(actor=actor, case=case, bound=bound)
        assert len(forms) > 5
        context = {"action_forms": forms, "failed_action": bound, "case": case, "csrf_token": "t0ken<&>"}
        expected = Template("{% load i18n %}" + REFERENCE_LOOP.replace("\\\n", "")).render(Context(context))
        written = case_action_forms(Context(context), forms, bound, case)
        # The page's own call: the blank forms whose fields are kept come unbuilt, as stand-ins,
        # before and after their HTML is kept.
        for _ in range(2):
            stand_ins = action_forms_for(actor=actor, case=case, bound=bound, seen_entry_id=None,
                                         blank_stand_ins=True)
            assert any(isinstance(form, BlankActionForm) for form in stand_ins)
            assert case_action_forms(Context(context), stand_ins, bound, case) == expected
    assert written == expected
    assert 'value="t0ken&lt;&amp;&gt;"' in written
    assert written.count("<details open>") == (0 if failing is None else 1)


@pytest.mark.parametrize("actor_name", ["advisor", "expert", "partner", "viewer"])
def test_stand_ins_write_what_the_forms_write_with_the_page_s_seen_entry(city: City, actor_name: str) -> None:
    case = city.case(title='<script>alert("x")</script>', owner_group=city.streets)
    actor = city.fresh(actor_name)
    for seen in (0, 7, 123456):
        forms = action_forms_for(actor=actor, case=case, seen_entry_id=seen)
        stand_ins = action_forms_for(actor=actor, case=case, seen_entry_id=seen, blank_stand_ins=True)
        assert [type(form) if not isinstance(form, BlankActionForm) else form.form_class for form in stand_ins] == [
            type(form) for form in forms]
        context = Context({"csrf_token": "t"})
        assert case_action_forms(context, stand_ins, None, case) == case_action_forms(context, forms, None, case)


def test_stand_ins_post_to_the_address_of_the_page_s_language(city: City) -> None:
    """Addresses carry the language's prefix (i18n_patterns): a kept address is kept per language."""
    case = city.case()
    actor = city.fresh("advisor")
    for language in ("fi", "en", "sv", "fi"):
        with translation.override(language):
            stand_ins = action_forms_for(actor=actor, case=case, seen_entry_id=3, blank_stand_ins=True)
            forms = action_forms_for(actor=actor, case=case, seen_entry_id=3)
            context = Context({"csrf_token": "t"})
            written = case_action_forms(context, stand_ins, None, case)
            assert written == case_action_forms(context, forms, None, case)
            assert f'action="{reverse("cases:action", args=[case.reference, "reply"])}#action-errors"' in written


def test_the_case_page_uses_the_tag(client, city: City) -> None:
    case = city.case()
    client.force_login(city.users["advisor"])
    body = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert body.count('<form method="post" action="/staff/cases/') >= 5


def test_kept_blank_fields_follow_the_case_group_and_the_actor(city: City) -> None:
    """Blank forms' fields are kept per organisation, language and what else they show: a second page
    for another group's case, or for another actor, still writes exactly what the loop writes."""
    streets_case, parks_case = city.case(), city.case(owner_group=city.parks)
    for actor_name, case in (("advisor", streets_case), ("advisor", parks_case), ("expert", streets_case),
                             ("advisor", streets_case), ("expert", parks_case)):
        actor = city.fresh(actor_name)
        forms = action_forms_for(actor=actor, case=case)
        context = {"action_forms": forms, "failed_action": None, "case": case, "csrf_token": "t"}
        expected = Template("{% load i18n %}" + REFERENCE_LOOP.replace("\\\n", "")).render(Context(context))
        assert case_action_forms(Context(context), forms, None, case) == expected
    actor = city.fresh("advisor")
    keys = {type(form).__name__: form.blank_fields_key() for form in action_forms_for(actor=actor, case=parks_case)}
    assert keys["AssignForm"] == keys["ForwardForm"] == (city.parks.pk,)
    assert keys["ReplyForm"] == ()
    # Without the actor: kept per actor. Shown with the case's own values: written every time.
    assert keys["CommentRequestForm"] == (actor.pk,)
    assert keys["ReclassifyForm"] is None
