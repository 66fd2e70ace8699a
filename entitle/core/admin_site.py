from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class EntitleAdminSite(admin.AdminSite):
    site_header = "Entitle back office"
    site_title = "Entitle back office"
    index_title = "Vendor staff"

    def has_permission(self, request) -> bool:
        # Staff rights count only in the vendor company: a customer's user flagged as staff
        # by mistake still cannot reach the back office.
        return bool(getattr(request.user, "is_vendor_staff", False))


class EntitleAdminConfig(AdminConfig):
    default_site = "entitle.core.admin_site.EntitleAdminSite"
