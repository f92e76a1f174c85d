"""The project's form renderer: Django's, except that common widgets and labels are written in Python.

Django renders every <option> by including a template. The case page's action forms offer about
a thousand options (the organisation's staff and groups, several times over), and rendering them
took most of the page's time at 1M cases (docs/benchmarks.md, "HTTP: staff pages under load").
`render` writes exactly the HTML that Django's `select.html`, `select_option.html` and
`attrs.html` produce — same escaping, localisation, whitespace and attribute rules — and hands
anything unusual (another option template, callable values, overridden widget templates) back to
Django's templates. The same goes for the `<input>` widgets, `<textarea>` and `<label>`, each a
template render of its own otherwise (about 50 per case page).
civicdesk/core/tests/test_form_renderer.py compares the two outputs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import stringformat
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
ATTRS_TEMPLATE = "django/forms/widgets/attrs.html"
INPUT_TEMPLATE = "django/forms/widgets/input.html"
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"
LABEL_TEMPLATE = "django/forms/label.html"
LABEL_ATTRS_TEMPLATE = "django/forms/attrs.html"
FIELD_TEMPLATE = "django/forms/field.html"
# Django's input widgets whose template is `{% include "django/forms/widgets/input.html" %}` and a newline.
INPUT_WRAPPERS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("text", "hidden", "checkbox", "datetime", "date", "time", "email", "number", "password", "search",
                 "tel", "url", "file", "color")
)
DJANGO_FORM_TEMPLATES = Path(django.forms.__file__).resolve().parent / "templates"


class FormRenderer(DjangoTemplates):
    @cached_property
    def writes_selects(self) -> bool:
        """True while the select templates in use are Django's own (no app overrides them)."""
        for name in (SELECT_TEMPLATE, OPTION_TEMPLATE, ATTRS_TEMPLATE):
            origin = Path(self.get_template(name).origin.name).resolve()
            if not origin.is_relative_to(DJANGO_FORM_TEMPLATES):
                return False
        return True

    def _is_djangos(self, *names: str) -> bool:
        return all(
            Path(self.get_template(name).origin.name).resolve().is_relative_to(DJANGO_FORM_TEMPLATES)
            for name in names
        )

    @cached_property
    def writers(self) -> dict[str, Callable[[dict[str, Any]], str | None]]:
        """The templates written in Python: only those no app overrides (they are Django's own files)."""
        writers: dict[str, Callable[[dict[str, Any]], str | None]] = {}
        if self.writes_selects:
            writers[SELECT_TEMPLATE] = lambda context: render_select(context["widget"])
        if self._is_djangos(INPUT_TEMPLATE, ATTRS_TEMPLATE):
            writers[INPUT_TEMPLATE] = lambda context: render_input(context["widget"])
            for name in INPUT_WRAPPERS:
                if self._is_djangos(name) and self.get_template(name).template.source == (
                    '{% include "django/forms/widgets/input.html" %}\n'
                ):
                    writers[name] = _wrapped_input
        if self._is_djangos(TEXTAREA_TEMPLATE, ATTRS_TEMPLATE):
            writers[TEXTAREA_TEMPLATE] = lambda context: render_textarea(context["widget"])
        if self._is_djangos(LABEL_TEMPLATE, LABEL_ATTRS_TEMPLATE):
            writers[LABEL_TEMPLATE] = render_label
        if self._is_djangos(FIELD_TEMPLATE):
            writers[FIELD_TEMPLATE] = render_field_group
        return writers

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        writer = self.writers.get(template_name)
        if writer is not None:
            html = writer(context)
            if html is not None:
                return html.strip()  # as BaseRenderer.render strips what the templates give
        return super().render(template_name, context, request=request)


def _text(value: Any, context: Context) -> str:
    """`{{ value }}`: localised and escaped as a template variable is."""
    if type(value) is str:  # nothing to localise: what render_value_in_context does to a str
        return escape(value)
    return render_value_in_context(value, context)


def _formatted(value: Any, context: Context) -> str:
    """`{{ value|stringformat:'s' }}` (stringformat keeps a safe string safe)."""
    if isinstance(value, SafeData):
        # what the filter does (is_safe): safe in, safe out
        return render_value_in_context(mark_safe(stringformat(value, "s")), context)
    return _text(stringformat(value, "s"), context)


