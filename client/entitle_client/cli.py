"""`entitle-verify`: check a licence file from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from entitle_client.keys import KeySet, KeySetError
from entitle_client.licence import LicenceCheck, Status, verify_licence

EXIT_RUNS, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def status_line(check: LicenceCheck) -> str:
    """`valid: 200 days left`, `grace: 12 days left — renew now`, `expired: cannot run`…"""
    if not check.may_run:
        return f"{check.status}: cannot run"
    days = "1 day" if check.days_left == 1 else f"{check.days_left} days"
    advice = {
        Status.GRACE: " — renew now",
        Status.LEASE_GRACE: " — connect to the licence server",
    }.get(check.status, "")
    return f"{check.status}: {days} left{advice}"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the licence's status line and message; exit 0 if the product may run, else 1.

    Exit 2 for usage errors and unreadable files.
    """
    parser = argparse.ArgumentParser(prog="entitle-verify", description="Check a licence file.")
    parser.add_argument("licence", type=Path, metavar="LICENCE_FILE", help="the licence file")
    parser.add_argument(
        "--jwks", type=Path, required=True, metavar="KEYS.json", help="the vendor's JWKS"
    )
    parser.add_argument("--host-id", required=True, help="this device's host id")
    parser.add_argument(
        "--date", type=date.fromisoformat, help="check at this date, YYYY-MM-DD (default: today)"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_RUNS
    try:
        keys = KeySet.load(args.jwks)
        text = args.licence.read_bytes()
    except (OSError, KeySetError) as exc:
        print(f"entitle-verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    check = verify_licence(text, keys=keys, host_id=args.host_id, today=args.date)
    print(status_line(check))
    print(check.message)
    return EXIT_RUNS if check.may_run else EXIT_REFUSED
