"""The gate: pass rates against thresholds, the statistics behind them, and drift.

``policy`` (``evaluate_gate``: point or lower-bound policy, inconclusive, errors as
failures, counting with :mod:`harness.stats`), ``drift`` (the run
against its baseline), ``baseline`` (which run is the baseline).
"""
