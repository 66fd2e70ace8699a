from decimal import Decimal

from django.template.loader import render_to_string

from entitle.core.charts import Series, bar_chart, nice_ceiling, short_number


def test_scale_steps_are_round():
    assert [nice_ceiling(v) for v in (0, 0.75, 3, 7, 12, 130, 999)] == [1, 1, 5, 10, 20, 200, 1000]
    assert [short_number(v) for v in (0, 950, 1200, 3_400_000)] == ["0", "950", "1.2k", "3.4M"]


def test_bars_are_as_tall_as_their_values():
    chart = bar_chart(
        key="k",
        title="T",
        labels=[("Jan", "2027"), ("Feb", "")],
        series=[Series("Ending", (2, 8))],
    )
    low, high = chart.bars
    assert high.height == 4 * low.height
    assert chart.ticks[-1].label == "8"  # 4 ticks of 2


def test_a_chart_draws_svg_and_its_table():
    chart = bar_chart(
        key="pipeline",
        title="Pipeline",
        labels=[("Dec", "2026"), ("Jan", "2027")],
        series=[Series("Value", (Decimal("80.00"), Decimal("0")))],
        money=True,
        names=["Dec 2026", "Jan 2027"],
    )
    html = render_to_string("core/chart.html", {"chart": chart})
    assert '<svg width="' in html and 'role="img"' in html
    assert '<th scope="row">Dec 2026</th><td class="num">EUR 80.00</td>' in html
    assert html.count("<rect") == 1  # a zero draws no bar
    empty = bar_chart(key="e", title="E", labels=[("Jan", "")], series=[Series("V", (0,))])
    assert "Nothing to show for these months." in render_to_string(
        "core/chart.html", {"chart": empty}
    )


def test_many_bars_are_labelled_sparingly_but_never_hide_a_new_month():
    labels = [(str(day), "Dec" if day == 1 else "") for day in [28, 29, 30, 31, 1, 2, 3, 4, 5, 6]]
    chart = bar_chart(
        key="d", title="D", labels=labels, series=[Series("V", (0,) * 10)], label_every=5
    )
    assert [label.text for label in chart.labels] == ["28", "1"]  # not "2": next to "1 Dec"
    monthly = bar_chart(
        key="m",
        title="M",
        labels=[("Dec", "2026"), ("Jan", "2027"), ("Feb", "")],
        series=[Series("V", (1, 2, 3))],
    )
    assert [label.text for label in monthly.labels] == ["Dec", "Jan", "Feb"]
