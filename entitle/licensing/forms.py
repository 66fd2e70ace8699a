import uuid

from django import forms


def new_key() -> str:
    return uuid.uuid4().hex


class ConsumingForm(forms.Form):
    # One key per rendered form: a double submit consumes once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key)
    action = forms.ChoiceField(
        choices=[("quote", "Quote"), ("apply", "Apply")], widget=forms.HiddenInput, initial="quote"
    )


class CreateLicenceForm(ConsumingForm):
    sku = forms.ChoiceField(label="Credits of SKU")
    quantity = forms.IntegerField(min_value=1, initial=1)
    terms = forms.IntegerField(min_value=1, max_value=10, initial=1, label="Terms")

    def __init__(self, *args, balances, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = [
            (locker.sku.code, f"{locker.sku.code} — {locker.sku.name} ({locker.balance} credits)")
            for locker in balances
        ]


class IncreaseForm(ConsumingForm):
    quantity = forms.IntegerField(min_value=1, label="Increase Quantity to")


class RenewForm(ConsumingForm):
    terms = forms.IntegerField(min_value=1, max_value=10, initial=1, label="Terms")
    sku = forms.ChoiceField(label="Renew with credits of")

    def __init__(self, *args, skus, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = [(sku.code, f"{sku.code} — {sku.name}") for sku in skus]


class DeviceForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    host_id = forms.CharField(label="Host id", max_length=128, required=False)
    product = forms.ChoiceField()
    location = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(p.code, p.name) for p in products]


class AssignForm(forms.Form):
    activation_id = forms.ChoiceField(label="Licence")

    def __init__(self, *args, licences, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activation_id"].choices = [
            (
                licence.activation_id,
                f"{licence.activation_id} · {licence.sku.code} × {licence.quantity}",
            )
            for licence in licences
        ]
