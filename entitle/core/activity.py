"""Audit events as people read them: "Olivia Owner renewed the license 7KQ2M-…: valid through
23 Dec 2027 (was 23 Dec 2026)".

The verb is the action's label (`AuditAction`); the object is named by what people know it by
(an Activation ID cut short, a PO number, a device's name), never by an internal id; the
details are the changed fields in words, with dates, money and yes/no as every page writes
them. Fields that only make sense to the code (ids, keys) are left out."""

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

from django.utils import timezone
from django.utils.formats import date_format

from entitle.core.audit import AuditAction
from entitle.core.listing import Filter, Listing, Sort
from entitle.core.models import AuditEvent
from entitle.core.text import money
from entitle.core.units import valid_through

# What each kind of object is called in the filter, by the model label events carry.
OBJECT_KINDS = {
    "licensing.licence": "Licenses",
    "licensing.device": "Devices",
    "licensing.consumptionrecord": "Credits used",
    "licensing.signingkey": "Signing keys",
    "locker.voucher": "Vouchers",
    "locker.ledgerentry": "Digital Locker",
    "orders.purchaseorder": "Purchase orders",
    "accounts.invitation": "Invitations",
    "accounts.user": "People",
    "accounts.company": "Companies",
    "accounts.apitoken": "API tokens",
    "catalog.product": "Products",
    "catalog.sku": "SKUs",
    "sharing.delegation": "Sharing",
    "sharing.transfer": "Transfers",
    "renewals.renewalrequest": "Renewal requests",
    "renewals.reminder": "Renewal reminders",
    "renewals.remindersweep": "Reminder sweeps",
    "renewals.shoporder": "Online orders",
    "renewals.partnerlisting": "Partner listing",
}

# The after/before field that names each kind of object, and how.
NAMED_BY = {
    "licensing.licence": "activation_id",
    "licensing.device": "name",
    "accounts.invitation": "email",
    "accounts.user": "name",
    "accounts.apitoken": "name",
    "catalog.sku": "code",
    "catalog.product": "name",
    "orders.purchaseorder": "po_number",
    "renewals.shoporder": "po_number",
    "renewals.renewalrequest": "subscription_id",
    "renewals.reminder": "activation_id",
    "sharing.transfer": "licence",
    "sharing.delegation": "licence",
    "licensing.consumptionrecord": "activation_id",
}
# How the object is joined to the verb when the verb does not name it ("the license …").
JOINED_BY = {
    "licensing.consumptionrecord": "for",
    "renewals.reminder": "for",
    "renewals.renewalrequest": "for",
    "sharing.delegation": "on",
    "sharing.transfer": "of",
    "renewals.shoporder": "for PO",
    "locker.ledgerentry": "",
}
# Names that are secrets or keys, cut short: enough to recognise, not to use.
SHORTENED = {"activation_id", "licence", "subscription_id"}
# Kinds whose string form is a fine name (a voucher code is shortened too).
NAMED_BY_TEXT = {"locker.voucher", "accounts.company", "licensing.signingkey"}

LABELS = {
    "sku": "SKU",
    "quantity": "quantity",
    "applied_quantity": "quantity applied",
    "start": "start",
    "end": "valid through",
    "new_end": "valid through",
    "credits": "credits",
    "amount": "credits",
    "total": "total",
    "status": "status",
    "reason": "reason",
    "email": "e-mail",
    "invited_email": "e-mail",
    "name": "name",
    "role": "role",
    "scope": "shared",
    "partner": "partner",
    "po": "PO",
    "po_number": "PO",
    "channel": "channel",
    "terms": "terms",
    "host_id": "host id",
    "location": "location",
    "serial": "license file",
    "summary": "summary",
    "products": "products",
    "product": "product",
    "code": "code",
    "partner_price": "partner price",
    "grace_days": "grace days",
    "warn_days": "warning days",
    "renewable_after_expiry": "renewable after expiry",
    "is_active": "on sale",
    "is_partner": "partner",
    "current": "current key",
    "recipients": "recipients",
    "day": "day",
    "kind": "kind",
    "contact_included": "contact shared",
    "outcome": "outcome",
    "lines": "lines",
    "subscriptions": "subscriptions",
    "msa_reference": "MSA",
    "reminders": "reminders",
}
MONEY = {"total", "partner_price"}
# Values that read better in words.
WORDS = {
    "scope": {"licence": "one license", "po": "the licenses of one PO", "all": "all licenses"},
}
DATES = {"start", "day", "on"}
END_DATES = {"end", "new_end"}


def shorten(value: str) -> str:
    """ "7KQ2M-XH4PA-9RTCW-EN3BZ" → "7KQ2M-…"."""
    head, _, rest = value.partition("-")
    return f"{head}-…" if rest else value


