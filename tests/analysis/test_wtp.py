"""The willingness-to-pay values every analysis shares."""

import ast
import inspect

from hecon.analysis import wtp


def test_the_thresholds_lie_on_the_curves_grid():
    assert list(wtp.REPORT_WTP) == sorted(wtp.REPORT_WTP) and wtp.REPORT_WTP[0] > 0
    assert wtp.DEFAULT_WTP in wtp.REPORT_WTP and wtp.REPORT_WTP[-1] <= wtp.WTP_MAX
    assert all(value % wtp.WTP_STEP == 0 for value in (*wtp.REPORT_WTP, wtp.WTP_MAX))


def test_the_module_imports_nothing():
    tree = ast.parse(inspect.getsource(wtp))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
