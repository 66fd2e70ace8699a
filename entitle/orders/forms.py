from django import forms

from entitle.core.fields import MONEY_DIGITS, QUANTITY_MAX, validate_single_line
from entitle.orders.models import PurchaseOrder


class LookupForm(forms.Form):
    po_number = forms.CharField(label="PO number", max_length=64, validators=[validate_single_line])


class PurchaseOrderForm(forms.Form):
    """Vendor staff record a PO; the service checks the rules and gives the messages."""

    po_number = forms.CharField(
        label="PO number", max_length=64, required=False, validators=[validate_single_line]
    )
    po_email = forms.CharField(label="PO email", max_length=254, required=False)
    channel = forms.ChoiceField(choices=PurchaseOrder.Channel.choices)
    purchasing_entity = forms.ModelChoiceField(queryset=None)
    reseller = forms.ModelChoiceField(queryset=None, required=False)
    owner = forms.ModelChoiceField(label="Owner (licensee)", queryset=None)
    installer = forms.ModelChoiceField(queryset=None, required=False)
    msa_reference = forms.CharField(
        label="MSA reference", max_length=64, required=False, validators=[validate_single_line]
    )

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("purchasing_entity", "reseller", "owner", "installer"):
            self.fields[name].queryset = companies


class OrderLineForm(forms.Form):
    sku = forms.ModelChoiceField(label="SKU", queryset=None, required=False)
    quantity = forms.IntegerField(min_value=1, max_value=QUANTITY_MAX, required=False)
    unit_price = forms.DecimalField(
        min_value=0,
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        required=False,
        help_text="Empty: the channel list price.",
    )

    def __init__(self, *args, skus, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = skus


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=4)
