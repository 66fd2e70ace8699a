from django import template
from django.utils.html import format_html

from entitle.licensing.models import Licence
from entitle.licensing.selectors import Permits, licence_permits, licence_status

register = template.Library()


@register.inclusion_tag("licensing/status.html")
def licence_status_badge(licence: Licence) -> dict:
    """The status as people see it everywhere: amber when expiring or in grace, red expired."""
    return {"at": licence_status(licence), "licence": licence}


@register.simple_tag
def licence_name(licence: Licence) -> str:
    """How a licence is named on a page, without a query: its Activation ID for those who may
    see the key (the owner, `manage` delegates, vendor staff: `licence_list` says so), else its
    Subscription ID (annotated by `licence_list`), else the start of its id."""
    if getattr(licence, "key_visible", False):
        return format_html('<code class="activation-id">{}</code>', licence.activation_id)
    subscription = getattr(licence, "subscription", None)
    if subscription:
        return format_html('<code title="Subscription ID">{}</code>', subscription)
    return format_html('<code title="License id">{}</code>', str(licence.public_id)[:8])


@register.simple_tag(takes_context=True)
def licence_permits_for(context, licence: Licence, acts: bool | None = None) -> Permits:
    """`{% licence_permits_for licence as may %}`: what the menus may offer. `acts` defaults
    to what `licence_list` says (`key_visible`: the owner and `manage` delegates)."""
    if acts is None:
        acts = bool(getattr(licence, "key_visible", False))
    return licence_permits(licence, actor=context["actor"], acts=acts)
