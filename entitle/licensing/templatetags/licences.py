from django import template

from entitle.licensing.models import Licence
from entitle.licensing.selectors import licence_status

register = template.Library()


@register.inclusion_tag("licensing/status.html")
def licence_status_badge(licence: Licence) -> dict:
    """The status as people see it everywhere: amber when expiring or in grace, red expired."""
    return {"at": licence_status(licence), "licence": licence}
