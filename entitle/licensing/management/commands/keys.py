from django.core.management.base import BaseCommand, CommandError

from entitle.accounts.models import User
from entitle.core.actor import Actor
from entitle.licensing import signing
from entitle.licensing.models import SigningKey


class Command(BaseCommand):
    help = (
        "The vendor's licence-signing keys: `entitle keys list`, `entitle keys rotate`. "
        "Rotating makes a new key current; older keys stay published, so files signed with "
        "them stay valid until their own expiry."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "rotate"])
        parser.add_argument(
            "--as", dest="as_user", help="E-mail of the vendor staff member doing it (audited)."
        )

    def handle(self, *args, action: str, as_user: str | None, **options):
        if action == "rotate":
            actor = None
            if as_user:
                user = User.objects.filter(email=as_user.strip().lower()).first()
                if user is None or not Actor.for_user(user).is_vendor_staff:
                    raise CommandError(f"{as_user} is not a vendor staff member.")
                actor = Actor.for_user(user)
            key = signing.rotate_keys(actor=actor)
            self.stdout.write(f"New current key: {key.kid}")
        for key in SigningKey.objects.order_by("created_at"):
            state = "current" if key.is_current else f"retired {key.retired_at:%Y-%m-%d}"
            self.stdout.write(f"{key.kid}  created {key.created_at:%Y-%m-%d}  {state}")
