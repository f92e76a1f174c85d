"""The organisation's pickers — staff, service groups, categories, case types, areas — read once per process.

A case page offers about 1 100 options (the organisation's staff in two pickers, its groups in
three, its categories twice) and the queue pages several hundred; reading, labelling and rendering
them on every request was most of those pages' CPU time (docs/benchmarks.md, "HTTP: staff pages
under load"). Here each organisation's choices are read once per process, language and *version*,
with every option's HTML written once; the forms then take subsets (a group's members, everyone
but the actor) and mark the selected values, which costs a join of strings.

**Invalidation.** Saving or deleting a user, role membership, group membership, service group,
category, case type or area replaces the version token in the shared cache (Redis in production):
every process rebuilds on its next page. The token is replaced when the change is saved and again
when its transaction commits, so that no process keeps rows read between the two. A change that
bypasses the model signals (`QuerySet.update()`, raw SQL, another process without a shared cache,
as in the embedded setup) shows after `MAX_AGE_SECONDS` at most.

Only what is *offered* comes from here: what is posted is still validated against the database by
each field's queryset, so a stale option can at worst be refused with the field's usual error.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django import forms
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils.choices import BaseChoiceIterator
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civicdesk.accounts.models import GroupMembership, Membership, Role, User
from civicdesk.cases.models import CaseType, Category
from civicdesk.organizations.models import Area, ServiceGroup

logger = logging.getLogger(__name__)
T = TypeVar("T")
VERSION_KEY = "cases:pickers:version"
MAX_AGE_SECONDS = 300
HANDLING_ROLES = (Role.SERVICE_ADVISOR, Role.EXPERT, Role.EXTERNAL_PARTNER)
# Saving only these fields of a user changes nothing a picker shows (a login writes last_login).
_USER_FIELDS_NOT_SHOWN = frozenset({"last_login", "password"})


@dataclass(frozen=True)
class Option:
    """One `<option>`: its value and label, and its HTML unselected and selected.

    The HTML is what Django's `select_option.html` writes inside `select.html` (and what
    civicdesk/core/form_renderer.py writes): the value through `stringformat:'s'`, both escaped.
    """

    value: str
    label: str
    html: str
    selected_html: str


def option(value: Any, label: Any) -> Option:
    value, label = str(value), str(label)
    start = f'\n  <option value="{escape(value)}"'
    end = f">{escape(label)}</option>\n"
    return Option(value, label, start + end, start + " selected" + end)


class OptionList(BaseChoiceIterator):
    """A field's choices from the pickers: iterates as `(value, label)` pairs like any choices.

    `PickerSelect` and `PickerSelectMultiple` render them from the options' HTML.
    """

    def __init__(self, options: Sequence[Option], *, leading: Sequence[Option] = ()) -> None:
        self.options = options
        self.leading = leading

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for item in self.leading:
            yield item.value, item.label
        for item in self.options:
            yield item.value, item.label

    def __len__(self) -> int:
        return len(self.leading) + len(self.options)

    def __bool__(self) -> bool:
        return bool(self.leading or self.options)

    def html(self, values: Collection[str], *, multiple: bool) -> str:
        """The options' HTML with `values` selected: as Django selects, only the first match unless `multiple`."""
        parts = []
        has_selected = False
        for group in (self.leading, self.options):
            for item in group:
                if (multiple or not has_selected) and item.value in values:
                    has_selected = True
                    parts.append(item.selected_html)
                else:
                    parts.append(item.html)
        return "".join(parts)


class RenderedOptions:
    """The single option group of a picker widget: its HTML for the project's form renderer
    (`prerendered_html`), or, iterated, the option dicts Django's select templates expect."""

    def __init__(self, widget: forms.Select, choices: OptionList, name: str, value: list[str], attrs: Any) -> None:
        self.widget, self.choices, self.name, self.value, self.attrs = widget, choices, name, value, attrs

    @property
    def prerendered_html(self) -> str:
        return self.choices.html(set(self.value), multiple=self.widget.allow_multiple_selected)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for _name, subgroup, _index in forms.Select.optgroups(self.widget, self.name, self.value, self.attrs):
            yield from subgroup


class PickerSelect(forms.Select):
    """A select whose choices may be an `OptionList`: rendered from its HTML instead of option by option."""

    def optgroups(self, name: str, value: list[str], attrs: Any = None) -> list[Any]:
        if isinstance(self.choices, OptionList):
            return [(None, RenderedOptions(self, self.choices, name, value, attrs), 0)]
        return super().optgroups(name, value, attrs)


class PickerSelectMultiple(forms.SelectMultiple):
    def optgroups(self, name: str, value: list[str], attrs: Any = None) -> list[Any]:
        if isinstance(self.choices, OptionList):
            return [(None, RenderedOptions(self, self.choices, name, value, attrs), 0)]
        return super().optgroups(name, value, attrs)


