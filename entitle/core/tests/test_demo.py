from django.contrib.auth import authenticate

from entitle import demo
from entitle.accounts.models import Company, User


def test_demo_world_loads_twice_without_change(db):
    demo.load()
    counts = (Company.objects.count(), User.objects.count())
    demo.load()
    assert (Company.objects.count(), User.objects.count()) == counts == (6, 8)
    assert Company.objects.filter(is_vendor=True).get().name == "Entitle Software"
    for user in demo.USERS:
        assert authenticate(username=user.email, password=demo.DEMO_PASSWORD)
    assert User.objects.get(email="staff@entitle.example").is_vendor_staff


def test_demo_world_has_licences_in_every_state(db):
    from entitle.licensing.models import Licence
    from entitle.licensing.selectors import licence_status

    demo.load()
    states = sorted(
        (licence.owner.name, licence.product.code, str(licence_status(licence).status))
        for licence in Licence.objects.select_related("owner", "product")
    )
    assert states == [
        ("Acme Data Centres", "dce", "active"),
        ("Acme Data Centres", "dce", "active"),
        ("Acme Data Centres", "dce", "expiring"),
        # A year of business for Home's charts: one renewed, one ending in five months.
        ("Acme Data Centres", "pcns", "active"),
        ("Acme Data Centres", "pcns", "active"),
        ("Acme Data Centres", "pcns", "expiring"),
        ("Acme Data Centres", "pcns", "grace"),
        ("Globex Manufacturing", "secure-nmc", "expired"),
    ]


def test_demo_world_has_a_device_on_lease_one_air_gapped_and_an_activation_history(db):
    from entitle.core.models import AuditEvent
    from entitle.licensing.models import Binding

    demo.load()
    leased = Binding.objects.get(device__name="dce-leeds-02", ended_at__isnull=True)
    assert leased.lease_until is not None
    vaulted = Binding.objects.get(device__name="dce-vault", ended_at__isnull=True)
    assert vaulted.lease_until is None and vaulted.installation_key and vaulted.request_nonce
    history = AuditEvent.objects.filter(
        object_type="licensing.licence", object_id=str(leased.licence_id)
    ).values_list("action", flat=True)
    assert {"licence.activated", "licence.rehosted"} <= set(history)
