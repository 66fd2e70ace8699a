from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from entitle.accounts.signin import SignInLimited
from entitle.core.fields import validate_single_line
from entitle.core.mail import send_after_commit


class SignInLimitMixin:
    """Shows a sign-in limit (raised by EmailBackend) as the form's error."""

    def clean(self):
        try:
            return super().clean()
        except SignInLimited as error:
            raise forms.ValidationError(error.message, code="rate_limited") from error


class LoginForm(SignInLimitMixin, AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Please enter a correct email address and password.",
    }


class AdminLoginForm(SignInLimitMixin, AdminAuthenticationForm):
    """The back office's log-in, with the portal's limits."""


class InviteForm(forms.Form):
    # Checked by the service, so that the portal and the API give the same exact messages.
    email = forms.CharField(
        label="Email address",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "name@company.com"}),
    )


class JoinForm(forms.Form):
    name = forms.CharField(
        label="Your name", max_length=150, required=False, validators=[validate_single_line]
    )
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
    name = forms.CharField(
        label="Token name", max_length=100, required=False, validators=[validate_single_line]
    )


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
