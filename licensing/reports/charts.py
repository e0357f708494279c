"""The chart of a product in the seat-usage report: daily users against seats, as an SVG drawn on
the server (R-R1). No JavaScript and no chart library, so it works offline and under the strict CSP:
the template (reports/_usage_chart.html) uses SVG presentation attributes and the classes of
portal.css, never a style attribute.

Geometry only lives here; the words are in the template."""

from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format

from licensing.reports.queries import Period, ProductUsage

WIDTH, HEIGHT = 960, 190
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 10, 26  # room for the y labels, the x labels and the seat labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    users: int
    weekend: bool

    @property
    def label(self) -> str:
        """The day as its tooltip names it: "Sat 28 Nov 2026" (Dutch "za 28 nov 2026")."""
        return f"{date_format(self.day, 'D')} {date_format(self.day, 'SHORT_DATE_FORMAT')}"


@dataclass(frozen=True)
class Tick:
    position: float  # x or y in the drawing
    label: str
    anchor: str = "middle"  # SVG text-anchor: a month's name starts where the month does


@dataclass(frozen=True)
class Line:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    right: float  # x of the plot's right edge
    top: float
    bottom: float  # y of the baseline
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    purchased: Line | None
    assigned: Line | None


def nice_ceiling(value: int) -> tuple[int, int]:
    """The top of the y axis and its step: the smallest of 1, 2, 2.5, 5 x 10^k steps for which four
    steps reach `value` (at least 1)."""
    value = max(value, 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 2.5, 5):
            step = factor * magnitude
            if step >= 1 and step == int(step) and step * 4 >= value:
                steps = -(-value // int(step))  # ceiling division
                return int(step) * steps, int(step)
        magnitude *= 10


def _x_ticks(period: Period, x_of) -> list[Tick]:
    """Labels under the bars: every Monday, under its bar, for a month or so; else the name of each
    month (every other one beyond 200 days) from its first day, with the year on January and on the
    first label. `x_of(i)` is the left edge of day i's slot."""
    days = period.dates()
    ticks = []
    if len(days) <= 45:
        slot = x_of(1) - x_of(0)
        for i, day in enumerate(days):
            if day.weekday() == 0:
                ticks.append(Tick(round(x_of(i) + slot / 2, 2), date_format(day, "MONTH_DAY_FORMAT")))
        return ticks
    every = 1 if len(days) <= 200 else 2
    months = [(i, day) for i, day in enumerate(days) if day.day == 1]
    for n, (i, day) in enumerate(months):
        if (day.month - 1) % every and n:
            continue
        label = date_format(day, "M Y") if n == 0 or day.month == 1 else date_format(day, "M")
        ticks.append(Tick(x_of(i), label, anchor="start"))
    return ticks


def usage_chart(row: ProductUsage, period: Period) -> Chart:
    """The bars of `row.daily` over `period`, with the seats purchased and assigned as lines."""
    plot_left, plot_right = LEFT, WIDTH - RIGHT
    baseline, plot_top = HEIGHT - BOTTOM, TOP
    top, step = nice_ceiling(max(row.peak, row.seats_purchased, row.seats_assigned))
    slot = (plot_right - plot_left) / max(period.days, 1)
    gap = slot * 0.25 if slot >= 4 else 0

    def y_of(value: float) -> float:
        return round(baseline - (baseline - plot_top) * value / top, 2)

    def x_of(index: int) -> float:
        return round(plot_left + slot * index, 2)

    bars = [
        Bar(
            x=round(x_of(i) + gap / 2, 2),
            y=y_of(users),
            width=round(slot - gap, 2),
            height=round(baseline - y_of(users), 2),
            day=day,
            users=users,
            weekend=day.weekday() >= 5,
        )
        for i, (day, users) in enumerate(zip(period.dates(), row.daily, strict=True))
    ]
    y_ticks = [Tick(y_of(value), str(value)) for value in range(0, top + 1, step)]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=plot_left,
        right=plot_right,
        top=plot_top,
        bottom=baseline,
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=_x_ticks(period, x_of),
        purchased=Line(y_of(row.seats_purchased), row.seats_purchased) if row.seats_purchased else None,
        assigned=Line(y_of(row.seats_assigned), row.seats_assigned) if row.seats_assigned else None,
    )
