"""A page that holds its figures, compressed (hecon.results.page)."""

import base64
import gzip
import json
import re

import plotly.graph_objects as go
from hypothesis import given
from hypothesis import strategies as st

from hecon.results.page import LOADER, compressed, figure_json, figure_place, figure_scripts


def decompressed(text: str) -> bytes:
    return gzip.decompress(base64.b85decode(text.replace(".", "<")))


@given(st.binary(max_size=2000))
def test_compressed_text_holds_no_markup_and_reads_back(data):
    text = compressed(data)
    assert "<" not in text and "/" not in text and decompressed(text) == data


def test_the_page_decodes_with_the_alphabet_python_encodes_with():
    digits = re.search(r'const DIGITS = "([^"]+)"', LOADER).group(1)
    assert len(digits) == len(set(digits)) == 85
    for value, digit in enumerate(digits):  # RFC 1924 order, "<" written as "."
        assert int.from_bytes(base64.b85decode("0000" + digit.replace(".", "<"))) == value


def test_figure_json_keeps_six_significant_digits():
    figure = go.Figure(go.Scatter(x=[1.0, 2.0], y=[3.0, 4.0]), layout={"xaxis": {"range": [0.123456789, 98765.4321]}})
    assert figure_json(figure)["layout"]["xaxis"]["range"] == [0.123457, 98765.4]


def test_figure_scripts_embed_each_placed_figure_once():
    figures = {"ceac": go.Figure(go.Scatter(x=[0, 1], y=[0.5, 0.25], name="IFN-γ 1b"))}
    scripts = figure_scripts(figures)
    payload = re.search(r"id='figures'>([^<]*)</script>", scripts).group(1)
    embedded = json.loads(decompressed(payload))
    assert list(embedded) == ["ceac"] and embedded["ceac"]["data"][0]["name"] == "IFN-γ 1b"
    assert figure_place("ceac") == '<div class="plotly-graph-div" id="figure-ceac"></div>'
    assert scripts.count("<script") == 3 and "src=" not in scripts
