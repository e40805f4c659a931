"""Monthly trends drawn as server-rendered SVG (no JavaScript): the geometry of a chart, which the
template macro ``trend_svg`` (``admin/compliance_macros.html``) draws. Every chart has a title
and a description that reads out its values (screen readers), and each point a title."""

from __future__ import annotations

from dataclasses import dataclass, field

from babel.dates import format_skeleton
from flask_babel import format_percent, gettext

from core.compliance.columns import percent
from core.compliance.reading import Month


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # "Mar 2026: 80.0%"


@dataclass
class Series:
    key: str  # "disclosure" or "on_time" (its style)
    label: str
    segments: list[list[Point]] = field(default_factory=list)  # broken where nothing was due

    @property
    def points(self) -> list[Point]:
        return [p for segment in self.segments for p in segment]

    def polyline(self, segment: list[Point]) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in segment)


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    small: bool
    series: list[Series]
    months: list[tuple[float, str]]  # (x, label) along the bottom
    grid: list[tuple[float, str]]  # (y, "50%") lines
    top: float
    bottom: float
    left: float
    right: float


def _percent(value: float) -> str:
    return percent(value)


def _sparkline(months: list[Month], *, id: str, title: str, x, y, size) -> Chart:
    width, height, top, bottom, left, right = size
    s = Series("disclosure", "")
    segment: list[Point] = []
    for i, m in enumerate(months):
        if m.rate is None:
            if segment:
                s.segments.append(segment)
            segment = []
            continue
        segment.append(Point(x(i), y(m.rate), ""))
    if segment:
        s.segments.append(segment)
    due, met = sum(m.due for m in months), sum(m.met for m in months)
    desc = (
        gettext(
            "%(rate)s disclosed over the last 12 months (%(met)s of %(due)s).",
            rate=_percent(met / due),
            met=met,
            due=due,
        )
        if due
        else gettext("Nothing was due in the last 12 months.")
    )
    return Chart(id, title, desc, width, height, True, [s], [], [], top, height - bottom,
                 left, width - right)  # fmt: skip


def chart(months: list[Month], *, id: str, title: str, locale: str, small: bool = False) -> Chart:
    """The chart of the disclosure rate (and, unless ``small``, the on-time rate) by month."""
    width, height = (132, 32) if small else (560, 200)
    left, right, top, bottom = (2, 2, 3, 3) if small else (44, 10, 10, 28)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(months) - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(rate: float) -> float:
        return top + (1 - rate) * plot_h

    if small:  # a row's sparkline: one sentence for the 12 months, no title on each point
        return _sparkline(months, id=id, title=title, x=x, y=y, size=(width, height, top,
                          bottom, left, right))  # fmt: skip
    names = [format_skeleton("yMMM", m.day, locale=locale) for m in months]
    wanted = [("disclosure", gettext("Disclosure rate"), lambda m: m.rate)]
    if not small:
        wanted.append(("on_time", gettext("On-time rate"), lambda m: m.on_time_rate))
    series = []
    for key, label, value in wanted:
        s = Series(key, label)
        segment: list[Point] = []
        for i, m in enumerate(months):
            rate = value(m)
            if rate is None:
                if segment:
                    s.segments.append(segment)
                segment = []
                continue
            segment.append(Point(x(i), y(rate), f"{names[i]}: {label} {_percent(rate)}"))
        if segment:
            s.segments.append(segment)
        series.append(s)
    readings = []
    for name, m in zip(names, months, strict=True):
        if m.rate is None:
            readings.append(gettext("%(month)s: nothing was due", month=name))
        else:
            readings.append(
                gettext(
                    "%(month)s: %(rate)s disclosed, %(on_time)s on time (%(met)s of %(due)s)",
                    month=name,
                    rate=_percent(m.rate),
                    on_time=_percent(m.on_time_rate or 0),
                    met=m.met,
                    due=m.due,
                )
            )
    desc = gettext("Disclosure rate by month over the last 12 months. ") + "; ".join(readings)
    labels = (
        []
        if small
        else [
            (x(i), format_skeleton("MMM", m.day, locale=locale))
            for i, m in enumerate(months)
            if i % 2 == (len(months) - 1) % 2
        ]
    )
    grid = [] if small else [(y(r), format_percent(r, "#,##0%")) for r in (0.0, 0.5, 1.0)]
    return Chart(
        id,
        title,
        desc,
        width,
        height,
        small,
        series,
        labels,
        grid,
        top,
        height - bottom,
        left,
        width - right,
    )
