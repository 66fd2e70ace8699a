from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from entitle.accounts.models import ApiToken, Company, Invitation, User
from entitle.accounts.services import api_token_revoke, invitation_revoke
from entitle.core.admin import AuditedAdmin, ReadOnlyAdmin, run_service_action


@admin.register(Company)
class CompanyAdmin(AuditedAdmin):
    list_display = ["name", "is_vendor", "is_partner", "country", "created_at"]
    list_filter = ["is_vendor", "is_partner", "country"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "company", "role", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff", "company"]
    search_fields = ["email", "name", "company__name"]
    list_select_related = ["company"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["name", "company", "role"]}),
        ("Rights", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "name", "company", "role", "password1", "password2"]})
    ]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "company", "invited_by", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["email", "company__name"]
    list_select_related = ["company", "invited_by"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request, queryset):
        run_service_action(request, queryset, invitation_revoke, public_id="public_id")

    def has_change_permission(self, request, obj=None) -> bool:
        # Needed for actions to show; the form itself stays read-only (no editable fields).
        return obj is None


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "masked", "company", "created_by", "created_at", "revoked_at"]
    list_select_related = ["company", "created_by"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        run_service_action(request, queryset, api_token_revoke, token_id="pk")  # noqa: S106

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None
