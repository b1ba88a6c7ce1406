"""The willingness-to-pay values every analysis, table and figure shares, in one place.

No imports: the command line reads these defaults without loading numpy or pandas.
"""

#: The currency of costs and willingness to pay.
CURRENCY = "€"
#: Report thresholds in € per QALY, the one set every analysis, table and figure uses: France
#: has no official threshold (CEESP doctrine 2021); these bracket the values discussed for
#: France and the NICE range (see docs/cea.md).
REPORT_WTP = (20_000.0, 50_000.0, 100_000.0)
#: The willingness to pay of a single-threshold analysis (one-way, two-way, GSA on the NMB).
DEFAULT_WTP = 50_000.0
#: The curves' willingness-to-pay grid (CEAC, CEAF, EVPI, threshold curve): 0 … WTP_MAX.
WTP_MAX = 200_000.0
WTP_STEP = 1_000.0
