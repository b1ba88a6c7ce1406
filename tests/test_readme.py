"""The README's Python snippet runs as written and ends in an ICER table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_library_snippet_ends_in_an_icer_table():
    code = re.search(r"## The library\n\n```python\n(.*?)```", README.read_text(), re.S).group(1)
    module = ast.parse(code)
    *body, last = module.body
    namespace: dict = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), "README.md", "exec"), namespace)  # noqa: S102
    table = eval(compile(ast.Expression(last.value), "README.md", "eval"), namespace)  # noqa: S307
    assert {"strategy", "cost", "effect", "icer", "status"} <= set(table.columns)
    assert list(table["strategy"]) == ["placebo", "ifn_gamma"]
    assert namespace["decision"].summary.startswith("decision")
