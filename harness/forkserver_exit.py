"""Imported by the worker processes' forkserver only: it makes the forkserver's exit immediate.

The forkserver holds the harness and the SDK in memory, only to fork workers from. When
``harness run`` ends, the forkserver sees its parent go and exits, and an ordinary Python
exit would first tear down every module it imported: about 0.4 s, during which it still
holds the command's stdout and stderr, so whatever waits on the command's output (a CI step,
``subprocess.run``) waits that long too. It has nothing to flush or close, so it leaves at
once. Workers are not affected: they are forked children, which multiprocessing ends with
``os._exit`` already.
"""

from __future__ import annotations

import atexit
import os

# Exit handlers run last-registered first: this one runs before any other and skips them.
atexit.register(os._exit, 0)
