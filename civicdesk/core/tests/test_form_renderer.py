"""The project's form renderer writes <select> elements exactly as Django's templates do."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.models import User
from civicdesk.cases.forms import ACTION_FORMS, QueueFilterForm, action_forms_for
from civicdesk.core.form_renderer import FormRenderer, render_select

DJANGO = DjangoTemplates()
FAST = FormRenderer()

WIDGETS = [
    forms.Select(
        choices=[("", "---"), ("G<&>", [(1, "a<b"), (2, "c")]), (3, "d & e"), ("'q'", mark_safe("<i>safe</i>"))],
        attrs={"id": "x", "required": True, "disabled": False, "data-n": 5, "data-s": mark_safe("<b>"),
               "title": 'say "hi"'},
    ),
    forms.SelectMultiple(choices=[(1.5, 1.5), (dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4)), ("x", _("Open"))]),
    forms.NullBooleanSelect(),
    forms.Select(choices=[(None, None), (True, "yes"), (0, 0), ("", [("a", "A")])]),
    forms.Select(choices=[]),
]
VALUES: list[Any] = [None, "", 2, "1", [1, 2], "1.5", "x", True, "unknown", ["x", "1.5"], "'q'", "a"]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
def test_select_html_is_djangos(widget: forms.Widget, language: str) -> None:
    compared = 0
    with translation.override(language):
        for value in VALUES:
            try:
                expected = widget.render("name", value, attrs={"id": "id_name"}, renderer=DJANGO)
            except TypeError:  # a value this widget cannot take at all (a list for a single select)
                continue
            assert widget.render("name", value, attrs={"id": "id_name"}, renderer=FAST) == expected
            compared += 1
    assert compared


def test_the_project_uses_it() -> None:
    assert settings.FORM_RENDERER == "civicdesk.core.form_renderer.FormRenderer"
    assert isinstance(get_default_renderer(), FormRenderer)
    assert FAST.writes_selects


def test_unusual_options_are_left_to_the_templates() -> None:
    class OtherOption(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = OtherOption(choices=[(1, "a")])
    context = widget.get_context("name", None, {})
    assert render_select(context["widget"]) is None
    assert widget.render("name", None, renderer=FAST) == widget.render("name", None, renderer=DJANGO)
    callable_attr = forms.Select(choices=[(1, "a")], attrs={"data-x": lambda: "called"})
    assert render_select(callable_attr.get_context("name", None, {})["widget"]) is None
    assert callable_attr.render("name", None, renderer=FAST) == callable_attr.render("name", None, renderer=DJANGO)


def _rendered(form: forms.Form, renderer: Any) -> str:
    form.renderer = renderer
    return str(form)


@pytest.mark.django_db
def test_case_page_forms_render_as_with_djangos_templates(city: Any) -> None:
    case = city.case()
    case.refresh_from_db()
    advisor = User.objects.get(pk=city.users["advisor"].pk)
    offered = action_forms_for(actor=advisor, case=case)
    assert len(offered) > 5
    for form in offered:
        assert _rendered(form, FAST) == _rendered(form, DJANGO), type(form).__name__
    bound = ACTION_FORMS["assign"]({"assign-handler": "not a number"}, case=case, actor=advisor)
    assert not bound.is_valid()
    assert _rendered(bound, FAST) == _rendered(bound, DJANGO)
    queue_form = QueueFilterForm({"handler": "me", "channel": "email"}, group=city.streets, actor=advisor)
    assert _rendered(queue_form, FAST) == _rendered(queue_form, DJANGO)


INPUTS = [
    forms.TextInput(attrs={"maxlength": 20, "required": True, "title": 'say "hi" & <go>', "disabled": False}),
    forms.HiddenInput(),
    forms.CheckboxInput(),
    forms.DateTimeInput(attrs={"type": "datetime-local"}),
    forms.NumberInput(attrs={"step": 0.5}),
    forms.EmailInput(),
    forms.FileInput(),
    forms.Textarea(attrs={"rows": 3, "data-s": mark_safe("<b>")}),
]
INPUT_VALUES: list[Any] = [None, "", "a<b>&\"c\"", 0, 1.5, True, False, dt.datetime(2024, 1, 2, 3, 4), _("Open"),
                           mark_safe("<i>safe</i>"), "\nfirst line"]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("widget", INPUTS, ids=lambda w: type(w).__name__)
def test_input_and_textarea_html_is_djangos(widget: forms.Widget, language: str) -> None:
    with translation.override(language):
        for value in INPUT_VALUES:
            expected = widget.render("name", value, attrs={"id": "id_name"}, renderer=DJANGO)
            assert widget.render("name", value, attrs={"id": "id_name"}, renderer=FAST) == expected, value
    assert widget.template_name in FAST.writers


class LabelledForm(forms.Form):
    plain = forms.CharField(label="Nimi & <osoite>")
    lazy = forms.CharField(label=_("Open"), required=False)
    safe = forms.BooleanField(label=mark_safe("<em>Tärkeä</em>"), required=False)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_label_html_is_djangos(language: str) -> None:
    with translation.override(language):
        for data in (None, {"plain": ""}):
            form = LabelledForm(data)
            for name in form.fields:
                field = form[name]
                for kwargs in ({}, {"attrs": {"class": "x", "data-n": 3}}, {"label_suffix": ":"}):
                    field.form.renderer = FAST
                    fast = field.label_tag(**kwargs)
                    field.form.renderer = DJANGO
                    assert fast == field.label_tag(**kwargs)
                field.form.renderer = FAST
                fast_legend = field.legend_tag()
                field.form.renderer = DJANGO
                assert fast_legend == field.legend_tag()
            assert _rendered(form, FAST) == _rendered(form, DJANGO)


class GroupedForm(forms.Form):
    plain = forms.CharField(label="Nimi & <osoite>", help_text="Apu <b>teksti</b>")
    choice = forms.ChoiceField(label=_("Open"), choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect,
                               help_text=mark_safe("<i>safe</i>"))
    unlabelled = forms.CharField(label="", required=False)
    described = forms.CharField(required=False, widget=forms.TextInput(attrs={"aria-describedby": "x"}),
                                help_text="h")
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("auto_id", ["id_%s", ""])
def test_field_group_html_is_djangos(language: str, auto_id: str) -> None:
    assert "django/forms/field.html" in FAST.writers
    with translation.override(language):
        for data in (None, {"plain": "", "choice": "zz"}, {"plain": "x", "choice": "a"}):
            form = GroupedForm(data, auto_id=auto_id)
            for name in form.fields:
                form.renderer = FAST
                fast = form[name].as_field_group()
                form.renderer = DJANGO
                assert fast == form[name].as_field_group(), (name, data)


@pytest.mark.django_db
def test_bulk_action_fields_group_as_with_djangos_templates(city: Any) -> None:
    from civicdesk.cases.forms import BulkActionForm

    advisor = User.objects.get(pk=city.users["advisor"].pk)
    for data in (None, {"bulk-action": "nonsense"}):
        form = BulkActionForm(data, actor=advisor, organization_id=city.org.pk, group=city.streets)
        for name in form.fields:
            form.renderer = FAST
            fast = form[name].as_field_group()
            form.renderer = DJANGO
            assert fast == form[name].as_field_group(), name
