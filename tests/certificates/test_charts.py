"""The charts' geometry (certificates/pages/charts.py): bars in proportion to their values,
stacked in order, every drawn part a link with its value in its name."""

import re

import pytest

from certificates.pages import charts
from certificates.pages.charts import Datum, Part


def bar(label: str, *values: int, series: tuple[str, ...] = ()) -> Datum:
    names = series or ("",) * len(values)
    return Datum(
        label,
        tuple(
            Part(v, f"{v} things ({name or label})", f"/list/?{label}={name}", series=name)
            for v, name in zip(values, names, strict=True)
        ),
    )


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (16, 20), (45, 50), (101, 200)]
)
def test_the_scale_rounds_the_largest_value_up_to_one_two_or_five_times_a_power_of_ten(value, top):
    assert charts.nice_maximum(value) == top


def test_columns_are_as_tall_as_their_values_on_a_common_baseline():
    chart = charts.columns("c", "Per day", [bar("a", 5), bar("b", 10), bar("c", 0)])
    plot = chart.plot
    full = plot["y2"] - plot["y1"]
    (a,), (b,) = chart.bars[0].rects, chart.bars[1].rects
    assert (a.height, b.height) == (pytest.approx(full / 2, abs=0.1), pytest.approx(full, abs=0.1))
    assert a.y + a.height == pytest.approx(plot["y2"], abs=0.1) == b.y + b.height
    assert chart.bars[2].rects == ()  # nothing to click on for a zero
    assert a.x < b.x and a.width == b.width


def test_a_stacked_column_puts_its_first_part_at_the_bottom_and_skips_zeros():
    chart = charts.columns(
        "c", "Decisions", [bar("d", 2, 0, 2, series=("approved", "failed", "denied"))]
    )
    approved, denied = chart.bars[0].rects
    assert (approved.part.series, denied.part.series) == ("approved", "denied")
    assert denied.y + denied.height == pytest.approx(approved.y, abs=0.1)
    assert chart.bars[0].total == 4 and chart.series[0] == ("approved", "primary")


def test_a_long_series_names_some_columns_and_always_the_latest():
    chart = charts.columns("c", "Per day", [bar(f"d{n}", 1) for n in range(30)])
    named = [b.short_label for b in chart.bars if b.short_label]
    assert len(named) <= charts.MAX_AXIS_LABELS and named[-1] == "d29"
    assert [b.label for b in chart.bars] == [f"d{n}" for n in range(30)]  # the table: all


def test_rows_are_as_long_as_their_values_and_show_every_total_even_zero():
    chart = charts.rows("r", "By profile", [bar("one", 1), bar("five", 5), bar("none", 0)])
    plot = chart.plot
    one, five = chart.bars[0].rects[0], chart.bars[1].rects[0]
    assert five.width == pytest.approx(plot["x2"] - plot["x1"], abs=0.1)  # the scale's top
    assert one.width == pytest.approx(five.width / 5, abs=0.1)
    assert one.x == five.x == plot["x1"] and one.y < five.y
    assert [(b.total, b.show_value) for b in chart.bars] == [(1, True), (5, True), (0, True)]
    assert chart.height >= 3 * charts.ROW_HEIGHT


def test_a_long_row_label_is_shortened_on_the_axis_and_kept_whole_for_the_table():
    label = "A profile whose display name goes on and on"
    chart = charts.rows("r", "By profile", [bar(label, 3)])
    assert chart.bars[0].short_label.endswith("…")
    assert len(chart.bars[0].short_label) <= charts.LABEL_CHARS
    assert chart.bars[0].label == chart.data[0].label == label


def test_a_chart_of_zeros_is_empty_and_says_so():
    chart = charts.rows("r", "By age", [bar("a", 0), bar("b", 0)], empty_text="Nothing waits.")
    assert chart.empty and chart.empty_text == "Nothing waits."
    assert not charts.rows("r", "By age", [bar("a", 0), bar("b", 1)]).empty


def test_a_part_refuses_an_unknown_colour_and_a_negative_value():
    with pytest.raises(ValueError, match="tone"):
        Part(1, "x", "/", tone="chartreuse")
    with pytest.raises(ValueError, match="negative"):
        Part(-1, "x", "/")


def test_the_markup_escapes_names_and_links_every_drawn_part_with_its_value():
    from certificates.pages.chart_markup import chart_html

    evil = Datum('<script>alert("x")</script>', (Part(1234, "1234 <b>things</b>", "/l/?a=1&b=2"),))
    markup = chart_html(charts.rows("r", "Mine & yours", [evil, bar("zero", 0)]))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert '<a class="chart-link" href="/l/?a=1&amp;b=2" aria-label="1234 &lt;b&gt;things' in markup
    assert markup.count('<a class="chart-link"') == 1  # the zero has no bar
    assert "<title>1234 &lt;b&gt;things&lt;/b&gt;</title>" in markup
    x = charts.ROW_LABEL_WIDTH  # the bar starts after the labels' column
    rect = rf'<rect class="chart-bar chart-tone-primary" x="{x}" y="4" width="[\d.]+"'
    assert re.search(rect, markup), markup
    assert ">1234</text>" in markup and ",2" not in markup  # numbers never localized
    assert '<th scope="row" class="fw-normal">zero</th><td class="text-end">0</td>' in markup
    assert "<summary>The numbers</summary>" in markup and 'aria-labelledby="r-title"' in markup


def test_an_empty_chart_draws_nothing_and_says_why():
    from certificates.pages.chart_markup import chart_html

    markup = chart_html(charts.columns("c", "Per day", [bar("d", 0)], empty_text="Quiet."))
    assert "<svg" not in markup and "Quiet." in markup
