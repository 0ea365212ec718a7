"""``harness run`` over several worker processes (:mod:`harness.run.workers.pool`): start them
from a forkserver, relay their progress, collect what they did.
"""

#: Below this many selected cases a second process costs more (its startup) than it saves.
MIN_CASES_PER_PROCESS = 1_000
