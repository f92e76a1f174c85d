"""The audit log for technical admins: searchable, filterable, read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.admin_scoping import managed_organization_ids
from civicdesk.accounts.permissions import MANAGING_ROLES
from civicdesk.privacy.models import AuditEntry
from civicdesk.privacy.selectors import audit_entries_as_csv, audit_entries_of_organizations
from civicdesk.privacy.services import audit_record


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("sequence", "created_at", "actor", "actor_label", "action", "object_type", "object_label",
                    "source_ip")
    list_filter = ("action", "object_type", "channel", "organization")
    search_fields = ("object_label", "object_id", "actor__username", "actor__email", "actor_label", "subjects")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    show_full_result_count = False
    actions = ("export_csv",)

    @admin.action(description=_("Export selected entries as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> HttpResponse:
        entries = list(queryset.order_by("sequence"))
        self._audit_reading(request, "audit_log.export", {"entries": len(entries)})
        response = HttpResponse(audit_entries_as_csv(entries), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response

    def _audit_reading(self, request: HttpRequest, action: str, changes: dict[str, Any]) -> None:
        # Reading the log is itself logged: who looked for what (R4.8).
        orgs = managed_organization_ids(request, MANAGING_ROLES)
        audit_record(
            action=action, actor=request.user,
            organization_id=next(iter(orgs)) if orgs and len(orgs) == 1 else None,
            object_type="audit_log", object_id="", changes=changes,
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        if request.method == "GET":
            self._audit_reading(request, "audit_log.view", {"query": dict(request.GET.lists())})
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        self._audit_reading(request, "audit_log.view", {"entry": object_id})
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        qs = super().get_queryset(request)
        orgs = managed_organization_ids(request, MANAGING_ROLES)
        return qs if orgs is None else audit_entries_of_organizations(qs, orgs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return managed_organization_ids(request, MANAGING_ROLES) != frozenset()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
