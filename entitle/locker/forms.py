import uuid

from django import forms


class RedeemForm(forms.Form):
    # Checked by the service, so that a typo and an unknown code get their own messages.
    code = forms.CharField(
        label="Voucher code",
        required=False,
        widget=forms.TextInput(
            attrs={
                "placeholder": "ABCDE-FGHJK-LMNPQ-RSTUV",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    # One key per rendered form: a double click or a resent form redeems once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex)
