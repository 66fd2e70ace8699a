from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "entitle.sharing"
    label = "sharing"
    verbose_name = "Delegations and transfers"

    def ready(self) -> None:
        import entitle.sharing.policy  # noqa: F401 — registers the app's rules and grants
        from entitle.accounts.events import UserJoined
        from entitle.core import hooks
        from entitle.sharing import handlers

        hooks.subscribe(UserJoined, handlers.attach_delegations)
