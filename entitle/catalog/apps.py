from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "entitle.catalog"
    label = "catalog"
    verbose_name = "Catalog"
