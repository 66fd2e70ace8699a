from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "entitle.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        import entitle.webhooks.policy  # noqa: F401 — registers the app's access rules
        from entitle.core import hooks
        from entitle.core.events import AuditRecorded
        from entitle.webhooks import handlers

        hooks.subscribe(AuditRecorded, handlers.on_audit)
