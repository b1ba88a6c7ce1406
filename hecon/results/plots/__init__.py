"""Plotly figures built from the results of the computing modules; they never compute."""

from hecon.results.plots.cea import (
    ce_plane,
    ceac_plot,
    evpi_plot,
    evppi_plot,
    expected_loss_plot,
)
from hecon.results.plots.io import write_figure
from hecon.results.plots.sensitivity import gsa_bars, threshold_curve, tornado, two_way_maps

__all__ = ["ce_plane", "ceac_plot", "evpi_plot", "evppi_plot", "expected_loss_plot",
           "write_figure", "tornado", "two_way_maps", "threshold_curve", "gsa_bars"]