def _attrs(attrs: dict[str, Any], context: Context) -> str | None:
    """attrs.html: ` name="value"` for each attribute, ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if callable(value):
            return None
        if value is False:
            continue
        parts.append(" " + _text(name, context))
        if value is not True:
            parts.append('="' + _formatted(value, context) + '"')
    return "".join(parts)


def render_select(widget: dict[str, Any]) -> str | None:
    """select.html and its options for a widget context; None when only the templates can say."""
    context = Context()
    attrs = _attrs(widget["attrs"], context)
    if attrs is None or callable(widget["name"]):
        return None
    parts = ['<select name="', _text(widget["name"], context), '"', attrs, ">"]
    for group_name, group_choices, _index in widget["optgroups"]:
        if callable(group_name):
            return None
        prerendered = getattr(group_choices, "prerendered_html", None)
        if prerendered is not None and not group_name:
            # Options written once for many pages (civicdesk/cases/forms_pickers.py), with the selection.
            parts.append(prerendered)
            continue
        if group_name:
            parts += ['\n  <optgroup label="', _text(group_name, context), '">']
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE or callable(option["value"]) or callable(option["label"]):
                return None
            option_attrs = _attrs(option["attrs"], context)
            if option_attrs is None:
                return None
            parts += ['\n  <option value="', _formatted(option["value"], context), '"', option_attrs, ">",
                      _text(option["label"], context), "</option>\n"]
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts).strip()


def render_input(widget: dict[str, Any]) -> str | None:
    """input.html: `<input type name [value] attrs>` and its newline."""
    context = Context()
    value, kind, name = widget["value"], widget["type"], widget["name"]
    if callable(value) or callable(kind) or callable(name):
        return None
    attrs = _attrs(widget["attrs"], context)
    if attrs is None:
        return None
    parts = ['<input type="', _text(kind, context), '" name="', _text(name, context), '"']
    if operator.ne(value, None):  # the template's `widget.value != None`
        parts += [' value="', _formatted(value, context), '"']
    parts += [attrs, ">\n"]
    return "".join(parts)


def _wrapped_input(context: dict[str, Any]) -> str | None:
    html = render_input(context["widget"])
    return None if html is None else html + "\n"


def render_textarea(widget: dict[str, Any]) -> str | None:
    """textarea.html: the value after a newline (browsers drop the first one), only if it is truthy."""
    context = Context()
    value, name = widget["value"], widget["name"]
    if callable(value) or callable(name):
        return None
    attrs = _attrs(widget["attrs"], context)
    if attrs is None:
        return None
    return "".join(['<textarea name="', _text(name, context), '"', attrs, ">\n",
                    _text(value, context) if value else "", "</textarea>\n"])


def render_label(context: dict[str, Any]) -> str | None:
    """django/forms/label.html: `<tag attrs>label</tag>` when `use_tag`, else just the label."""
    template_context = Context()
    label, tag, attrs = context.get("label"), context.get("tag"), context.get("attrs")
    if callable(label) or callable(tag) or not isinstance(attrs, dict | type(None)):
        return None
    if not context.get("use_tag"):
        return _text(label, template_context) + "\n"
    written = _attrs(attrs or {}, template_context)
    if written is None:
        return None
    tag_text = _text(tag, template_context)
    return f"<{tag_text}{written}>{_text(label, template_context)}</{tag_text}>\n"


def render_field_group(context: dict[str, Any]) -> str | None:
    """django/forms/field.html (`BoundField.as_field_group`): the label or legend, help text, errors, widget."""
    field = context.get("field")
    if field is None:
        return None
    template_context = Context()
    parts: list[str] = []
    use_fieldset = field.use_fieldset
    if use_fieldset:
        parts.append("\n  <fieldset")
        described_by = field.aria_describedby
        if described_by:
            parts += [' aria-describedby="', _text(described_by, template_context), '"']
        parts.append(">\n  ")
        if field.label:
            parts.append(_text(field.legend_tag(), template_context))
    else:
        parts.append("\n  ")
        if field.label:
            parts.append(_text(field.label_tag(), template_context))
    parts.append("\n\n")
    if field.help_text:
        parts.append('<div class="helptext"')
        if field.auto_id:
            parts += [' id="', _text(field.auto_id, template_context), '_helptext"']
        # `{{ field.help_text|safe }}`
        parts += [">", render_value_in_context(mark_safe(str(field.help_text)), template_context), "</div>"]
    parts += ["\n", _text(field.errors, template_context), "\n", _text(field, template_context)]
    if use_fieldset:
        parts.append("</fieldset>")
    parts.append("\n")
    return "".join(parts)
