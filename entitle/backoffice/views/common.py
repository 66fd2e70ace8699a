from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from entitle.core.policy import require_vendor_staff


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The back office is the vendor staff's: anyone else is refused (403), before anything
    is read."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        require_vendor_staff(request.actor)
        return view(request, *args, **kwargs)

    return wrapper
