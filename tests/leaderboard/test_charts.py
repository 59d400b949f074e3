"""Server-side SVG charts: a shared axis for interval plots, the reliability diagram and
per-group bars, with every label escaped."""

import re
import xml.dom.minidom

from leaderboard import charts


def test_axis_domain_covers_every_interval_in_whole_steps_inside_0_1():
    estimates = [{"low": 0.712, "high": 0.81}, {"low": 0.64, "high": 0.7}, {"low": None}]
    assert charts.axis_domain(estimates) == (0.6, 0.85)
    assert charts.axis_domain([{"low": 0.98, "high": 1.0}]) == (0.95, 1.0)
    assert charts.axis_domain([]) == (0.0, 1.0)
    assert charts.axis_domain([{"low": 0.5, "high": 0.5}]) == (0.5, 0.55)
    # Differences may be negative: the axis then leaves [0, 1].
    assert charts.axis_domain([{"low": -0.03, "high": 0.02}, {"low": 0, "high": 0}]) == (
        -0.05, 0.05)


def test_ticks_are_round_numbers_inside_the_domain():
    assert charts.ticks((0.6, 0.85)) == [0.6, 0.65, 0.7, 0.75, 0.8, 0.85]
    assert charts.ticks((0.0, 1.0)) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert charts.ticks((-0.05, 0.05)) == [-0.04, -0.02, 0.0, 0.02, 0.04]


def test_interval_cell_places_low_point_and_high_on_the_shared_scale():
    svg = charts.interval_cell({"value": 0.5, "low": 0.25, "high": 0.75}, (0.0, 1.0), width=124)
    # x = 12 + value * 100 for a 124-pixel cell (12 pixels kept each side for tick labels).
    assert 'x1="37" x2="87"' in svg
    assert 'cx="62"' in svg
    assert "<line" not in charts.interval_cell({"value": None, "low": None, "high": None},
                                               (0.0, 1.0))


def test_interval_plot_is_well_formed_with_one_row_per_entry_and_escaped_names():
    rows = [{"label": f"model <{i}> & co", "estimate": {"value": 0.7 + i / 100, "low": 0.65,
                                                       "high": 0.8}} for i in range(3)]
    rows.append({"label": "failed", "estimate": {"value": None, "low": None, "high": None}})
    svg = charts.interval_plot(rows)
    xml.dom.minidom.parseString(svg)  # raises on markup that is not well formed
    assert svg.count("<circle") == 3
    assert "model &lt;1&gt; &amp; co" in svg


def test_a_reference_line_marks_zero_on_a_plot_of_differences():
    svg = charts.interval_plot([{"label": "score", "estimate": {"value": 0.02, "low": 0.01,
                                                                 "high": 0.03}}], reference=0.0)
    assert 'stroke-dasharray="4 3"' in svg
    assert ">0<" in svg  # the axis reaches 0 to show it


def test_reliability_diagram_draws_each_non_empty_bin():
    bins = [{"low": k / 10, "high": (k + 1) / 10, "count": count, "accuracy": accuracy,
             "mean_confidence": confidence}
            for k, (count, accuracy, confidence) in enumerate(
                [(0, None, None)] * 5 + [(10, 0.5, 0.55), (5, 0.8, 0.66), (0, None, None),
                 (2, 1.0, 0.85), (8, 0.875, 0.97)])]
    svg = charts.reliability_diagram(bins)
    xml.dom.minidom.parseString(svg)
    assert len(re.findall(r"<rect [^>]*fill-opacity", svg)) == 4
    assert "10 items, accuracy 0.500, mean confidence 0.550" in svg


def test_group_bars_draw_one_bar_per_group_and_series_and_say_when_one_has_no_data():
    svg = charts.group_bars([{"label": "women & girls", "values": [0.4, 0.6], "count": 1200},
                             {"label": "men", "values": [None, 0.5]}], ["rotten", "fresh"])
    xml.dom.minidom.parseString(svg)
    assert "women &amp; girls, rotten: 0.400" in svg and "(1,200)" in svg
    assert svg.count("<title>") == 3 and "no data" in svg
    assert ">rotten</text>" in svg and ">fresh</text>" in svg  # the legend


def test_grid_background_is_a_css_url_of_the_tick_lines():
    background = charts.grid_background((0.0, 1.0), width=108)
    assert background.startswith('url("data:image/svg+xml,<svg')
    assert background.count("<line") == 6
    assert "#" not in background  # escaped as %23 inside the data URL
