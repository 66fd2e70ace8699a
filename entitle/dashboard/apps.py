from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "entitle.dashboard"
    label = "dashboard"
    verbose_name = "Home: the dashboards of each role"
