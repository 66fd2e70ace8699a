from django.contrib.auth.backends import ModelBackend

from entitle.accounts.models import normalize_email


class EmailBackend(ModelBackend):
    """Log in by e-mail address, whatever its case."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = email or username
        if address is None:
            return None
        return super().authenticate(request, username=normalize_email(address), password=password)
