from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("entitle.accounts.urls")),
    path("", include("entitle.orders.urls")),
    path("", include("entitle.locker.urls")),
    path("", include("entitle.licensing.urls")),
    path("", include("entitle.sharing.urls")),
    path("", include("entitle.renewals.urls")),
    path("", include("entitle.core.urls")),
]
