from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format

from entitle.core.charts import Series, bar_chart
from entitle.core.routing import reads_from_replica
from entitle.dashboard import selectors
from entitle.dashboard.context_processors import request_roles


def month_names(months: list[date]) -> list[str]:
    return [month.strftime("%b %Y") for month in months]


def day_names(days: list[date]) -> list[str]:
    return [date_format(day) for day in days]


def month_labels(months: list[date]) -> list[tuple[str, str]]:
    """ "Mar" under which the year, on the first bar and on each January."""
    return [
        (month.strftime("%b"), str(month.year) if n == 0 or month.month == 1 else "")
        for n, month in enumerate(months)
    ]


def day_labels(days: list[date]) -> list[tuple[str, str]]:
    """ "14" under which the month, on the first bar and on the first of a month."""
    return [
        (str(day.day), day.strftime("%b") if n == 0 or day.day == 1 else "")
        for n, day in enumerate(days)
    ]


@login_required
@reads_from_replica
def home(request: HttpRequest) -> HttpResponse:
    """Home: a dashboard for each role the company plays."""
    actor = request.actor
    roles = request_roles(request)
    context: dict = {"roles": roles, "recent_days": selectors.RECENT_DAYS}
    if roles.staff:
        board = selectors.staff_board(actor=actor)
        context["staff"] = board
        context["staff_months_chart"] = bar_chart(
            key="expiries-renewals",
            title="Licenses ending and renewals made, per month",
            labels=month_labels(board.months),
            names=month_names(board.months),
            series=[
                Series("Licenses ending", tuple(board.numbers.expiries)),
                Series("Renewals", tuple(board.numbers.renewals)),
            ],
        )
        context["validations_chart"] = bar_chart(
            key="validations",
            title="Validations by products, per day (last 30 days)",
            labels=day_labels(board.days),
            names=day_names(board.days),
            series=[Series("Validations", tuple(board.validations))],
            heading="Day",
            label_every=5,
        )
    if roles.customer:
        board = selectors.owner_board(actor=actor)
        context["owner"] = board
        context["ending_chart"] = bar_chart(
            key="ending",
            title="Your licenses ending, per month (next 12 months)",
            labels=month_labels(board.ending_months),
            names=month_names(board.ending_months),
            series=[Series("Licenses ending", tuple(board.numbers.ending))],
        )
    if roles.partner:
        board = selectors.partner_board(actor=actor)
        context["partner"] = board
        context["pipeline_chart"] = bar_chart(
            key="pipeline",
            title=f"Renewal pipeline at partner prices ({settings.ENTITLE['CURRENCY']}), "
            "per month (next 6 months)",
            labels=month_labels(board.pipeline_months),
            names=month_names(board.pipeline_months),
            series=[Series("Renewal value", tuple(board.numbers.pipeline_values))],
            money=True,
        )
    if roles.installer:
        context["installer"] = selectors.installer_board(actor=actor)
    return render(request, "dashboard/home.html", context)
