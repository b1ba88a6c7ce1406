"""What is written and drawn from results: the safe atomic results folder and its manifest,
figures, the report, the workbook and console text. It never computes an analysis.
"""
