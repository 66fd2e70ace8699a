"""No read of domain data goes around the access policy (`tests/access/policy_lint.py`).

The few places that must read without an actor's policy are listed here with the reason; each
is where the actor is *established* (a credential), the system acting on its own, or the back
office behind the vendor-staff-only admin site.
"""

import pytest

from tests.access.policy_lint import (
    ROOT,
    findings_in,
    related_accessors,
    scoped_files,
)

# (module, function): why it may read without visible_to.
REASONED_EXCEPTIONS = {
    ("entitle/accounts/selectors.py", "invitation_from_token"): "the signed link is the credential",
    ("entitle/accounts/selectors.py", "ACTIVE_TOKEN"): "the token is the credential",
    ("entitle/catalog/selectors.py", "SKU_BY_CODE"): (
        "run only when the policy lets the actor see every SKU, checked on each call"
    ),
    ("entitle/core/statements.py", "cursor"): "the mechanism's cursor (binding on the server)",
    ("entitle/core/statements.py", "_insert_chunk"): (
        "the mechanism: writes, inside the calling service"
    ),
    ("entitle/core/statements.py", "update"): "the mechanism: writes, inside the calling service",
    ("entitle/core/statements.py", "condition_sql"): (
        "the mechanism: the ids the access policy's own condition allows (Select.all(allowed=))"
    ),
    ("entitle/core/statements.py", "Select.all"): (
        "the mechanism: each Select is checked here under the name it is declared as"
    ),
    ("entitle/renewals/selectors.py", "registration_from_token"): "the signed reminder link",
    ("entitle/renewals/selectors.py", "sold_expiry_rows"): (
        "licences reached only through the entitlements the reader sees on POs its company "
        "sold (visible_to(Entitlement)); read as entitlement information only"
    ),
    ("entitle/orders/management/commands/import_pos.py", "Command._staff_actor"): (
        "the operator names the staff account the import acts as (`--as`)"
    ),
    ("entitle/licensing/selectors.py", "device_activity"): "gated by device_get just before",
    ("entitle/licensing/selectors.py", "_licence_search"): (
        "the licence a Subscription ID paid for, by its unique index; the reader's own "
        "annotation of the Subscription IDs it may see decides whether it is found"
    ),
    ("entitle/catalog/selectors.py", "products_named"): (
        "the catalog's product ids for a search: everyone signed in reads the catalog"
    ),
    ("entitle/catalog/selectors.py", "product_choices"): (
        "the catalog's product names for a filter: everyone signed in reads the catalog"
    ),
    ("entitle/licensing/selectors.py", "status_q"): (
        "the catalog's warning and grace days, to compare the reader's own licences with"
    ),
    ("entitle/licensing/selectors.py", "_licences_of_po"): (
        "narrows licences the reader already sees to those a PO number paid for"
    ),
    ("entitle/core/views.py", "activity_response"): (
        "lists by id the events its caller already read through the policy"
    ),
    ("entitle/core/audit.py", "events_of"): "callers fetch the object through the policy first",
    ("entitle/core/idempotency.py", "claim"): "the caller's own company's key, in its service",
    ("entitle/core/idempotency.py", "settle"): "the caller's own company's key, in its service",
    ("entitle/licensing/signing.py", "_create_key"): "the system's key store",
    ("entitle/licensing/signing.py", "current_key"): "the system's key store",
    ("entitle/licensing/signing.py", "rotate_keys"): "the system's key store (staff checked)",
    ("entitle/licensing/signing.py", "jwks"): "public keys, published to everyone",
    ("entitle/licensing/management/commands/keys.py", "Command.handle"): (
        "the operator's key listing on the server's command line"
    ),
    ("entitle/renewals/tasks.py", "reminder_sweep_scheduled"): (
        "the worker loads the booked sweep by id (the system acting on its own)"
    ),
    ("entitle/catalog/management/commands/setup.py", "Command._vendor"): (
        "the installation's set-up finds or makes the vendor: no actor exists before it"
    ),
    ("entitle/catalog/management/commands/setup.py", "Command._staff"): (
        "the operator names the first staff account on the server's command line (`--email`)"
    ),
    ("entitle/core/health.py", "_database"): "the readiness probe: SELECT 1, no domain data",
    ("entitle/core/routing.py", "replica_lag"): "the replica's replay position, no domain data",
    ("entitle/core/workers.py", "_requeue"): "the task queue's own table (the system's)",
    ("entitle/core/workers.py", "_running_by_worker"): "the task queue's own table",
    ("entitle/core/workers.py", "requeue_orphans"): "the task queue and the workers' locks",
    ("entitle/core/workers.py", "_hold_liveness_lock"): "a worker's liveness lock, no data",
    ("entitle/core/admin.py", "AuditedAdmin.save_model"): (
        "the back office (vendor staff only) records an edit's before-state"
    ),
    ("entitle/renewals/admin.py", "PartnerListingAdmin.formfield_for_foreignkey"): (
        "the back office (vendor staff only) picks among partner companies"
    ),
}


