import uuid

from django import forms

from entitle.core.fields import validate_multi_line, validate_single_line
from entitle.renewals.selectors import Partner


def new_key() -> str:
    return uuid.uuid4().hex


def _partner_choices(partners: list[Partner]) -> list[tuple[str, str]]:
    choices = [("", "Choose a partner")]
    for partner in partners:
        where = f" ({partner.country})" if partner.country else ""
        note = " — recommended: sold this license" if partner.recommended else ""
        choices.append((str(partner.company_id), f"{partner.name}{where}{note}"))
    return choices


class PartnerForm(forms.Form):
    # Checked by the service too: a partner outside the directory is "not found".
    partner = forms.TypedChoiceField(label="Partner", coerce=int)
    # Several forms share the renewal page: each needs ids of its own.
    id_prefix = "partner"

    def __init__(self, *args, partners: list[Partner], **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = _partner_choices(partners)
        recommended = next((p for p in partners if p.recommended), None)
        if recommended and not self.is_bound:
            self.initial.setdefault("partner", recommended.company_id)


class RenewalRequestForm(PartnerForm):
    id_prefix = "ask"
    message = forms.CharField(
        label="Message to the partner (optional)",
        max_length=2000,
        required=False,
        validators=[validate_multi_line],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    include_contact = forms.BooleanField(
        label="Include my name and e-mail address so that the partner can contact me",
        required=False,
    )


class PartnerMailForm(PartnerForm):
    id_prefix = "write"
    message = forms.CharField(
        label="Your message",
        max_length=2000,
        required=False,
        validators=[validate_multi_line],
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ShopOrderForm(forms.Form):
    # One key per rendered form: a double submit orders once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "shop_%s")
        super().__init__(*args, **kwargs)


class DirectorySearchForm(forms.Form):
    q = forms.CharField(
        label="Search", max_length=100, required=False, validators=[validate_single_line]
    )
    country = forms.ChoiceField(label="Country", required=False)
    product = forms.ChoiceField(label="Sells", required=False)

    def __init__(self, *args, countries: list[str], products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Any country")] + [(c, c) for c in countries]
        self.fields["product"].choices = [("", "Any product")] + [
            (p.code, p.name) for p in products
        ]


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Your answer (your quote, or a question)",
        max_length=2000,
        required=False,
        validators=[validate_multi_line],
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ListingForm(forms.Form):
    products = forms.MultipleChoiceField(
        label="Products you sell", required=False, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(
        label="Summary", max_length=200, required=False, validators=[validate_single_line]
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].choices = [(p.code, p.name) for p in products]


class RegistrationLinkForm(forms.Form):
    email = forms.EmailField(
        label="The e-mail address the renewal reminder was sent to",
        error_messages={
            "required": "Please enter email address",
            "invalid": "You have entered an invalid email address. Please re-enter the email "
            "address.",
        },
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False)
