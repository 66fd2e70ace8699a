import io

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from entitle.core.actor import Actor
from entitle.core.admin import ReadOnlyAdmin, run_service_action
from entitle.orders.imports import CsvInvalid, po_import_csv
from entitle.orders.models import Entitlement, OrderLine, PurchaseOrder
from entitle.orders.services import po_fulfil

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, with a header row; one row per order line.",
    )

    def clean_file(self) -> io.StringIO:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB: please split it.")
        try:
            # utf-8-sig: spreadsheets often begin their UTF-8 exports with a byte-order mark.
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text.") from exc
        return io.StringIO(text, newline="")


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ["number", "sku", "quantity", "unit_price", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = [
        "po_number",
        "purchasing_entity",
        "owner",
        "channel",
        "status",
        "ordered_on",
        "recorded_at",
    ]
    list_filter = ["channel", "status"]
    search_fields = ["po_number"]
    list_select_related = ["purchasing_entity", "owner"]
    inlines = [OrderLineInline]
    actions = ["fulfil"]
    change_list_template = "admin/orders/purchaseorder/change_list.html"

    @admin.action(description="Fulfil the selected purchase orders")
    def fulfil(self, request: HttpRequest, queryset) -> None:
        # One service call, and so one transaction, per PO: each PO's vouchers are mailed when
        # its own fulfilment commits, and a PO that fails leaves the others fulfilled.
        run_service_action(request, queryset, po_fulfil, public_id="public_id")
        fulfilled = queryset.filter(status=PurchaseOrder.Status.FULFILLED).count()
        messages.success(
            request,
            f"{fulfilled} of {len(queryset)} selected purchase order(s) fulfilled; "
            "the vouchers are mailed to each PO email.",
        )

    def has_change_permission(self, request, obj=None) -> bool:
        # Needed for actions to show; the form itself stays read-only (no editable fields).
        return obj is None

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="orders_purchaseorder_import",
            )
        ]
        return urls + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = po_import_csv(
                    actor=Actor.for_user(request.user), rows=form.cleaned_data["file"]
                )
            except CsvInvalid as exc:
                form.add_error("file", exc.message)
            else:
                level = messages.WARNING if report.rejected else messages.SUCCESS
                messages.add_message(request, level, report.summary())
                for rejection in report.rejected:
                    messages.error(request, str(rejection))
                return HttpResponseRedirect(reverse("admin:orders_purchaseorder_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import purchase orders from CSV",
            "form": form,
        }
        return render(request, "admin/orders/purchaseorder/import.html", context)


@admin.register(Entitlement)
class EntitlementAdmin(ReadOnlyAdmin):
    list_display = ["subscription_id", "po", "sku", "quantity", "start_date", "end_date"]
    search_fields = ["subscription_id", "po__po_number"]
    list_select_related = ["po", "sku"]
