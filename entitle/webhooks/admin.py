from django.contrib import admin

from entitle.core.admin import ReadOnlyAdmin
from entitle.webhooks.models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "company", "status", "consecutive_failures", "staff_view", "created_at"]
    list_filter = ["status", "staff_view"]
    search_fields = ["url", "company__name"]
    list_select_related = ["company"]
    exclude = ["secret_sealed"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event_type", "endpoint", "status", "attempts"]
    list_filter = ["status", "event_type"]
    search_fields = ["endpoint__url", "endpoint__company__name"]
    list_select_related = ["endpoint"]
