"""`entitle import_pos FILE.csv --as staff@entitle.example`: record purchase orders in bulk."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from entitle.accounts.models import User
from entitle.core.actor import Actor
from entitle.core.errors import DomainError
from entitle.orders.imports import ImportReport, po_import_csv


class Command(BaseCommand):
    help = (
        "Record purchase orders from a CSV file, one row per order line (see "
        "docs/samples/purchase-orders.csv). Each PO is recorded whole or rejected whole; the "
        "command fails if any PO was rejected. Running it again skips nothing silently: POs "
        "already recorded are reported as duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file, UTF-8, with a header row.")
        parser.add_argument(
            "--as",
            dest="as_email",
            required=True,
            metavar="EMAIL",
            help="The vendor staff member the POs are recorded by (audit trail).",
        )

    def handle(self, *args, file: Path, as_email: str, **options) -> None:
        actor = self._staff_actor(as_email)
        # The bar goes to stderr, so that the report on stdout can be piped or saved.
        console = Console(file=options.get("stderr") or sys.stderr)
        try:
            with (
                file.open(encoding="utf-8-sig", newline="") as rows,
                Progress(
                    TextColumn("Importing purchase orders"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=console,
                ) as progress,
            ):
                task = progress.add_task("import", total=None)
                report = po_import_csv(
                    actor=actor,
                    rows=rows,
                    on_progress=lambda done, total: progress.update(
                        task, completed=done, total=total
                    ),
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text.") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self._print(report)

    def _staff_actor(self, email: str) -> Actor:
        try:
            user = User.objects.get_by_natural_key(email)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user has the e-mail address {email}.") from exc
        actor = Actor.for_user(user)
        if not actor.is_vendor_staff:
            raise CommandError(f"{email} is not an active member of the vendor's staff.")
        return actor

    def _print(self, report: ImportReport) -> None:
        for po in report.created:
            self.stdout.write(f"Recorded PO {po.po_number} of {po.purchasing_entity}.")
        for rejection in report.rejected:
            self.stdout.write(self.style.ERROR(f"Rejected {rejection}"))
        if report.rejected:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
