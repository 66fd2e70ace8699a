from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from entitle.core import selectors
from entitle.core.activity import ActivityFilter, describe
from entitle.core.csvexport import csv_response
from entitle.core.policy import redact_event
from entitle.core.routing import reads_from_replica

ACTIVITY_COLUMNS = ["when", "who", "what happened", "to what", "details"]
# Until activity pages page through everything (issue 13's listing mechanism), a page shows
# the newest events that pass the filter, and an export up to this many.
PAGE_EVENTS = 200
EXPORT_EVENTS = 10_000


def activity_response(request: HttpRequest, events, *, title: str, back: str | None = None):
    """An activity list as sentences, filtered by action, kind of object and date, with the
    fields the reader may not see taken out (the field policy); or as CSV with ?format=csv
    (the same filter, the same sentences)."""
    form = ActivityFilter(request.GET or None)
    events = form.apply(events)
    if request.GET.get("format") == "csv":
        return csv_response(
            filename="activity.csv",
            header=ACTIVITY_COLUMNS,
            rows=(
                [line.when, line.who, line.verb, line.what, "; ".join(line.details)]
                for line in (describe(redact_event(event)) for event in events[:EXPORT_EVENTS])
            ),
        )
    lines = [describe(redact_event(event)) for event in events[:PAGE_EVENTS]]
    query = request.GET.copy()
    query["format"] = "csv"
    context = {
        "lines": lines,
        "title": title,
        "back": back,
        "form": form,
        "csv_query": query.urlencode(),
        "limit": PAGE_EVENTS,
    }
    return render(request, "core/activity.html", context)


@login_required
@reads_from_replica
def company_activity(request: HttpRequest) -> HttpResponse:
    events = selectors.company_activity(actor=request.actor)
    title = (
        "Activity" if request.actor.is_vendor_staff else f"Activity of {request.actor.company.name}"
    )
    return activity_response(request, events, title=title)
