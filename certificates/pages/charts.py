"""Bar charts drawn on the server as SVG (templates/charts/chart.html): the geometry only —
no database, no HTML. Each bar is made of parts (a stacked bar's segments), each a link to the
list behind it, with an accessible name that says its value."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Colours are CSS classes (static/css/dashboard.css): the CSP forbids style attributes.
TONES = ("primary", "success", "warning", "danger", "info", "secondary", "dark", "purple")

# Small viewBoxes: text keeps a readable size when a chart shrinks to a phone's width.
COLUMN_WIDTH, COLUMN_HEIGHT = 400, 190  # the viewBox of a chart of columns (time series)
COLUMN_MARGIN = {"left": 30, "right": 6, "top": 18, "bottom": 24}
ROW_WIDTH, ROW_HEIGHT, ROW_GAP = 400, 22, 8  # a chart of rows (categories)
ROW_LABEL_WIDTH, ROW_VALUE_WIDTH = 150, 34
LABEL_CHARS = 19  # a row's label beyond this is shortened (the full one is in its name)
MAX_AXIS_LABELS = 6  # columns: at most this many labels under the axis


@dataclass(frozen=True)
class Part:
    """One value of a bar: ``label`` is its accessible name ("3 certificates expiring within
    7 days"), ``href`` the filtered list behind it, ``tone`` its colour (one of TONES)."""

    value: int
    label: str
    href: str
    tone: str = "primary"
    series: str = ""  # the legend's name for it, when a chart stacks several series

    def __post_init__(self):
        if self.tone not in TONES:
            raise ValueError(f"unknown tone {self.tone!r}")
        if self.value < 0:
            raise ValueError("a bar's value cannot be negative")


@dataclass(frozen=True)
class Datum:
    """A bar: its category's label and its parts, bottom (or left) first."""

    label: str
    parts: tuple[Part, ...]

    @property
    def total(self) -> int:
        return sum(part.value for part in self.parts)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    part: Part


@dataclass(frozen=True)
class Bar:
    label: str  # in full: the table and the names use it
    short_label: str  # what the axis shows ("" when skipped for room)
    total: int
    rects: tuple[Rect, ...]
    label_x: float
    label_y: float
    value_x: float
    value_y: float
    show_value: bool


@dataclass(frozen=True)
class Tick:
    value: int
    position: float  # y of a column chart's line, x of a row chart's


@dataclass
class Chart:
    """What the template draws: ``kind`` is "columns" or "rows"."""

    id: str
    title: str
    kind: str
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    data: list[Datum]
    note: str = ""
    empty_text: str = "Nothing to show yet."
    plot: Mapping[str, float] = field(default_factory=dict)  # the plotting area's corners

    @property
    def empty(self) -> bool:
        return not any(datum.total for datum in self.data)

    @property
    def series(self) -> list[tuple[str, str]]:
        """The legend: (name, tone) of each named series, in order of first appearance."""
        seen: dict[str, str] = {}
        for datum in self.data:
            for part in datum.parts:
                if part.series and part.series not in seen:
                    seen[part.series] = part.tone
        return list(seen.items())


def nice_maximum(value: int) -> int:
    """The scale's top: ``value`` rounded up to 1, 2 or 5 times a power of ten (at least 1),
    so that the ticks fall on round numbers."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _ticks(maximum: int) -> list[int]:
    """0, the middle (when it is a whole number) and the top."""
    middle = maximum // 2 if maximum % 2 == 0 else None
    return [value for value in (0, middle, maximum) if value is not None]


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def columns(chart_id: str, title: str, data: Sequence[Datum], **extra) -> Chart:
    """Vertical bars side by side, one per datum (days, weeks): stacked parts bottom up."""
    left, top = COLUMN_MARGIN["left"], COLUMN_MARGIN["top"]
    plot_width = COLUMN_WIDTH - left - COLUMN_MARGIN["right"]
    plot_height = COLUMN_HEIGHT - top - COLUMN_MARGIN["bottom"]
    bottom = top + plot_height
    maximum = nice_maximum(max((d.total for d in data), default=0))
    band = plot_width / max(len(data), 1)
    bar_width = band * 0.7
    every = math.ceil(len(data) / MAX_AXIS_LABELS) if data else 1
    bars = []
    for index, datum in enumerate(data):
        x = left + index * band + (band - bar_width) / 2
        y: float = bottom
        rects = []
        for part in datum.parts:
            if not part.value:
                continue
            height = plot_height * part.value / maximum
            y -= height
            rects.append(Rect(_r(x), _r(y), _r(bar_width), _r(height), part))
        centre = _r(x + bar_width / 2)
        bars.append(
            Bar(
                label=datum.label,
                # Counted from the last bar: the latest day or week is always named.
                short_label=datum.label if (len(data) - 1 - index) % every == 0 else "",
                total=datum.total,
                rects=tuple(rects),
                label_x=centre,
                label_y=bottom + 17,
                value_x=centre,
                value_y=_r(y - 4),
                # Numbers over the bars where they fit; the table has them all.
                show_value=bool(datum.total) and band >= 14,
            )
        )
    ticks = [Tick(v, _r(bottom - plot_height * v / maximum)) for v in _ticks(maximum)]
    plot = {"x1": left, "x2": left + plot_width, "y1": top, "y2": bottom}
    return Chart(
        chart_id,
        title,
        "columns",
        COLUMN_WIDTH,
        COLUMN_HEIGHT,
        bars,
        ticks,
        list(data),
        plot=plot,
        **extra,
    )


def rows(chart_id: str, title: str, data: Sequence[Datum], **extra) -> Chart:
    """Horizontal bars one under the other, one per datum (profiles, ages, protocols): the
    label on the left, stacked parts left to right, the total after the bar."""
    left = ROW_LABEL_WIDTH
    plot_width = ROW_WIDTH - left - ROW_VALUE_WIDTH
    top = 4
    maximum = nice_maximum(max((d.total for d in data), default=0))
    bars = []
    for index, datum in enumerate(data):
        y = top + index * (ROW_HEIGHT + ROW_GAP)
        x: float = left
        rects = []
        for part in datum.parts:
            if not part.value:
                continue
            width = plot_width * part.value / maximum
            rects.append(Rect(_r(x), y, _r(width), ROW_HEIGHT, part))
            x += width
        middle = y + ROW_HEIGHT / 2 + 5  # a text's baseline, centred on the bar
        bars.append(
            Bar(
                label=datum.label,
                short_label=shorten(datum.label),
                total=datum.total,
                rects=tuple(rects),
                label_x=left - 8,
                label_y=middle,
                value_x=_r(x + 6),
                value_y=middle,
                show_value=True,  # a zero too: "none" is an answer
            )
        )
    height = top * 2 + len(data) * (ROW_HEIGHT + ROW_GAP)
    ticks = [Tick(v, _r(left + plot_width * v / maximum)) for v in _ticks(maximum)]
    plot = {"x1": left, "x2": left + plot_width, "y1": 0, "y2": height}
    return Chart(
        chart_id, title, "rows", ROW_WIDTH, height, bars, ticks, list(data), plot=plot, **extra
    )


def _r(value: float) -> float:
    return round(value, 1)
