"""Each analysis is a parameter matrix through the model plus a summary: base case, PSA,
scenarios, one-way, two-way and threshold analyses, global sensitivity, decision analytics
(ICERs, NMB, CEAC/CEAF), value of information, metamodels.

This layer imports only :mod:`hecon.model` (and :mod:`hecon.errors`).
"""
