from django import forms

from entitle.webhooks import catalogue


class EndpointForm(forms.Form):
    """A new endpoint. The service checks the URL (https, public) and the events again."""

    url = forms.CharField(
        label="Endpoint URL",
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.com/hooks/entitle"}),
    )
    description = forms.CharField(label="Description (optional)", max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label="Events to send",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(name, f"{name} — {label}") for name, label in catalogue.EVENT_TYPES.items()],
    )
