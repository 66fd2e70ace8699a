from django.contrib import admin

from entitle.core.admin import AuditedAdmin, ReadOnlyAdmin
from entitle.renewals.models import (
    PartnerListing,
    Reminder,
    ReminderSweep,
    RenewalRequest,
    ShopOrder,
)


@admin.register(PartnerListing)
class PartnerListingAdmin(AuditedAdmin):
    list_display = ["company", "summary", "updated_at"]
    search_fields = ["company__name", "summary"]
    filter_horizontal = ["products"]
    list_select_related = ["company"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "company":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_partner=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ReminderSweep)
class ReminderSweepAdmin(ReadOnlyAdmin):
    list_display = ["day", "scheduled", "booked_at", "started_at", "finished_at", "reminders"]
    list_filter = ["scheduled"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["licence", "end_date", "step", "status", "claimed_at", "mailed_at"]
    list_filter = ["status", "step"]
    search_fields = ["licence__activation_id"]
    list_select_related = ["licence"]


@admin.register(RenewalRequest)
class RenewalRequestAdmin(ReadOnlyAdmin):
    list_display = ["subscription_id", "partner", "requester", "status", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["partner", "requester"]


@admin.register(ShopOrder)
class ShopOrderAdmin(ReadOnlyAdmin):
    list_display = ["po", "licence", "company", "kind", "status", "placed_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["po", "licence", "company"]
