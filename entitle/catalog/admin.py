from django.contrib import admin

from entitle.catalog.models import Product, Sku
from entitle.core.admin import AuditedAdmin

# SKUs are edited on their own page, not inline under their product: AuditedAdmin records the
# object a form saves, and an inline's rows would change without an audit event.


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = [
        "name",
        "code",
        "quantity_unit",
        "renewable_after_expiry",
        "grace_days",
        "lease_days",
        "rehosts_per_term",
    ]
    search_fields = ["name", "code"]


@admin.register(Sku)
class SkuAdmin(AuditedAdmin):
    list_display = ["code", "name", "product", "term_days", "partner_price", "direct_price"]
    list_filter = ["product", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["product"]
