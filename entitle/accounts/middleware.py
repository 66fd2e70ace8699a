"""Signs out a session that began without a second factor once its company requires one."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

from entitle.accounts.services import mfa


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and mfa.second_factor_required(user):
            logout(request)
            if not request.path.startswith("/api/"):
                messages.info(
                    request, "Your company now requires two-factor sign-in: please log in again."
                )
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
