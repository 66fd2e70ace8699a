from django import forms

from entitle.core.fields import validate_single_line


class LookupForm(forms.Form):
    po_number = forms.CharField(label="PO number", max_length=64, validators=[validate_single_line])
