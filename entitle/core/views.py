from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from entitle.core import selectors
from entitle.core.activity import ACTIVITY, Line, describe
from entitle.core.listing import Column, list_response
from entitle.core.models import AuditEvent
from entitle.core.policy import redact_event
from entitle.core.routing import reads_from_replica


def _line(event: AuditEvent) -> Line:
    """The event as a sentence, without what the field policy hides from its reader (read
    once a row, however many columns show it)."""
    if "_line" not in event.__dict__:
        event._line = describe(redact_event(event))
    return event._line


ACTIVITY_COLUMNS = (
    Column("when", lambda event: _line(event).when),
    Column("who", lambda event: _line(event).who),
    Column("what happened", lambda event: _line(event).verb),
    Column("to what", lambda event: _line(event).what),
    Column("details", lambda event: "; ".join(_line(event).details)),
)


def activity_response(
    request: HttpRequest,
    events: QuerySet[AuditEvent] | list[AuditEvent],
    *,
    title: str,
    back: str | None = None,
) -> HttpResponse:
    """An activity list as sentences, a page at a time (newest first), filtered by action,
    kind of object and date, with the fields the reader may not see taken out (the field
    policy); or as CSV with ?format=csv (the same filter, the same sentences, every event).

    `events` is a queryset; a list of events already read (and redacted) by its caller is
    listed by their ids, and each is shown as the caller gave it."""
    columns = ACTIVITY_COLUMNS
    if not isinstance(events, QuerySet):
        given = {event.pk: event for event in events}
        events = AuditEvent.objects.filter(pk__in=list(given))
        columns = tuple(
            Column(column.header, lambda event, read=column.read: read(given[event.pk]))
            for column in ACTIVITY_COLUMNS
        )
    else:
        given = {}
    return list_response(
        request,
        ACTIVITY,
        events,
        template="core/activity.html",
        context={"title": title, "back": back},
        filename="activity.csv",
        columns=columns,
        present=lambda page: [_line(given.get(event.pk, event)) for event in page],
    )


@login_required
@reads_from_replica
def company_activity(request: HttpRequest) -> HttpResponse:
    events = selectors.company_activity(actor=request.actor)
    title = (
        "Activity" if request.actor.is_vendor_staff else f"Activity of {request.actor.company.name}"
    )
    return activity_response(request, events, title=title)
