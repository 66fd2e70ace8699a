from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import timezone

from entitle.accounts import scopes
from entitle.accounts.services import sso
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

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if sso.password_refused(user):
            raise forms.ValidationError(
                f"{user.company.name} signs in through its identity provider: use single "
                "sign-on below.",
                code="sso_only",
            )


class SsoStartForm(forms.Form):
    email = forms.EmailField(
        label="Your work address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@company.com"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class IdentityProviderForm(forms.Form):
    """A company's OpenID Connect provider; the service checks it (and asks the provider)."""

    issuer = forms.CharField(
        label="Issuer URL",
        max_length=300,
        widget=forms.URLInput(attrs={"placeholder": "https://login.example.com/realms/acme"}),
    )
    client_id = forms.CharField(label="Client ID", max_length=200, required=False)
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Leave blank to keep the one saved.",
    )
    domains = forms.CharField(
        label="E-mail domains",
        max_length=1000,
        required=False,
        help_text="People with an address in these domains sign in through the provider.",
    )
    sso_only = forms.BooleanField(
        label="Sign in only through the provider (passwords are turned off)", required=False
    )
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)

    def __init__(self, *args, provider=None, **kwargs) -> None:
        if provider is not None:
            kwargs.setdefault(
                "initial",
                {
                    "issuer": provider.issuer,
                    "client_id": provider.client_id,
                    "domains": " ".join(provider.domain_names),
                    "sso_only": provider.sso_only,
                    "enabled": provider.enabled,
                },
            )
        super().__init__(*args, **kwargs)


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


ACCESS_CHOICES = [("", "No access"), ("read", "Read"), ("write", "Read and change")]


class TokenForm(forms.Form):
    """A new API token: its name, whose rights it acts with, what it may do, until when. The
    service checks every choice again (the scopes a creator may give, the account)."""

    name = forms.CharField(
        label="Token name", max_length=100, required=False, validators=[validate_single_line]
    )
    acts_as = forms.ChoiceField(label="Acts as", required=False)
    back_office = forms.MultipleChoiceField(
        label="Back office",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(scopes.BACK_OFFICE.items()),
    )
    valid_through = forms.DateField(
        label="Valid through (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, service_accounts=(), staff: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["acts_as"].choices = [("", "Me")] + [
            (str(account.pk), f"{account.name} (service account)")
            for account in service_accounts
            if account.is_active
        ]
        for area, label in scopes.AREAS.items():
            self.fields[f"area_{area}"] = forms.ChoiceField(
                label=label, required=False, choices=ACCESS_CHOICES
            )
        if not staff:
            del self.fields["back_office"]

    def area_fields(self):
        return [self[f"area_{area}"] for area in scopes.AREAS]

    def chosen_scopes(self) -> list[str]:
        chosen = list(self.cleaned_data.get("back_office") or [])
        for area in scopes.AREAS:
            access = self.cleaned_data.get(f"area_{area}")
            if access:
                chosen.append(scopes.scope(area, scopes.READ))
            if access == "write":
                chosen.append(scopes.scope(area, scopes.WRITE))
        return chosen

    def service_account_id(self) -> int | None:
        value = self.cleaned_data.get("acts_as")
        return int(value) if value else None

    def expires_at(self) -> datetime | None:
        """A token valid through a day stops at the start of the next (the portal's time)."""
        day = self.cleaned_data.get("valid_through")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


class ServiceAccountForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=150, required=False, validators=[validate_single_line]
    )
    role = forms.ChoiceField(
        label="Role",
        choices=[("member", "Member"), ("admin", "Administrator")],
        initial="member",
    )
    back_office = forms.BooleanField(
        label="Back-office rights (vendor staff: record and fulfil POs, suspend, void)",
        required=False,
    )

    def __init__(self, *args, staff: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["back_office"]


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
