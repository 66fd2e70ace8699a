from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from entitle.dashboard.navigation import groups
from entitle.dashboard.selectors import Roles, roles_of
from entitle.renewals.services.registration import renewal_page_licence


def request_roles(request: HttpRequest) -> Roles:
    """The actor's roles, worked out once per request (one query) and only if a page asks."""
    roles = getattr(request, "_entitle_roles", None)
    if roles is None:
        roles = request._entitle_roles = roles_of(request.actor)
    return roles


def navigation(request: HttpRequest) -> dict:
    """`nav`: the grouped navigation of base.html. Lazy, so that htmx fragments, which do not
    show it, cost nothing."""

    def build() -> list:
        actor = getattr(request, "actor", None)
        if actor is None or not actor.is_authenticated:
            return []
        match = request.resolver_match
        return groups(actor, request_roles(request), view_name=match.view_name if match else "")

    return {"nav": SimpleLazyObject(build)}


def registration(request: HttpRequest) -> dict:
    """`register_url`: where the log-in page sends someone with no account yet, when the page
    they were going to lets them register (a licence's renewal page, from a reminder)."""
    going_to = request.GET.get("next", "")
    if not going_to or not renewal_page_licence(going_to):
        return {}
    return {
        "register_url": f"{reverse('renewals:register_request')}?{urlencode({'next': going_to})}"
    }
