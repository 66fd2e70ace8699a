from django import template

from entitle.licensing.models import Licence
from entitle.licensing.selectors import EntitlementRow
from entitle.renewals import selectors

register = template.Library()


@register.simple_tag
def sold_expiry(licence: Licence) -> EntitlementRow:
    """`{% sold_expiry licence as row %}`: a row of the sold expiries as entitlement
    information (its Subscription ID, PO numbers and status from the dates)."""
    return selectors.sold_expiry(licence)
