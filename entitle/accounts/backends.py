from django.contrib.auth.backends import ModelBackend

from entitle.accounts import signin
from entitle.accounts.models import normalize_email


class EmailBackend(ModelBackend):
    """Log in by e-mail address, whatever its case; failed attempts are limited (see signin)."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = email or username
        if address is None:
            return None
        account, client = normalize_email(address), signin.client_of(request)
        signin.check(client=client, account=account)
        user = super().authenticate(request, username=account, password=password)
        if user is None:
            signin.failed(client=client, account=account)
        return user
