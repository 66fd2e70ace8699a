from django.db import models

from conftest import actor_of
from entitle.accounts.models import ApiToken, Company, Invitation, User
from entitle.accounts.services import api_token_create
from entitle.core.actor import Actor
from entitle.core.models import AuditEvent
from entitle.core.policy import has_rule, restrict


def test_anonymous_sees_nothing(acme_admin):
    for model in [Company, User, Invitation, ApiToken, AuditEvent]:
        assert not model.objects.visible_to(Actor.anonymous(), "view").exists()


def test_unknown_actions_and_models_without_a_rule_are_denied(acme_admin):
    actor = actor_of(acme_admin)
    assert not User.objects.visible_to(actor, "launch-missiles").exists()
    from django.contrib.contenttypes.models import ContentType

    assert not has_rule(ContentType)
    assert not restrict(ContentType.objects.all(), actor, "view").exists()


def domain_models() -> list[type[models.Model]]:
    """Every model of Entitle's own apps, from Django's app registry (a new app is included
    without anyone remembering to list it)."""
    from django.apps import apps

    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("entitle.")
        for model in config.get_models()
    ]


def test_every_domain_model_has_a_rule_and_a_policy_manager():
    found = domain_models()
    assert {m._meta.app_label for m in found} >= {
        "core",
        "accounts",
        "catalog",
        "orders",
        "locker",
        "licensing",
        "sharing",
        "renewals",
    }
    missing = [m.__name__ for m in found if not has_rule(m)]
    unmanaged = [m.__name__ for m in found if not hasattr(m.objects, "visible_to")]
    assert (missing, unmanaged) == ([], [])


def test_a_model_without_a_rule_is_reported(monkeypatch):
    # The check above would fail for a model whose rule is gone.
    from entitle.core import policy
    from entitle.licensing.models import Licence

    monkeypatch.delitem(policy._rules, Licence)
    assert not has_rule(Licence)
    assert Licence in domain_models()


def test_vendor_staff_see_every_company_but_customers_only_their_own(
    vendor_staff, acme_admin, globex_admin
):
    assert Company.objects.visible_to(actor_of(vendor_staff), "view").count() == 3
    assert list(Company.objects.visible_to(actor_of(acme_admin), "view")) == [acme_admin.company]


def test_a_token_carries_staff_rights_only_with_a_back_office_scope_and_never_reaches_tokens(
    vendor_staff,
):
    everyday, _ = api_token_create(actor=actor_of(vendor_staff), name="t", scopes=["orders:read"])
    back_office, _ = api_token_create(
        actor=actor_of(vendor_staff), name="erp", scopes=["orders:read", "backoffice:po.record"]
    )
    assert not Actor.for_token(everyday).is_vendor_staff
    assert Actor.for_token(back_office).is_vendor_staff
    for token in (everyday, back_office):
        assert not ApiToken.objects.visible_to(Actor.for_token(token), "view").exists()


def test_audit_events_are_visible_to_own_company_administrators(
    acme_admin, acme_member, globex_admin
):
    own = AuditEvent.objects.visible_to(actor_of(acme_admin), "view")
    assert own.exists()
    assert set(own.values_list("company", flat=True)) == {acme_admin.company_id}
    assert not AuditEvent.objects.visible_to(actor_of(acme_member), "view").exists()
