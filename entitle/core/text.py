"""How the portal writes a few things the same way in templates (the `portal` builtins) and in
messages built in code: money with its currency, and the possessive of a name."""

from decimal import Decimal, InvalidOperation

from django.conf import settings


def money(amount) -> str:
    """ "EUR 1,234.50": every price carries the currency it is in (ENTITLE_CURRENCY)."""
    if amount in (None, ""):
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return f"{settings.ENTITLE['CURRENCY']} {value:,.2f}"


def possessive(name) -> str:
    """ "Acme Data Centres'" and "Globex Manufacturing's"."""
    name = str(name or "")
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"
