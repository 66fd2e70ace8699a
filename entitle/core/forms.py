from django import forms

from entitle.core.errors import DomainError


def show_domain_error(form: forms.Form, error: DomainError) -> None:
    """Place a service's error next to its field (or above the form), in the service's words."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
