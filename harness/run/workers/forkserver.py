"""Imported by the worker processes' forkserver only, last of all it preloads.

**It freezes the garbage collector** (:func:`gc.freeze`): what the forkserver imported (the
harness, the SDK, pandas) moves to a permanent generation, so a worker's collections never
walk those objects. Walking them would cost each worker CPU on every full collection and
copy the pages they sit on, which the workers otherwise share with the forkserver.

**It makes the forkserver's exit immediate.** When ``harness run`` ends, the forkserver
sees its parent go and exits; an ordinary Python exit would first tear down every module it
imported, about 0.4 s during which it still holds the command's stdout and stderr, so
whatever waits on the command's output (a CI step, ``subprocess.run``) waits that long too.
It has nothing to flush or close, so it leaves at once. Workers are not affected: they are
forked children, which multiprocessing ends with ``os._exit`` already.
"""

from __future__ import annotations

import atexit
import gc
import os

gc.freeze()
# Exit handlers run last-registered first: this one, registered after every module the
# forkserver imported, runs before all of theirs and skips them.
atexit.register(os._exit, 0)