@dataclass
class OrganizationPickers:
    """An organisation's choices in one language. Rows in the order of the queries they replace."""

    organization_id: int
    staff: list[Option]  # active users with a handling role in the organisation (last, first name, username)
    advisor_ids: frozenset[int]
    group_member_ids: dict[int, frozenset[int]]
    group_members: dict[int, list[Option]]  # active members of each group, any role (last, first name)
    groups: list[Option]  # active groups by name
    categories: list[Option]  # active categories by name
    case_types: list[Option]  # active case types by name
    filter_categories: list[Option]  # the same in the models' default order (the queue filters)
    filter_case_types: list[Option]
    areas: list[Option]
    handler_filter_leading: list[Option]  # "—", "Me", "Nobody"
    _staff_for_group: dict[int, list[Option]] = field(default_factory=dict)
    _fragments: dict[Hashable, Any] = field(default_factory=dict)

    def fragment(self, key: Hashable, render: Callable[[], T]) -> T:
        """HTML built from these pickers alone (a list page's blank filter and bulk-action fields),
        written once and dropped with them: it changes only with what they show, and the language."""
        if key not in self._fragments:
            self._fragments[key] = render()
        return cast(T, self._fragments[key])

    def staff_for_group(self, group_id: int) -> list[Option]:
        """Who a group's cases can be given to: the staff among its members and the advisors."""
        if group_id not in self._staff_for_group:
            members = self.group_member_ids.get(group_id, frozenset())
            self._staff_for_group[group_id] = [
                o for o in self.staff if int(o.value) in members or int(o.value) in self.advisor_ids
            ]
        return self._staff_for_group[group_id]

    def staff_except(self, user_id: int | None) -> list[Option]:
        excluded = str(user_id)
        return [o for o in self.staff if o.value != excluded]

    def groups_except(self, group_id: int | None) -> list[Option]:
        excluded = str(group_id)
        return [o for o in self.groups if o.value != excluded]


_built: dict[tuple[int, str], tuple[str, float, OrganizationPickers]] = {}
_lock = threading.Lock()


def organization_pickers(organization_id: int) -> OrganizationPickers:
    """The organisation's pickers in the current language: built at most once per version and
    `MAX_AGE_SECONDS` (one cache read per call when nothing changed)."""
    key = (organization_id, get_language() or "")
    version = _current_version()
    now = time.monotonic()
    entry = _built.get(key)
    if entry is None or entry[0] != version or now - entry[1] > MAX_AGE_SECONDS:
        entry = (version, now, _build(organization_id))
        with _lock:
            _built[key] = entry
    return entry[2]


def _current_version() -> str:
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            # Evicted or never set: any new token makes every process rebuild.
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(VERSION_KEY, "")
    except Exception:  # the cache is down: read the rows again rather than risk offering stale ones
        logger.warning("Picker version unavailable from the cache; rebuilding the pickers", exc_info=True)
        return uuid.uuid4().hex
    return str(version)


def pickers_changed() -> None:
    """Make every process rebuild its pickers on its next page (now, and after the commit)."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    with _lock:
        _built.clear()
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # a change must not fail because the cache is down; other processes catch up by age
        logger.warning("Could not replace the picker version in the cache", exc_info=True)


def _options(queryset: QuerySet[Any]) -> list[Option]:
    return [option(row.pk, row) for row in queryset]


def _user_label(first_name: str, last_name: str, username: str) -> str:
    return str(User(first_name=first_name, last_name=last_name, username=username))


def _build(organization_id: int) -> OrganizationPickers:
    staff = [
        option(pk, _user_label(first, last, username))
        for pk, first, last, username in User.objects.filter(
            is_active=True, memberships__organization_id=organization_id, memberships__role__in=HANDLING_ROLES
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
        .values_list("pk", "first_name", "last_name", "username")
    ]
    advisor_ids = frozenset(
        Membership.objects.filter(organization_id=organization_id, role=Role.SERVICE_ADVISOR).values_list(
            "user_id", flat=True
        )
    )
    member_ids: dict[int, set[int]] = {}
    members: dict[int, list[Option]] = {}
    for group_id, user_id, first, last, username in (
        GroupMembership.objects.filter(service_group__organization_id=organization_id, user__is_active=True)
        .order_by("user__last_name", "user__first_name", "user__username", "user_id")
        .values_list("service_group_id", "user_id", "user__first_name", "user__last_name", "user__username")
    ):
        member_ids.setdefault(group_id, set()).add(user_id)
        members.setdefault(group_id, []).append(option(user_id, _user_label(first, last, username)))
    categories = Category.objects.filter(organization_id=organization_id, is_active=True)
    case_types = CaseType.objects.filter(organization_id=organization_id, is_active=True)
    return OrganizationPickers(
        organization_id=organization_id,
        staff=staff,
        advisor_ids=advisor_ids,
        group_member_ids={group_id: frozenset(ids) for group_id, ids in member_ids.items()},
        group_members=members,
        groups=_options(
            ServiceGroup.objects.filter(organization_id=organization_id, is_active=True).order_by("name")
        ),
        categories=_options(categories.order_by("name")),
        case_types=_options(case_types.order_by("name")),
        filter_categories=_options(categories),
        filter_case_types=_options(case_types),
        areas=_options(Area.objects.filter(organization_id=organization_id).defer("geometry")),
        handler_filter_leading=[option("", "—"), option("me", _("Me")), option("none", _("Nobody"))],
    )


def _changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if sender is User and update_fields and set(update_fields) <= _USER_FIELDS_NOT_SHOWN:
        return
    pickers_changed()


for _model in (User, Membership, GroupMembership, ServiceGroup, Category, CaseType, Area):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"cases.pickers.save.{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"cases.pickers.delete.{_model.__name__}")
