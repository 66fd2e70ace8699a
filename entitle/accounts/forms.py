from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from entitle.accounts.models import normalize_email
from entitle.core import ratelimit
from entitle.core.errors import RateLimited
from entitle.core.mail import send_after_commit


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Please enter a correct email address and password.",
    }

    def clean(self):
        # Password guessing is slowed down per address and per client, before any check.
        email = normalize_email(self.cleaned_data.get("username") or "")
        client = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        limits = settings.ENTITLE
        message = "Too many attempts to log in. Please wait a few minutes and try again."
        try:
            ratelimit.hit(
                f"login:email:{email}",
                limit=limits["LOGIN_RATE_EMAIL"],
                window_seconds=900,
                message=message,
            )
            ratelimit.hit(
                f"login:client:{client}",
                limit=limits["LOGIN_RATE_CLIENT"],
                window_seconds=900,
                message=message,
            )
        except RateLimited as error:
            raise forms.ValidationError(error.message, code="rate_limited") from error
        return super().clean()


class InviteForm(forms.Form):
    # Checked by the service, so that the portal and the API give the same exact messages.
    email = forms.CharField(
        label="Email address",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "name@company.com"}),
    )


class JoinForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=150, required=False)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(
        label="Password (again)", widget=forms.PasswordInput, strip=False
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords do not match.")
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label="Token name", max_length=100, required=False)


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset mail goes through the task queue like every other mail."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        send_after_commit(to=[to_email], template="accounts/email/password_reset", context=context)
