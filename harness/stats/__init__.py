"""Statistics: pure functions over counts, no I/O, importing nothing else of the harness.

``binomial`` (Wilson intervals, exact binomial tails and McNemar, sample sizes) and
``misclassification`` (a pass rate corrected for a scorer's measured error, Rogan–Gladen).
The gate, the scorers' calibration and the corpus tooling all count with them.
"""
