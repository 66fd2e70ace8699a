import hashlib
import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from entitle.core.policy import PolicyManager, PolicyQuerySet

# Service accounts get an address here: a reserved domain (RFC 2606) that no mail reaches.
SERVICE_ACCOUNT_DOMAIN = "service-accounts.invalid"


def normalize_email(email: str) -> str:
    """E-mail addresses are unique regardless of case: they are stored lower-cased."""
    return email.strip().lower()


class Company(models.Model):
    """An account. Every user belongs to exactly one; one company is the vendor."""

    name = models.CharField(max_length=200)
    is_vendor = models.BooleanField(default=False)
    is_partner = models.BooleanField(
        default=False, help_text="Listed in the partner directory: sells and renews licences."
    )
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2 code.")
    created_at = models.DateTimeField(default=timezone.now)
    require_second_factor = models.BooleanField(
        default=False,
        help_text="Everyone in the company signs in with a second factor (TOTP).",
    )

    objects = PolicyManager()

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_vendor"], condition=models.Q(is_vendor=True), name="one_vendor"
            )
        ]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(PolicyQuerySet):
    pass


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email=normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        """`entitle createsuperuser`: a vendor-staff account (`entitle setup` makes the first)."""
        if "company" not in fields and "company_id" not in fields:
            fields["company"] = Company.objects.filter(is_vendor=True).first()
            if fields["company"] is None:
                # createsuperuser prints a ValidationError as one line, not a traceback.
                raise ValidationError(
                    "There is no vendor company yet: run `entitle setup`, which creates it and "
                    "its first staff account."
                )
        fields.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        MEMBER = "member", "Member"

    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=150)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Vendor staff: may use the admin site (vendor company only)."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    is_service_account = models.BooleanField(
        default=False,
        help_text="An account for another system (an ERP, a partner's system): it acts through "
        "API tokens and never signs in.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_company_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_vendor_staff(self) -> bool:
        return self.is_active and self.is_staff and self.company.is_vendor

    def has_perm(self, perm: str, obj: object = None) -> bool:
        # Vendor staff run the back office: every admin permission is theirs.
        return self.is_vendor_staff or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_vendor_staff or super().has_module_perms(app_label)

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(max_length=254)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one pending invitation per address, even under concurrent requests.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.company_id}"

    def is_expired(self, at: datetime | None = None) -> bool:
        return (at or timezone.now()) >= self.expires_at

    def is_open(self, at: datetime | None = None) -> bool:
        return self.status == self.Status.PENDING and not self.is_expired(at)

    @property
    def current_status(self) -> str:
        """What the invitation is now: a pending one past its date is expired."""
        if self.status == self.Status.PENDING and self.is_expired():
            return self.Status.EXPIRED.value
        return str(self.status)

    def mark_accepted(self, user: "User", at: datetime) -> None:
        self.status = self.Status.ACCEPTED
        self.accepted_user = user
        self.accepted_at = at

    def mark_revoked(self, at: datetime) -> None:
        self.status = self.Status.REVOKED
        self.revoked_at = at

    def mark_expired(self) -> None:
        self.status = self.Status.EXPIRED


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A company's API token. Only its hash is stored; the secret is shown once, at creation.

    It acts with the rights of its `user` (the person who made it, or one of the company's
    service accounts), narrowed to its `scopes` (`entitle.accounts.scopes`)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="api_tokens")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The first characters of the secret, to tell tokens apart in lists without revealing them.
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked})"

    @property
    def masked(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and timezone.now() >= self.expires_at:
            return "expired"
        return "active"

    def mark_revoked(self, at: datetime) -> None:
        self.revoked_at = at


class IdentityProvider(models.Model):
    """A company's own OpenID Connect identity provider: people with an address in one of its
    domains sign in through it (and land in the company); `sso_only` turns their passwords off.
    """

    company = models.OneToOneField(
        Company, on_delete=models.PROTECT, related_name="identity_provider"
    )
    issuer = models.URLField(max_length=300, help_text="The provider's issuer URL.")
    client_id = models.CharField(max_length=200)
    # Encrypted at rest (`entitle.core.sealed`): it is sent to the provider at each sign-in.
    client_secret_sealed = models.TextField()
    sso_only = models.BooleanField(
        default=False, help_text="The company's people sign in only through the provider."
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PolicyManager()

    def __str__(self) -> str:
        return f"{self.issuer} for {self.company_id}"


class SsoDomain(models.Model):
    """An e-mail domain whose people sign in through one company's identity provider; a domain
    belongs to one provider at most."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    domain = models.CharField(max_length=253, unique=True)

    objects = PolicyManager()

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class ExternalIdentity(models.Model):
    """A person as their company's identity provider knows them (its `sub`), linked to their
    account at their first single sign-on."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="one_account_per_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.provider_id}"
