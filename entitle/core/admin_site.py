from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse


class EntitleAdminSite(admin.AdminSite):
    """The back office, for vendor staff signed in with a second factor.

    Signing in happens on the portal's own page (password or single sign-on, then the code),
    so the back office has one way in, with the portal's limits."""

    site_header = "Entitle back office"
    site_title = "Entitle back office"
    index_title = "Vendor staff"

    def has_permission(self, request) -> bool:
        # Staff rights count only in the vendor company: a customer's user flagged as staff
        # by mistake still cannot reach the back office.
        user = request.user
        return bool(getattr(user, "is_vendor_staff", False)) and user.is_verified()

    def login(self, request, extra_context=None):
        user = request.user
        if getattr(user, "is_vendor_staff", False) and not user.is_verified():
            # Signed in without a second factor: set one up (or sign in again with it).
            return HttpResponseRedirect(reverse("accounts:security"))
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(
            f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': target})}"
        )


class EntitleAdminConfig(AdminConfig):
    default_site = "entitle.core.admin_site.EntitleAdminSite"
