import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from entitle.core import selectors
from entitle.core.csvexport import csv_response
from entitle.core.policy import redact_event
from entitle.core.routing import reads_from_replica


@login_required
@reads_from_replica
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


ACTIVITY_COLUMNS = ["when", "who", "company", "action", "object", "before", "after"]


def activity_response(request: HttpRequest, events, *, title: str, back: str | None = None):
    """An activity list as a page, or as CSV with ?format=csv."""
    if request.GET.get("format") == "csv":
        return csv_response(
            filename="activity.csv",
            header=ACTIVITY_COLUMNS,
            rows=(
                [
                    event.occurred_at,
                    getattr(event, "actor_label", "")
                    or (event.actor_user.email if event.actor_user else "system"),
                    event.actor_company.name if event.actor_company else "",
                    event.action,
                    event.object_repr,
                    json.dumps(event.before, sort_keys=True) if event.before else "",
                    json.dumps(event.after, sort_keys=True) if event.after else "",
                ]
                for event in map(redact_event, events[:10_000])
            ),
        )
    return render(
        request,
        "core/activity.html",
        {"events": [redact_event(e) for e in events[:500]], "title": title, "back": back},
    )


@login_required
@reads_from_replica
def company_activity(request: HttpRequest) -> HttpResponse:
    events = selectors.company_activity(actor=request.actor)
    return activity_response(request, events, title=f"Activity of {request.actor.company.name}")
