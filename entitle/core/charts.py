"""Bar charts drawn on the server as SVG: no script, no library, no CDN. `bar_chart` turns
numbers into geometry; `core/chart.html` draws it, with the same numbers as a table for
screen readers and for anyone who prefers one."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import log10

Number = int | Decimal

# The drawing's own units (the SVG scales to its box).
HEIGHT = 200
TOP = 18
BOTTOM = 42
LEFT = 46
RIGHT = 8
# Each label's group of bars gets this many units, within these bounds.
PLOT_WIDTH = 560
GROUP_MIN, GROUP_MAX = 16, 48
TICKS = 4


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Number, ...]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: Number
    series: int

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str
    sub: str


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[Number, ...]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    summary: str
    series: tuple[Series, ...]
    labels: tuple[Label, ...]
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    rows: tuple[Row, ...]
    width: float
    height: int
    plot_bottom: float
    plot_right: float
    money: bool
    show_values: bool
    heading: str

    @property
    def left(self) -> int:
        return LEFT

    @property
    def empty(self) -> bool:
        return not any(value for s in self.series for value in s.values)


def nice_ceiling(value: Number) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at least `value` (and at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** int(log10(float(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def short_number(value: Number) -> str:
    """Axis labels: 950, 1.2k, 3.4M."""
    number = float(value)
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(number) >= size:
            scaled = number / size
            text = f"{scaled:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{number:g}"


def _shown_labels(labels: Sequence[tuple[str, str]], every: int) -> set[int]:
    """Every label with a sub-label (a new month, a new year), and every `every`-th one that
    does not crowd them."""
    if every <= 1:
        return set(range(len(labels)))
    marked = {n for n, (_, sub) in enumerate(labels) if sub}
    return marked | {
        n for n in range(0, len(labels), every) if not any(abs(n - m) <= every // 2 for m in marked)
    }


def bar_chart(
    *,
    key: str,
    title: str,
    labels: Sequence[tuple[str, str]],
    series: Sequence[Series],
    money: bool = False,
    heading: str = "Month",
    label_every: int = 1,
    names: Sequence[str] = (),
) -> Chart:
    """`labels`: one (text, smaller text under it) per group of bars, e.g. ("Mar", "2027");
    `series`: one or two, each with a value per label. With many bars, only every
    `label_every`-th label is drawn; the table names each group in full by `names`."""
    count = len(labels)
    group = min(GROUP_MAX, max(GROUP_MIN, PLOT_WIDTH / max(count, 1)))
    peak = max((value for s in series for value in s.values), default=0)
    # Ticks at round steps (1, 2, 5 × 10ⁿ), four of them up to the top of the scale.
    top = nice_ceiling(Decimal(str(peak)) / TICKS) * TICKS
    plot_bottom = HEIGHT - BOTTOM
    plot_height = plot_bottom - TOP
    width = LEFT + count * group + RIGHT
    gap = group * 0.2
    bar_width = (group - gap) / max(len(series), 1)
    bars = []
    for index, one in enumerate(series):
        for n, value in enumerate(one.values):
            height = float(value) / top * plot_height if top else 0
            bars.append(
                Bar(
                    x=LEFT + n * group + gap / 2 + index * bar_width,
                    y=plot_bottom - height,
                    width=bar_width - 1,
                    height=height,
                    value=value,
                    series=index,
                )
            )
    ticks = [
        Tick(y=plot_bottom - plot_height * step / TICKS, label=short_number(top * step / TICKS))
        for step in range(TICKS + 1)
    ]
    summary = "; ".join(
        f"{text} {sub}".strip()
        + ": "
        + ", ".join(
            f"{s.name} {s.values[n]}" if len(series) > 1 else f"{s.values[n]}" for s in series
        )
        for n, (text, sub) in enumerate(labels)
    )
    return Chart(
        key=key,
        title=title,
        summary=summary,
        series=tuple(series),
        labels=tuple(
            Label(x=LEFT + n * group + group / 2, text=text, sub=sub)
            for n, (text, sub) in enumerate(labels)
            if n in _shown_labels(labels, label_every)
        ),
        bars=tuple(bars),
        ticks=tuple(ticks),
        rows=tuple(
            Row(
                label=names[n] if names else f"{text} {sub}".strip(),
                values=tuple(s.values[n] for s in series),
            )
            for n, (text, sub) in enumerate(labels)
        ),
        width=width,
        height=HEIGHT,
        plot_bottom=plot_bottom,
        plot_right=width - RIGHT,
        money=money,
        show_values=len(series) == 1 and not money and count <= 16,
        heading=heading,
    )
