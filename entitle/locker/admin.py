from decimal import Decimal

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from entitle.core.admin import ReadOnlyAdmin, run_service_action
from entitle.locker.models import LedgerEntry, Locker, Voucher
from entitle.locker.services import voucher_void
from entitle.orders.models import PurchaseOrder


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "sku",
        "credits",
        "status",
        "po",
        "redeemed_by_company",
        "redeemed_by",
        "redeemed_at",
    ]
    list_filter = ["status"]
    search_fields = ["code", "line__po__po_number"]
    list_select_related = ["sku", "line__po", "redeemed_by_company", "redeemed_by"]
    actions = ["void"]

    @admin.display(description="PO", ordering="line__po__po_number")
    def po(self, voucher: Voucher) -> PurchaseOrder:
        return voucher.line.po

    @admin.action(description="Void the selected vouchers")
    def void(self, request: HttpRequest, queryset: QuerySet[Voucher]) -> None:
        # A redeemed voucher cannot be voided: the service says so, shown as an error per voucher.
        run_service_action(request, queryset, voucher_void, voucher_id="pk")
        voided = queryset.filter(status=Voucher.Status.VOID).count()
        messages.success(request, f"{voided} of {len(queryset)} selected voucher(s) void.")

    def has_change_permission(self, request, obj=None) -> bool:
        # Needed for actions to show; the form itself stays read-only (no editable fields).
        return obj is None


@admin.register(Locker)
class LockerAdmin(ReadOnlyAdmin):
    list_display = ["company", "sku", "balance"]
    search_fields = ["company__name", "sku__code"]
    list_select_related = ["company", "sku"]

    @admin.display(description="Balance", ordering="balance_cents")
    def balance(self, locker: Locker) -> Decimal:
        return locker.balance


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "locker", "kind", "amount", "voucher", "reason", "created_by"]
    list_filter = ["kind"]
    search_fields = ["locker__company__name", "voucher__code", "reason"]
    list_select_related = ["locker__company", "locker__sku", "voucher", "created_by"]