@pytest.fixture(scope="module")
def related(django_db_setup) -> set[str]:
    return related_accessors()


def test_nothing_reads_around_the_policy(related):
    found = []
    for path in scoped_files():
        module = str(path.relative_to(ROOT))
        found += [
            str(finding)
            for finding in findings_in(path.read_text(), module, related)
            if (module, finding.function) not in REASONED_EXCEPTIONS
        ]
    assert found == []


def test_every_listed_exception_is_still_needed(related):
    used = set()
    for path in scoped_files():
        module = str(path.relative_to(ROOT))
        used |= {(module, f.function) for f in findings_in(path.read_text(), module, related)}
    assert set(REASONED_EXCEPTIONS) - used == set()


BYPASSES = """
LATEST = Licence.objects.order_by("-created_at")                 # 1. module-level query


class Page:
    rows = Device.objects.visible_to(SYSTEM, "view")               # 2. class-level query


def by_shortcut(request, pk):
    return get_object_or_404(Licence, pk=pk)                       # 3. get_object_or_404


def by_default_manager(actor):
    return Licence._default_manager.filter(owner=actor.company)    # 4. _default_manager


def by_alias(actor):
    manager = Licence.objects                                      # 5. a manager alias
    return manager.filter(owner=actor.company)


def by_related_manager(actor):
    return actor.company.licences.all()                            # 6. a related manager


def by_raw_sql(actor):
    return Licence.objects.visible_to(actor).raw("SELECT * FROM licensing_licence")  # 7. raw


async def async_view(request):
    return [x async for x in Licence.objects.filter(owner=request.actor.company)]  # 8. async


OWNED = statements.Select(Licence, where="t.owner_id = %s")       # 9. a compiled statement


def fine(actor):
    return Licence.objects.visible_to(actor, "view").filter(quantity__gt=1)
"""


def test_the_lint_catches_every_bypass_shape(related):
    findings = findings_in(BYPASSES, "entitle/sample/views.py", related)
    assert [f.function for f in findings] == [
        "<module>",
        "Page",
        "by_shortcut",
        "by_default_manager",
        "by_alias",
        "by_related_manager",
        "by_raw_sql",
        "async_view",
        "OWNED",
    ]
    assert "fine" not in {f.function for f in findings}


def test_every_read_module_is_in_scope():
    scoped = {str(p.relative_to(ROOT)) for p in scoped_files()}
    for expected in [
        "entitle/licensing/views.py",
        "entitle/licensing/api.py",
        "entitle/licensing/selectors.py",
        "entitle/licensing/schemas.py",
        "entitle/licensing/templatetags/licences.py",
        "entitle/renewals/tasks.py",
        "entitle/orders/admin.py",
        "entitle/licensing/management/commands/keys.py",
    ]:
        assert expected in scoped
