from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "entitle.core"
    label = "core"
    verbose_name = "Entitle core"

    def ready(self) -> None:
        # Registers the access rules of core's own models (audit events, idempotency records).
        import entitle.core.audit
        import entitle.core.idempotency  # noqa: F401
