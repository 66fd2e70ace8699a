from django.utils.functional import SimpleLazyObject

from entitle.core.actor import Actor


class ActorMiddleware:
    """Builds `request.actor` once per request from the session's user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = SimpleLazyObject(lambda: Actor.for_user(request.user))
        return self.get_response(request)
