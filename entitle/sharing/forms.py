from django import forms

from entitle.core.fields import validate_single_line
from entitle.sharing.models import Delegation


class ShareForm(forms.Form):
    # Checked by the service, so that the portal and the API give the same messages.
    email = forms.CharField(label="Email address", max_length=254, required=False)
    role = forms.ChoiceField(
        choices=Delegation.Role.choices, initial="view", widget=forms.RadioSelect
    )


class GrantForm(ShareForm):
    # Nothing is chosen for the owner: sharing every licence must be a decision.
    scope = forms.ChoiceField(
        label="Share",
        choices=[
            ("", "Choose what to share"),
            ("po", "The licenses of one PO"),
            ("all", "All our licenses"),
        ],
        error_messages={"required": "Choose what to share."},
    )
    po_number = forms.CharField(
        label="PO number (for one PO)",
        max_length=64,
        required=False,
        validators=[validate_single_line],
    )


class TransferForm(forms.Form):
    to_email = forms.CharField(
        label="An administrator of the receiving company (email)", required=False
    )


class RegisterForm(forms.Form):
    name = forms.CharField(
        label="Your name", max_length=150, required=False, validators=[validate_single_line]
    )
    company_name = forms.CharField(
        label="Your company", max_length=200, required=False, validators=[validate_single_line]
    )
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
