"""What a command imports: start-up time is part of every command's answer."""

import subprocess
import sys

#: modules ``hecon psa`` does not need, each ≈ 0.1–0.7 s to import: scipy.stats (the
#: distributions' quantiles use scipy.special), openpyxl (the workbook of ``hecon run``) and
#: plotly.express (no figure uses it)
NOT_FOR_PSA = ("scipy.stats", "openpyxl", "plotly.express")


def test_psa_imports_neither_scipy_stats_nor_the_workbook_nor_plotly_express(tmp_path):
    code = ("import sys\nfrom hecon.cli import main\n"
            f"sys.argv = ['hecon', 'psa', 'ifn_gamma', '--n', '50', '--evppi', 'none', '--out', {str(tmp_path / 'psa')!r},"
            " '--quiet']\n"
            "try:\n    main()\n"
            "except SystemExit as done:\n    assert not done.code, done.code\n"
            f"print(sorted(m for m in sys.modules if m.startswith({NOT_FOR_PSA!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "psa" / "psa.csv.gz").is_file()
    assert done.stdout.strip().splitlines()[-1] == "[]"
