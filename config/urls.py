from django.contrib import admin
from django.urls import include, path

from config.api import api
from entitle.accounts.forms import AdminLoginForm
from entitle.core import health

# The back office's log-in has the portal's limits on failed attempts.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("entitle.accounts.urls")),
    path("", include("entitle.orders.urls")),
    path("", include("entitle.locker.urls")),
    path("", include("entitle.licensing.urls")),
    path("", include("entitle.sharing.urls")),
    path("", include("entitle.renewals.urls")),
    path("", include("entitle.webhooks.urls")),
    path("", include("entitle.core.urls")),
]
