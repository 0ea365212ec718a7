"""Statistics: pure functions over counts, no I/O, importing nothing else of the harness.

``binomial`` (Wilson intervals, exact binomial tails and McNemar, sample sizes),
``misclassification`` (a pass rate corrected for a scorer's measured error, Rogan–Gladen) and
``confidence_sequence`` (a corpus's pass rate from cases taken in random order, for stopping
early).
The gate, the scorers' calibration and the corpus tooling all count with them.
"""
