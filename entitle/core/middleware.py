from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from entitle.core.errors import DomainError


class DomainErrorMiddleware:
    """The portal's one handler for domain errors a view did not place next to a field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        template = "core/error_fragment.html" if request.htmx else "core/error.html"
        response = render(request, template, {"error": exception}, status=exception.status)
        for name, value in exception.headers().items():
            response[name] = value
        return response
