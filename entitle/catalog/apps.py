from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "entitle.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        import entitle.catalog.policy  # noqa: F401 — registers the app's access rules
