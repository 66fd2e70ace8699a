from django.contrib import admin
from django.urls import include, path

from config.api import api
from entitle.core import health
from entitle.core import urls as core_urls
from entitle.dashboard import urls as dashboard_urls

# `portal:home` (the role dashboards) and `portal:activity`.
portal = ([*dashboard_urls.urlpatterns, *core_urls.urlpatterns], "portal")

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("backoffice/", include("entitle.backoffice.urls")),
    path("", include("entitle.accounts.urls")),
    path("", include("entitle.orders.urls")),
    path("", include("entitle.locker.urls")),
    path("", include("entitle.licensing.urls")),
    path("", include("entitle.sharing.urls")),
    path("", include("entitle.renewals.urls")),
    path("", include("entitle.webhooks.urls")),
    path("", include(portal)),
]
