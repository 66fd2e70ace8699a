from django.contrib.auth import authenticate

from entitle import demo
from entitle.accounts.models import Company, User


def test_demo_world_loads_twice_without_change(db):
    demo.load()
    counts = (Company.objects.count(), User.objects.count())
    demo.load()
    assert (Company.objects.count(), User.objects.count()) == counts == (6, 7)
    assert Company.objects.filter(is_vendor=True).get().name == "Entitle Software"
    for user in demo.USERS:
        assert authenticate(username=user.email, password=demo.DEMO_PASSWORD)
    assert User.objects.get(email="staff@entitle.example").is_vendor_staff
