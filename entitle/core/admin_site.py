from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class EntitleAdminSite(admin.AdminSite):
    site_header = "Entitle back office"
    site_title = "Entitle back office"
    index_title = "Vendor staff"

    def has_permission(self, request) -> bool:
        # Staff rights count only in the vendor company: a customer's user flagged as staff
        # by mistake still cannot reach the back office.
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and getattr(getattr(user, "company", None), "is_vendor", False)
        )


class EntitleAdminConfig(AdminConfig):
    default_site = "entitle.core.admin_site.EntitleAdminSite"
