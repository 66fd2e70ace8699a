"""Delegations (sharing licence information) and transfers, both the owner's decisions."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from entitle.accounts.models import User
from entitle.accounts.services import clean_invitation_email, company_create, user_register
from entitle.core import links
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.mail import send_after_commit
from entitle.core.policy import Action
from entitle.licensing.errors import LicenceNotFound
from entitle.licensing.models import Licence
from entitle.licensing.selectors import licence_get
from entitle.licensing.services.devices import licence_hand_over
from entitle.orders.models import Entitlement, PurchaseOrder
from entitle.sharing.errors import (
    ShareInvalid,
    ShareLinkNotFound,
    TransferClosed,
    TransferInvalid,
    TransferRefused,
)
from entitle.sharing.models import Delegation, Transfer

SHARE_LINK = "sharing.delegation"


def _owned_licence(actor: Actor, activation_id: str, *, lock: bool = False) -> Licence:
    """A licence (by id or Activation ID) the actor's company owns: sharing and transfer are the
    owner's alone, not a delegate's."""
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    if licence.owner_id != actor.company.pk:
        raise LicenceNotFound()
    if lock:
        return (
            Licence.objects.select_for_update(of=("self",))
            .select_related("product")
            .get(pk=licence.pk)
        )
    return licence


def _owned_po(actor: Actor, po_number: str) -> PurchaseOrder:
    # The owner knows its POs by number through their entitlement information.
    entitlement = (
        Entitlement.objects.visible_to(actor, Action.VIEW)
        .filter(po__owner=actor.company, po__po_number__iexact=(po_number or "").strip())
        .select_related("po")
        .first()
    )
    if entitlement is None:
        raise NotFound("No purchase order of yours has this number.")
    return entitlement.po


def share_token(delegation: Delegation) -> str:
    return links.sign(str(delegation.public_id), purpose=SHARE_LINK)


def _state(delegation: Delegation) -> dict:
    return {
        "role": delegation.role,
        "scope": delegation.scope,
        "licence": str(delegation.licence.public_id) if delegation.licence_id else None,
        "po": delegation.po.po_number if delegation.po_id else None,
        "delegate": delegation.delegate_id,
        "invited_email": delegation.invited_email,
        "revoked": delegation.revoked_at is not None,
    }


def delegation_grant(
    *,
    actor: Actor,
    email: str,
    role: str,
    scope: str = Delegation.Scope.LICENCE,
    activation_id: str | None = None,
    po_number: str | None = None,
    expires_at: datetime | None = None,
) -> Delegation:
    """Share licence information with the person at `email`: their company gets `role` over
    one licence, the licences of one PO, or all the owner's licences. Someone without an
    account is invited to register (into a company of their own) first."""
    if not actor.is_authenticated:
        raise NotFound()
    email = clean_invitation_email(email)
    if role not in Delegation.Role.values:
        raise ShareInvalid("Choose view or manage.", field="role")
    if scope not in Delegation.Scope.values:
        raise ShareInvalid("Choose what to share.", field="scope")
    if expires_at is not None and expires_at <= timezone.now():
        raise ShareInvalid("The end of the access must be in the future.", field="expires_at")
    with transaction.atomic():
        licence = _owned_licence(actor, activation_id or "") if scope == "licence" else None
        po = _owned_po(actor, po_number or "") if scope == "po" else None
        person = User.objects.filter(email=email, is_active=True).select_related("company").first()
        if person is not None and person.company_id == actor.company.pk:
            raise ShareInvalid("This person is in your own company already.", field="email")
        target = Q(delegate=person.company) if person else Q(invited_email=email, delegate=None)
        existing = (
            Delegation.objects.select_for_update()
            .filter(target, owner=actor.company, scope=scope, licence=licence, po=po)
            .filter(revoked_at__isnull=True)
            .first()
        )
        if existing is not None:
            before = _state(existing)
            existing.role, existing.expires_at = role, expires_at
            existing.save(update_fields=["role", "expires_at"])
            record(
                actor=actor,
                action=AuditAction.DELEGATION_CHANGED,
                obj=existing,
                company=actor.company,
                before=before,
                after=_state(existing),
            )
            return existing
        delegation = Delegation.objects.create(
            owner=actor.company,
            delegate=person.company if person else None,
            invited_email="" if person else email,
            role=role,
            scope=scope,
            licence=licence,
            po=po,
            created_by=actor.user,
            expires_at=expires_at,
        )
        record(
            actor=actor,
            action=AuditAction.DELEGATION_GRANTED,
            obj=delegation,
            company=actor.company,
            after=_state(delegation),
        )
        if person is not None:
            link = links.portal_url("licensing:licences")
        else:
            link = links.portal_url("sharing:register", share_token(delegation))
        send_after_commit(
            to=[email],
            template="sharing/email/shared",
            context={
                "delegation": delegation,
                "by": actor.user,
                "link": link,
                "has_account": person is not None,
            },
        )
    return delegation


def delegation_revoke(*, actor: Actor, public_id) -> Delegation:
    with transaction.atomic():
        try:
            delegation = (
                Delegation.objects.visible_to(actor, Action.CHANGE)
                .select_for_update()
                .get(public_id=public_id)
            )
        except (Delegation.DoesNotExist, ValidationError, ValueError) as exc:
            raise NotFound("No such delegation.") from exc
        if delegation.revoked_at is None:
            before = _state(delegation)
            delegation.revoke(timezone.now())
            delegation.save(update_fields=["revoked_at"])
            record(
                actor=actor,
                action=AuditAction.DELEGATION_REVOKED,
                obj=delegation,
                company=delegation.owner,
                before=before,
                after=_state(delegation),
            )
    return delegation


def delegation_from_token(token: str) -> Delegation:
    try:
        public_id = links.unsign(token, purpose=SHARE_LINK)
        return Delegation.objects.select_related("owner", "licence").get(
            public_id=public_id, revoked_at__isnull=True
        )
    except (links.BadLink, Delegation.DoesNotExist, ValueError) as exc:
        raise ShareLinkNotFound() from exc


def delegation_register(
    *, delegation: Delegation, name: str, company_name: str, password: str
) -> User:
    """The person a licence was shared with registers into a company of their own; every
    delegation waiting for their address then applies to it (`attach_pending_delegations`)."""
    company_name = (company_name or "").strip()
    if not company_name:
        raise ShareInvalid("Please enter your company's name", field="company_name")
    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if delegation.delegate_id is not None or delegation.revoked_at is not None:
            raise ShareLinkNotFound("This link has been used already. Please log in.")
        if User.objects.filter(email=delegation.invited_email).exists():
            raise ShareLinkNotFound("An account with this address exists. Please log in.")
        company = company_create(actor=None, name=company_name[:200])
        return user_register(
            company=company,
            email=delegation.invited_email,
            name=name,
            password=password,
            role=User.Role.ADMIN,
            through=f"shared licence information {delegation.public_id}",
        )


def attach_pending_delegations(user: User) -> int:
    """Delegations shared with this address before it had an account now apply to its
    company (on `UserJoined`, whichever way the person joined)."""
    pending = Delegation.objects.select_for_update().filter(
        invited_email=user.email, delegate__isnull=True, revoked_at__isnull=True
    )
    count = 0
    actor = Actor.for_user(user)
    for delegation in pending:
        delegation.delegate = user.company
        delegation.save(update_fields=["delegate"])
        record(
            actor=actor,
            action=AuditAction.DELEGATION_ACCEPTED,
            obj=delegation,
            company=delegation.owner,
            after=_state(delegation),
        )
        count += 1
    return count


# --- Transfers. ---


def _transfer_state(transfer: Transfer) -> dict:
    return {
        "licence": str(transfer.licence.public_id),
        "from": transfer.from_company_id,
        "to": transfer.to_company_id,
        "status": transfer.status,
    }


def transfer_propose(*, actor: Actor, activation_id: str, to_email: str) -> Transfer:
    """Offer the licence to the company of the person at `to_email`."""
    if not actor.is_authenticated:
        raise NotFound()
    email = clean_invitation_email(to_email)
    with transaction.atomic():
        licence = _owned_licence(actor, activation_id, lock=True)
        receiver = (
            User.objects.filter(email=email, is_active=True).select_related("company").first()
        )
        if receiver is None:
            raise TransferInvalid(
                "Nobody with this address uses the portal. Ask them to register first.",
                field="to_email",
            )
        if receiver.company_id == actor.company.pk:
            raise TransferInvalid("This person is in your own company.", field="to_email")
        if Transfer.objects.filter(licence=licence, status=Transfer.Status.PROPOSED).exists():
            raise TransferRefused("A transfer of this license is already waiting for an answer.")
        transfer = Transfer.objects.create(
            licence=licence,
            from_company=actor.company,
            to_company=receiver.company,
            proposed_by=actor.user,
        )
        record(
            actor=actor,
            action=AuditAction.TRANSFER_PROPOSED,
            obj=transfer,
            company=actor.company,
            after=_transfer_state(transfer),
        )
        admins = list(
            receiver.company.users.filter(role=User.Role.ADMIN, is_active=True).values_list(
                "email", flat=True
            )
        ) or [receiver.email]
        send_after_commit(
            to=admins,
            template="sharing/email/transfer",
            context={
                "transfer": transfer,
                "by": actor.user,
                "link": links.portal_url("sharing:transfers"),
            },
        )
    return transfer


def _open_transfer(actor: Actor, public_id) -> Transfer:
    try:
        transfer = (
            Transfer.objects.visible_to(actor, Action.CHANGE)
            .select_for_update()
            .select_related("licence", "from_company", "to_company")
            .get(public_id=public_id)
        )
    except (Transfer.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound("No such transfer.") from exc
    if transfer.status != Transfer.Status.PROPOSED:
        raise TransferClosed()
    return transfer


def _require_receiving_admin(actor: Actor, transfer: Transfer) -> None:
    if actor.company.pk != transfer.to_company_id or not actor.is_company_admin:
        raise TransferRefused("Only an administrator of the receiving company can decide.")


def transfer_accept(*, actor: Actor, public_id) -> Transfer:
    """Move the licence and its history; the old owner loses access and the delegations it
    gave for this licence end. The old owner's devices are released (licensing's
    `licence_hand_over`: each binding ends, audited per device, and the licence gets a new
    Activation ID), so files kept by the old owner get no new lease; the receiving company
    activates its own hosts. Consumption records stay with the payer."""
    with transaction.atomic():
        transfer = _open_transfer(actor, public_id)
        _require_receiving_admin(actor, transfer)
        licence = Licence.objects.select_for_update(of=("self",)).get(pk=transfer.licence_id)
        if licence.owner_id != transfer.from_company_id:
            raise TransferRefused("The license has changed hands since it was offered.")
        released = licence_hand_over(actor=actor, licence=licence)
        now = timezone.now()
        licence.owner_id = transfer.to_company_id
        licence.save(update_fields=["owner"])
        ended = Delegation.objects.filter(
            owner_id=transfer.from_company_id, licence=licence, revoked_at__isnull=True
        ).update(revoked_at=now)
        transfer.decide(Transfer.Status.ACCEPTED, actor.user, now)
        transfer.save(update_fields=["status", "decided_by", "decided_at"])
        after = {**_transfer_state(transfer), "devices": released, "delegations_ended": ended}
        for company in (transfer.from_company, transfer.to_company):
            record(
                actor=actor,
                action=AuditAction.LICENCE_TRANSFERRED,
                obj=licence,
                company=company,
                before={"owner": transfer.from_company_id},
                after=after,
            )
        record(
            actor=actor,
            action=AuditAction.TRANSFER_ACCEPTED,
            obj=transfer,
            company=transfer.to_company,
            after=after,
        )
    return transfer


def _close_transfer(
    transfer: Transfer, *, actor: Actor, status: str, action: AuditAction
) -> Transfer:
    transfer.decide(status, actor.user, timezone.now())
    transfer.save(update_fields=["status", "decided_by", "decided_at"])
    record(
        actor=actor,
        action=action,
        obj=transfer,
        company=transfer.from_company,
        after=_transfer_state(transfer),
    )
    return transfer


def transfer_decline(*, actor: Actor, public_id) -> Transfer:
    with transaction.atomic():
        transfer = _open_transfer(actor, public_id)
        _require_receiving_admin(actor, transfer)
        return _close_transfer(
            transfer,
            actor=actor,
            status=Transfer.Status.DECLINED,
            action=AuditAction.TRANSFER_DECLINED,
        )


def transfer_cancel(*, actor: Actor, public_id) -> Transfer:
    with transaction.atomic():
        transfer = _open_transfer(actor, public_id)
        if actor.company.pk != transfer.from_company_id:
            raise TransferRefused("Only the company that offered the license can withdraw it.")
        return _close_transfer(
            transfer,
            actor=actor,
            status=Transfer.Status.CANCELLED,
            action=AuditAction.TRANSFER_CANCELLED,
        )
