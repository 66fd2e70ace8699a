"""`entitle setup`: a production install from zero — or a check that it is there."""

import getpass
import os
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from entitle.accounts.models import Company, User, normalize_email
from entitle.accounts.services import company_create, user_create
from entitle.catalog.imports import catalog_load, catalog_read
from entitle.core.actor import Actor
from entitle.core.errors import DomainError

PASSWORD_VARIABLE = "ENTITLE_ADMIN_PASSWORD"  # noqa: S105 — the name of a variable


class Command(BaseCommand):
    help = (
        "Set up a new installation after `entitle migrate`: the vendor company (the one that "
        "runs Entitle and owns the catalog), a vendor-staff account (portal and back office at "
        "/admin/), and optionally the catalog from a JSON or CSV file. Idempotent: what exists "
        "already is left as it is, so it can run on every deploy; run it with another --email "
        "to add another staff account. The password of a new account comes from "
        f"${PASSWORD_VARIABLE}, or is asked for twice on a terminal. Everything is created "
        "through the services, so it is all in the audit log, in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vendor", required=True, help="The vendor company's name.")
        parser.add_argument(
            "--email", required=True, help="The vendor-staff account's e-mail (its log-in)."
        )
        parser.add_argument("--name", required=True, help="The vendor-staff member's name.")
        parser.add_argument(
            "--catalog",
            type=Path,
            metavar="FILE",
            help="Products and their SKUs, a .json or .csv file (see docs/samples/catalog.json "
            "and catalog.csv); products and SKUs whose code exists already are skipped.",
        )
        parser.add_argument("--country", default="", help="The vendor's ISO 3166 code, e.g. GB.")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"Never prompt: a new account needs ${PASSWORD_VARIABLE}.",
        )

    def handle(self, *args, vendor: str, email: str, name: str, catalog: Path | None, **options):
        try:
            specs = catalog_read(catalog) if catalog else []  # a bad file fails before any change
            with transaction.atomic():
                company = self._vendor(vendor.strip(), options["country"])
                user = self._staff(company, normalize_email(email), name.strip(), options)
                if specs:
                    loaded = catalog_load(actor=Actor.for_user(user), specs=specs)
                    for thing in loaded.created:
                        self.stdout.write(f"Created {thing}.")
                    if loaded.existing:
                        self.stdout.write(
                            f"{len(loaded.existing)} product(s) and SKU(s) of the catalog were "
                            "there already."
                        )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Ready: log in at {settings.PORTAL_URL}/login/ as {user.email}.")

    def _vendor(self, name: str, country: str) -> Company:
        company = Company.objects.filter(is_vendor=True).first()
        if company is None:
            company = company_create(actor=None, name=name, is_vendor=True, country=country)
            self.stdout.write(f"Created the vendor company “{company.name}”.")
        elif company.name != name:
            raise CommandError(
                f"The vendor company is “{company.name}”, not “{name}”: pass --vendor "
                f"“{company.name}” (rename it in the back office if you need to)."
            )
        else:
            self.stdout.write(f"The vendor company “{company.name}” is there already.")
        return company

    def _staff(self, vendor: Company, email: str, name: str, options: dict) -> User:
        user = User.objects.filter(email=email).first()
        if user is not None:
            if not (user.company_id == vendor.pk and user.is_vendor_staff):
                raise CommandError(f"{email} is an account, but not a vendor-staff one.")
            self.stdout.write(f"The vendor-staff account {email} is there already.")
            return user
        password = self._password(email, name, options["interactive"])
        user = user_create(
            actor=None,
            company=vendor,
            email=email,
            name=name,
            password=password,
            role=User.Role.ADMIN,
            is_staff=True,
        )
        self.stdout.write(f"Created the vendor-staff account {email}.")
        return user

    def _password(self, email: str, name: str, interactive: bool) -> str:
        password = os.environ.get(PASSWORD_VARIABLE, "")
        if not password:
            if not (interactive and sys.stdin.isatty()):
                raise CommandError(
                    f"Set {PASSWORD_VARIABLE} to the new account's password (no terminal to "
                    "ask it on)."
                )
            password = getpass.getpass(f"Password for {email}: ")
            if getpass.getpass("The same again: ") != password:
                raise CommandError("The two passwords differ.")
        try:
            password_validation.validate_password(password, User(email=email, name=name))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        return password
