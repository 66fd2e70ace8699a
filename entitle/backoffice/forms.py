from django import forms
from django.urls import reverse_lazy

from entitle.backoffice.selectors import company_by_label
from entitle.core.actor import Actor
from entitle.core.errors import DomainError
from entitle.core.fields import MONEY_DIGITS, QUANTITY_MAX, validate_single_line
from entitle.orders.models import PurchaseOrder


class CompanyField(forms.CharField):
    """A company picked by name from suggestions ("Name (#id)"), so that the form stays
    light with tens of thousands of companies. Cleaned to the Company, or None if empty."""

    def __init__(self, *, actor: Actor, **kwargs) -> None:
        self.actor = actor
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "list": "company-options",
                    "autocomplete": "off",
                    # Suggestions as one types (htmx sends this field's value).
                    "hx-get": reverse_lazy("backoffice:company_options"),
                    "hx-trigger": "input changed delay:250ms",
                    "hx-target": "#company-options",
                    "hx-swap": "outerHTML",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            if self.required:
                raise forms.ValidationError(f"Please choose the {self.label.lower()}.")
            return None
        try:
            return company_by_label(actor=self.actor, label=text)
        except DomainError as error:
            raise forms.ValidationError(error.message) from error


class OrderForm(forms.Form):
    """The PO's parties and references. The service checks the rules (`po_problems`) and gives
    their messages, all at once."""

    po_number = forms.CharField(
        label="PO number", max_length=64, required=False, validators=[validate_single_line]
    )
    po_email = forms.CharField(label="PO email", max_length=254, required=False)
    channel = forms.ChoiceField(choices=PurchaseOrder.Channel.choices)
    msa_reference = forms.CharField(
        label="MSA reference", max_length=64, required=False, validators=[validate_single_line]
    )

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purchasing_entity"] = CompanyField(
            actor=actor, label="Purchasing entity", required=True
        )
        self.fields["reseller"] = CompanyField(actor=actor, label="Reseller")
        self.fields["owner"] = CompanyField(actor=actor, label="Owner (licensee)", required=True)
        self.fields["installer"] = CompanyField(actor=actor, label="Installer")


class LineForm(forms.Form):
    sku = forms.ModelChoiceField(
        label="SKU", queryset=None, required=False, empty_label="Choose a SKU"
    )
    quantity = forms.IntegerField(label="Quantity", required=False, max_value=QUANTITY_MAX)
    # The rules (decimals, sign) are the service's, with its messages.
    unit_price = forms.DecimalField(
        label="Unit price",
        required=False,
        max_digits=MONEY_DIGITS,
        help_text="Empty: the channel's list price.",
    )

    def __init__(self, *args, skus, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = skus

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        typed = any(data.get(name) not in (None, "") for name in ("quantity", "unit_price"))
        if data.get("sku") is None and typed:
            self.add_error("sku", "Choose the SKU of this line.")
        if data.get("sku") is not None and data.get("quantity") is None:
            self.add_error("quantity", "Please enter the quantity.")
        return data

    @property
    def is_blank(self) -> bool:
        return not self.has_changed()


LineFormSet = forms.formset_factory(LineForm, extra=0)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=200, required=False)


class ProductForm(forms.Form):
    code = forms.SlugField(label="Code", max_length=40)
    name = forms.CharField(label="Name", max_length=120)
    description = forms.CharField(label="Description", widget=forms.Textarea, required=False)
    quantity_unit = forms.CharField(
        label="What one unit of quantity licenses", max_length=120, initial="devices"
    )
    renewable_after_expiry = forms.BooleanField(
        label="Can be renewed after its end date", required=False, initial=True
    )
    grace_days = forms.IntegerField(label="Grace days", min_value=0, initial=0)
    warn_days = forms.IntegerField(label="Warning days (amber)", min_value=0, initial=30)
    one_licence_per_device = forms.BooleanField(label="One license per device", required=False)
    quantity_counts_devices = forms.BooleanField(
        label="Quantity is a number of devices", required=False
    )
    reminder_days = forms.CharField(
        label="Reminder days before the end date",
        initial="180, 90, 60, 30, 7, 0",
        help_text="Whole days, separated by commas; 0 is the day of expiry.",
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The code is in every licence file, and the device rules shape existing licences.
            for name in ("code", "one_licence_per_device", "quantity_counts_devices"):
                self.fields[name].disabled = True

    def clean_reminder_days(self) -> list[int]:
        text = self.cleaned_data["reminder_days"]
        try:
            return [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
        except ValueError as exc:
            raise forms.ValidationError("Write whole numbers of days, e.g. 90, 30, 7, 0.") from exc


class SkuForm(forms.Form):
    product = forms.ModelChoiceField(label="Product", queryset=None)
    code = forms.CharField(label="Code", max_length=40)
    name = forms.CharField(label="Name", max_length=160, required=False)
    term_days = forms.IntegerField(label="Term (days)", min_value=1, initial=365)
    partner_price = forms.CharField(label="Partner price", max_length=20)
    is_active = forms.BooleanField(label="On sale", required=False, initial=True)

    def __init__(self, *args, products, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        if editing:
            # Credits already issued are credits of this product and term.
            for name in ("product", "code", "term_days"):
                self.fields[name].disabled = True
