import uuid

from django import forms

from entitle.core.fields import QUANTITY_MAX, TERMS_MAX, validate_single_line


def new_key() -> str:
    return uuid.uuid4().hex


class ConsumingForm(forms.Form):
    # One key per rendered form: a double submit consumes once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key)
    action = forms.ChoiceField(
        choices=[("quote", "Quote"), ("apply", "Apply")], widget=forms.HiddenInput, initial="quote"
    )
    # What the price shown was for: spending applies only to what the person saw priced.
    quoted = forms.CharField(widget=forms.HiddenInput, required=False)

    def fingerprint(self, values: dict | None = None) -> str:
        """The request as priced: every visible field's value (the cleaned data by default;
        `values` for a form shown already priced)."""
        values = self.cleaned_data if values is None else values
        return "|".join(
            f"{name}={values.get(name)}"
            for name in self.fields
            if name not in ("idempotency_key", "action", "quoted")
        )

    def confirms_quote(self) -> bool:
        return self.cleaned_data.get("quoted") == self.fingerprint()

    def remember_quote(self) -> None:
        """Carry the priced request in the form, for the button that spends."""
        self.data = self.data.copy()
        self.data[self.add_prefix("quoted")] = self.fingerprint()


class CreateLicenceForm(ConsumingForm):
    sku = forms.ChoiceField(label="Credits of SKU")
    quantity = forms.IntegerField(min_value=1, max_value=QUANTITY_MAX, initial=1)
    terms = forms.IntegerField(min_value=1, max_value=TERMS_MAX, initial=1, label="Terms")

    def __init__(self, *args, balances, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = [
            (locker.sku.code, f"{locker.sku.code} — {locker.sku.name} ({locker.balance} credits)")
            for locker in balances
        ]


class IncreaseForm(ConsumingForm):
    quantity = forms.IntegerField(min_value=1, max_value=QUANTITY_MAX, label="Increase Quantity to")


class RenewForm(ConsumingForm):
    terms = forms.IntegerField(min_value=1, max_value=TERMS_MAX, initial=1, label="Terms")
    sku = forms.ChoiceField(label="Renew with credits of")

    def __init__(self, *args, skus, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = [(sku.code, f"{sku.code} — {sku.name}") for sku in skus]


class DeviceForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, validators=[validate_single_line])
    host_id = forms.CharField(
        label="Host id", max_length=128, required=False, validators=[validate_single_line]
    )
    product = forms.ChoiceField()
    location = forms.CharField(max_length=200, required=False, validators=[validate_single_line])

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(p.code, p.name) for p in products]


class AssignForm(forms.Form):
    licence = forms.ChoiceField(label="License")

    def __init__(self, *args, licences, **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing chosen for the person: the licence a device gets is a decision.
        self.fields["licence"].choices = [("", "Choose a license")] + [
            (
                str(licence.public_id),
                f"{licence.activation_id} · {licence.sku.code} × {licence.quantity}",
            )
            for licence in licences
        ]


class RenewWithCreditsForm(ConsumingForm):
    """Digital Vouchers → select credits → Renew/Extend License: the licence to renew with
    them, and for how many terms."""

    licence = forms.ChoiceField(label="Activation ID")
    terms = forms.IntegerField(min_value=1, max_value=10, initial=1, label="Term periods")

    def __init__(self, *args, licences, sku, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["licence"].choices = [("", "Choose the Activation ID")] + [
            (
                str(licence.public_id),
                f"{licence.activation_id} · quantity {licence.quantity}: "
                f"{licence.quantity} credits per term of {sku.term_days} days",
            )
            for licence in licences
        ]


class RehostForm(forms.Form):
    host_id = forms.CharField(label="New host id", max_length=128)
    name = forms.CharField(label="Device name", max_length=120, required=False)


class AirGapForm(forms.Form):
    file = forms.FileField(
        label="Request or deactivation proof file", required=False, max_length=200
    )
    pasted = forms.CharField(
        label="…or paste it",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4096,
    )

    def content(self) -> str:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            return upload.read(4097).decode("ascii", "replace")
        return self.cleaned_data.get("pasted") or ""
