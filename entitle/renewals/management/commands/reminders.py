from django.core.management.base import BaseCommand

from entitle.renewals.tasks import sweep_now


class Command(BaseCommand):
    help = (
        "Renewal reminders: `entitle reminders run` sweeps now for every reminder due today "
        "and queues its mails for the task worker. Each reminder is sent once, ever: running "
        "it again, or while the daily scheduled sweep runs, sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["run"])

    def handle(self, *args, action: str, **options):
        sweep = sweep_now()
        self.stdout.write(
            f"Reminder sweep of {sweep.day}: {sweep.reminders} reminder"
            f"{'' if sweep.reminders == 1 else 's'} claimed; the task worker mails them."
        )