def _as_text(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "lines" and isinstance(value, list):
        return ", ".join(
            f"{line[0]} × {line[1]}" for line in value if isinstance(line, list | tuple) and line
        )
    if isinstance(value, list):
        return ", ".join(_as_text(key, item) for item in value) if value else "none"
    if key in MONEY:
        return money(value)
    if key in END_DATES or key in DATES:
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        return date_format(valid_through(day) if key in END_DATES else day)
    if key in SHORTENED:
        return shorten(str(value))
    if key == "serial":
        return f"#{value}"
    if key in WORDS and value in WORDS[key]:
        return WORDS[key][value]
    text = str(value)
    return text.replace("_", " ") if key in ("status", "kind", "role", "scope", "channel") else text


def _shown(key: str, value: Any) -> bool:
    # Numbers that are database ids, and uuids, mean nothing to a reader.
    return key in LABELS and not (isinstance(value, int) and key in ("po", "partner"))


@dataclass(frozen=True)
class Line:
    """One event, as a sentence."""

    when: datetime
    who: str
    verb: str
    what: str
    details: tuple[str, ...]
    kind: str

    @property
    def sentence(self) -> str:
        text = " ".join(part for part in (self.who, self.verb, self.what) if part)
        return f"{text}: {'; '.join(self.details)}" if self.details else text


def _who(event: AuditEvent) -> str:
    label = getattr(event, "actor_label", "")
    if label:
        return label
    if event.actor_user_id is None:
        return "The product" if event.action.startswith("licence.") else "Entitle"
    name = event.actor_user.name
    company = event.actor_company
    # Someone of another company than the one whose object changed is named with it.
    if company is not None and company.pk != event.company_id:
        return f"{name} ({company.name})"
    return name


def _what(event: AuditEvent) -> str:
    field = NAMED_BY.get(event.object_type)
    joined = JOINED_BY.get(event.object_type, "")
    for side in (event.after, event.before):
        if field and isinstance(side, dict) and side.get(field):
            value = str(side[field])
            name = shorten(value) if field in SHORTENED else value
            return f"{joined} {name}" if joined else name
    if event.object_type == "locker.voucher":
        return shorten(event.object_repr)
    if event.object_type in NAMED_BY_TEXT:
        return event.object_repr
    return ""


def _details(event: AuditEvent) -> tuple[str, ...]:
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    named = NAMED_BY.get(event.object_type)
    phrases = []
    for key in dict.fromkeys([*after, *before]):
        if key == named or not _shown(key, after.get(key, before.get(key))):
            continue
        label = LABELS[key]
        if key in before and key in after:
            if before[key] == after[key]:
                continue
            phrases.append(
                f"{label} {_as_text(key, after[key])} (was {_as_text(key, before[key])})"
            )
        elif key in after:
            if after[key] in (None, "", []):
                continue  # nothing to say about a field left empty
            phrases.append(f"{label} {_as_text(key, after[key])}")
        else:
            phrases.append(f"{label} was {_as_text(key, before[key])}")
    return tuple(phrases)


def describe(event: AuditEvent) -> Line:
    try:
        verb = AuditAction(event.action).label
    except ValueError:
        verb = "changed"
    return Line(
        when=event.occurred_at,
        who=_who(event),
        verb=verb,
        what=_what(event),
        details=_details(event),
        kind=OBJECT_KINDS.get(event.object_type, ""),
    )


def _label(choice: tuple[str, str]) -> str:
    return choice[1]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=timezone.get_current_timezone())


ActionChoice = Literal[tuple(action.value for action in AuditAction)]  # type: ignore[misc]
KindChoice = Literal[tuple(OBJECT_KINDS)]  # type: ignore[misc]

# Every activity page (the company's, a licence's, a PO's, a device's): newest first by
# default, keyset on the event's time and id, narrowed to one action, one kind of object, a
# period; its CSV is the whole filtered list.
ACTIVITY = Listing(
    sorts={"when": Sort("When", "occurred_at")},
    default="-when",
    filters={
        "action": Filter(
            "What happened",
            ActionChoice,
            lambda events, action: events.filter(action=action),
            choices=sorted(((a.value, a.label.capitalize()) for a in AuditAction), key=_label),
        ),
        "kind": Filter(
            "To what",
            KindChoice,
            lambda events, kind: events.filter(object_type=kind),
            choices=sorted(OBJECT_KINDS.items(), key=_label),
        ),
        "since": Filter(
            "From", date, lambda events, day: events.filter(occurred_at__gte=_day_start(day))
        ),
        "until": Filter(
            "To", date, lambda events, day: events.filter(occurred_at__lte=_day_end(day))
        ),
    },
)
