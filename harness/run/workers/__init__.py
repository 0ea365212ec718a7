"""``harness run`` over several worker processes: ``pool`` (start, relay, collect) and
``forkserver`` (what the workers' forkserver preloads last).
"""

#: Below this many selected cases a second process costs more (its startup) than it saves.
MIN_CASES_PER_PROCESS = 1_000
