from django.contrib import admin, messages
from django.forms.models import model_to_dict

from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import DomainError
from entitle.core.models import AuditEvent


def run_service_action(request, queryset, service, **arguments: str) -> None:
    """An admin action that calls `service` once per selected object, as the vendor staff
    member; `arguments` map the service's keyword arguments to the object's attributes.
    A refusal is shown per object and does not stop the others."""
    actor = Actor.for_user(request.user)
    for obj in queryset:
        try:
            service(actor=actor, **{name: getattr(obj, attr) for name, attr in arguments.items()})
        except DomainError as exc:
            messages.error(request, f"{obj}: {exc.message}")


class AuditedAdmin(admin.ModelAdmin):
    """Back-office edits are changes like any other: each one is an audit event, written in
    the admin's own transaction."""

    def _state(self, obj) -> dict:
        return {k: str(v) for k, v in model_to_dict(obj).items() if "password" not in k}

    def _company_of(self, obj):
        return getattr(obj, "company", None) or (obj if obj._meta.model_name == "company" else None)

    def save_model(self, request, obj, form, change):
        before = self._state(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        record(
            actor=Actor.for_user(request.user),
            action=AuditAction(f"{obj._meta.model_name}.{'changed' if change else 'created'}"),
            obj=obj,
            company=self._company_of(obj),
            before=before,
            after=self._state(obj),
        )

    def delete_model(self, request, obj):
        before = self._state(obj)
        record(
            actor=Actor.for_user(request.user),
            action=AuditAction(f"{obj._meta.model_name}.deleted"),
            obj=obj,
            company=self._company_of(obj),
            before=before,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "action", "object_repr", "actor_user", "company"]
    list_filter = ["action"]
    search_fields = ["object_repr", "object_id", "actor_user__email"]
    date_hierarchy = "occurred_at"
    list_select_related = ["actor_user", "company"]
