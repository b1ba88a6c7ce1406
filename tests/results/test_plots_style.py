"""What every figure shares (hecon.results.plots.style): labels for code names, wrapped axis
titles, units in titles, money in hover text, and the common look."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.results.plots.style import (
    PROBABILITY,
    TEMPLATE,
    THOUSANDS,
    amount,
    finish,
    house_template,
    label,
    labelled,
    money,
    named_rows,
    wrapped,
    wtp_title,
)

LABELS = {"drug_a": "Drug A", "standard_care": "Standard care"}


def test_a_code_name_is_shown_by_its_label_or_as_written():
    assert label("drug_a", LABELS) == "Drug A"
    assert label("drug_b", LABELS) == "drug_b"  # not every name needs a label
    assert label("drug_a") == label("drug_a", {}) == "drug_a"
    assert label(3, {3: "three"}) == "three" and label(3) == "3"


def test_labelled_keeps_the_order_of_the_names():
    assert labelled(["standard_care", "drug_b", "drug_a"], LABELS) == ["Standard care", "drug_b", "Drug A"]
    assert labelled([]) == []


def test_a_long_title_is_wrapped_on_lines_of_the_width():
    title = "Probability that the strategy is the most cost-effective at the threshold"
    lines = wrapped(title, width=30).split("<br>")
    assert len(lines) == 3 and all(len(line) <= 30 for line in lines)
    assert " ".join(lines) == title
    assert wrapped("Cost (€)") == "Cost (€)" and wrapped("") == ""


@given(st.lists(st.text(st.characters(categories=("L", "N")), min_size=1, max_size=20), min_size=1, max_size=12),
       st.integers(20, 60))
def test_wrapping_keeps_every_word_in_order(words, width):
    title = " ".join(words)
    lines = wrapped(title, width).split("<br>")
    assert " ".join(lines) == title
    assert all(len(line) <= width for line in lines)


def test_the_wtp_title_names_the_currency_per_unit_of_effect():
    assert wtp_title() == "Willingness to pay (€ per QALY)"
    assert wtp_title("£", "life year") == "Willingness to pay (£ per life year)"


def test_money_is_a_hover_field_in_whole_currency_units_with_separators():
    assert money("y") == "€%{y:,.0f}"
    assert money("customdata[0]", "$") == "$%{customdata[0]:,.0f}"


def test_finish_gives_the_shared_look_and_the_axis_formats():
    figure = finish(go.Figure(go.Scatter(x=[0, 1], y=[0.2, 0.8], name="Drug A")), "CEAC",
                    wtp_title(), "Probability cost-effective", x_format=THOUSANDS, y_format=PROBABILITY)
    layout = figure.layout
    assert layout.title.text == "CEAC" and layout.legend.title.text == ""
    assert layout.template == go.Figure(layout={"template": TEMPLATE}).layout.template
    assert layout.xaxis.title.text == "Willingness to pay (€ per QALY)" and layout.xaxis.tickformat == ","
    assert layout.yaxis.title.text == "Probability cost-effective" and layout.yaxis.tickformat == ".0%"


def test_finish_without_formats_leaves_plotly_s_ticks():
    figure = finish(go.Figure(), "Tornado", "Incremental cost (€)", "Parameter")
    assert figure.layout.xaxis.tickformat is None and figure.layout.yaxis.tickformat is None



def test_a_label_cut_after_its_lines_ends_in_an_ellipsis():
    text = "Probability of infection per year in the placebo arm after the first year"
    shown = wrapped(text, width=20, lines=2).split("<br>")
    assert len(shown) == 2 and shown[-1].endswith(" …") and all(len(line) <= 20 for line in shown)
    assert wrapped("Short label", width=20, lines=2) == "Short label"


def test_a_word_longer_than_the_width_is_never_split():
    # an escaped character cut in two would show as text: "&l" "t;"
    assert wrapped("&lt;price_of_the_interferon_vial&gt; in 2024", width=10) == (
        "&lt;price_of_the_interferon_vial&gt;<br>in 2024")


@pytest.mark.parametrize(("value", "currency", "text"), [
    (12_345.4, "€", "€12,345"), (-187.0, "€", "€−187"), (0.0, "€", "€0"), (1_234_567.89, "$", "$1,234,568"),
    (0.44771, None, "0.4477"), (-0.44771, None, "−0.4477"), (12_345.6, None, "12,346"), (999.94, None, "999.9"),
])
def test_an_amount_reads_as_its_tick_would(value, currency, text):
    assert amount(value, currency) == text


def test_named_rows_name_each_position_even_when_two_labels_are_equal():
    figure = named_rows(go.Figure(go.Bar(x=[3, 1, 2], y=[0, 1, 2], orientation="h")), ["Price", "Price", "Rate"])
    axis = figure.layout.yaxis
    assert list(axis.tickvals) == [0, 1, 2] and list(axis.ticktext) == ["Price", "Price", "Rate"]
    assert figure.layout.xaxis.tickvals is None
    assert list(named_rows(go.Figure(), ["a"], axis="x").layout.xaxis.ticktext) == ["a"]


def test_the_house_template_gives_the_figure_finish_gives_and_restores_plotly_default():
    def drawn():
        return finish(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])), "T", "x", "y").to_plotly_json()

    before = pio.templates.default
    assert before != TEMPLATE  # plotly's own default: finish sets the template itself
    alone = drawn()
    with house_template():
        assert pio.templates.default == TEMPLATE
        within = drawn()
    assert pio.templates.default == before
    assert within == alone and within["layout"]["template"] == pio.templates[TEMPLATE].to_plotly_json()
    with house_template():
        with house_template():
            assert drawn() == alone
        assert pio.templates.default == TEMPLATE  # the inner block leaves the outer one's default
    assert pio.templates.default == before
