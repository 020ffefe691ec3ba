"""A chart (certificates/pages/charts.py) as HTML: a figure with its SVG — each drawn part a
link named with its value — its legend, and its numbers in a table (the text alternative).

Built here with ``format_html`` (every value escaped) rather than in a template: a chart has a
few hundred attributes, and the template engine's lookups made the home page several times
slower than the queries behind it."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from certificates.pages.charts import Bar, Chart

SVG_NS = "http://www.w3.org/2000/svg"


def _n(value: float) -> str:
    """A coordinate as SVG reads it (never localized: no thousands separator, a dot)."""
    return f"{value:g}"


def chart_html(chart: Chart) -> SafeString:
    head = format_html(
        '<figure class="chart mb-0" id="{}"><figcaption class="h6" id="{}-title">{}</figcaption>',
        chart.id,
        chart.id,
        chart.title,
    )
    note = format_html('<p class="small text-muted mb-1">{}</p>', chart.note) if chart.note else ""
    if chart.empty:
        body = format_html('<p class="text-muted small mb-0">{}</p>', chart.empty_text)
    else:
        body = _svg(chart) + _legend(chart) + _table(chart)
    return mark_safe(head + note + body + "</figure>")  # noqa: S308 - parts built escaped


def _svg(chart: Chart) -> SafeString:
    plot = chart.plot
    if chart.kind == "columns":
        grid = format_html_join(
            "",
            '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<text class="chart-tick" x="{}" y="{}" dy="4" text-anchor="end" '
            'aria-hidden="true">{}</text>',
            (
                (
                    _n(plot["x1"]),
                    _n(plot["x2"]),
                    _n(t.position),
                    _n(t.position),
                    _n(plot["x1"] - 4),
                    _n(t.position),
                    t.value,
                )
                for t in chart.ticks
            ),
        )
    else:
        grid = format_html_join(
            "",
            '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            ((_n(t.position), _n(t.position), _n(plot["y1"]), _n(plot["y2"])) for t in chart.ticks),
        )
    bars = "".join(_bar(chart, bar) for bar in chart.bars)
    return format_html(
        '<svg class="chart-svg chart-{}" viewBox="0 0 {} {}" role="group" '
        'aria-labelledby="{}-title" xmlns="{}">{}{}</svg>',
        chart.kind,
        chart.width,
        chart.height,
        chart.id,
        SVG_NS,
        grid,
        mark_safe(bars),  # noqa: S308 - each bar built with format_html
    )


def _bar(chart: Chart, bar: Bar) -> str:
    rects = format_html_join(
        "",
        '<a class="chart-link" href="{}" aria-label="{}"><title>{}</title>'
        '<rect class="chart-bar chart-tone-{}" x="{}" y="{}" width="{}" height="{}"/></a>',
        (
            (
                r.part.href,
                r.part.label,
                r.part.label,
                r.part.tone,
                _n(r.x),
                _n(r.y),
                _n(r.width),
                _n(r.height),
            )
            for r in bar.rects
        ),
    )
    label = (
        format_html(
            '<text class="chart-label" x="{}" y="{}" text-anchor="{}" aria-hidden="true">{}</text>',
            _n(bar.label_x),
            _n(bar.label_y),
            "end" if chart.kind == "rows" else "middle",
            bar.short_label,
        )
        if bar.short_label
        else ""
    )
    value = (
        format_html(
            '<text class="chart-value" x="{}" y="{}"{} aria-hidden="true">{}</text>',
            _n(bar.value_x),
            _n(bar.value_y),
            mark_safe(' text-anchor="middle"') if chart.kind == "columns" else "",
            bar.total,
        )
        if bar.show_value
        else ""
    )
    return format_html('<g class="chart-bar-group">{}{}{}</g>', rects, label, value)


def _legend(chart: Chart) -> SafeString:
    if not chart.series:
        return SafeString("")
    items = format_html_join(
        "",
        '<li class="list-inline-item"><svg class="chart-swatch" viewBox="0 0 10 10" '
        'aria-hidden="true"><rect class="chart-tone-{}" width="10" height="10"/></svg> {}</li>',
        ((tone, name) for name, tone in chart.series),
    )
    return format_html('<ul class="chart-legend list-inline small mb-1">{}</ul>', items)


def _table(chart: Chart) -> SafeString:
    """The numbers, each linked to its list: what a screen reader or a keyboard reads best."""
    columns = [name for name, _ in chart.series] or ["Count"]
    head = format_html_join("", '<th scope="col" class="text-end">{}</th>', ((c,) for c in columns))
    rows = []
    for datum in chart.data:
        cells = format_html_join(
            "",
            '<td class="text-end">{}</td>',
            (
                (format_html('<a href="{}">{}</a>', part.href, part.value) if part.value else 0,)
                for part in datum.parts
            ),
        )
        rows.append(
            format_html('<tr><th scope="row" class="fw-normal">{}</th>{}</tr>', datum.label, cells)
        )
    return format_html(
        '<details class="chart-numbers small"><summary>The numbers</summary>'
        '<table class="table table-sm mb-0"><thead><tr><th scope="col">{}</th>{}</tr></thead>'
        "<tbody>{}</tbody></table></details>",
        chart.title,
        head,
        mark_safe("".join(rows)),  # noqa: S308 - each row built with format_html
    )
