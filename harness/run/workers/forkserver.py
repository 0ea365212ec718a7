"""The forkserver the replay's worker processes are forked from: started early, deaf to
Ctrl-C, and ended at once when the workers are done.

The server imports the harness and the SDK (:data:`PRELOAD`, plus the adapter's
``preload``) while the parent loads the plan, so a worker starts in milliseconds and
inherits no thread, lock or open file from the parent.

>>> start()  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import threading
from typing import Any

from harness.run.workers import ablation

#: The signals the forkserver and the workers ignore: the parent stops them.
DEAF_TO = (signal.SIGINT, signal.SIGTERM)

#: What the forkserver imports once, so that each worker it forks starts with them loaded;
#: the model adapter adds its SDK (``WorkerSpec.preload``). pandas: pyarrow imports it on its
#: first conversion of Python values (``pa.array``, ``Table.from_pylist``), which every
#: worker makes; imported here, its pages are shared by all workers, not loaded in each.
PRELOAD = ("harness.run.workers.pool", "harness.run.process", "harness.run.folder", "pandas")


def context(preload: tuple[str, ...] = ()) -> Any:
    """The forkserver context, set to import :data:`PRELOAD` and ``preload`` once (or, when a
    benchmark switches the forkserver off, :mod:`.ablation`'s plain ``spawn`` or ``fork``)."""
    method = ablation.start_method()
    found = multiprocessing.get_context(method)
    if method == "forkserver":
        found.set_forkserver_preload([*PRELOAD, *preload])
    return found


def start() -> None:
    """Start the forkserver (if it is not running) deaf to SIGINT and SIGTERM, and so every
    worker it forks, from its first instruction on.

    Ctrl-C signals the whole process group. The forkserver ignores SIGINT only once it has
    imported what it preloads (seconds on a busy machine), and a worker it forks only once
    it runs its worker main; a signal before either printed a traceback beside the
    command's one line. A signal ignored when a program starts stays ignored (Python does
    not install its own SIGINT handler then), so the forkserver is started with both
    ignored; in the meantime this process's own handlers are set aside, for the few
    milliseconds the spawn takes. The parent alone decides on a signal and tells each
    worker; the forkserver ends with the parent, or with :func:`stop`.
    """
    from multiprocessing import forkserver

    if ablation.start_method() != "forkserver":
        return  # a benchmark switched it off: the workers are spawned or forked directly
    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()  # only the main thread may change signal handlers
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in DEAF_TO}
    try:
        forkserver.ensure_running()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    atexit.unregister(_end)  # registered once, however many runs start it
    atexit.register(_end)


def _end() -> None:
    """At exit, end a forkserver still running: the command may stop (a signal, bad input)
    before any worker started, while the forkserver still imports what it preloads, and
    it would hold the command's output open until then, deaf to a cancelled job's SIGTERM."""
    from multiprocessing import forkserver

    # multiprocessing keeps the pid only as a private attribute of its forkserver
    pid = vars(forkserver._forkserver).get("_forkserver_pid")
    if isinstance(pid, int):
        stop(pid)


def stop(pid: int) -> None:
    """End the workers' forkserver now that every worker has been joined.

    Left alone, it would exit only with this process, and an ordinary Python exit first
    tears down every module it imported (the SDK, pandas): about 0.4 s during which it
    still holds the command's stdout and stderr, so whatever waits on the command's output
    (a CI step, ``subprocess.run``) waits that long too. It has nothing to flush, so SIGKILL
    (it ignores SIGTERM) ends it at once; the next run in this process starts a new one
    (multiprocessing notices the old one has gone).
    """
    try:
        alive = os.waitpid(pid, os.WNOHANG) == (0, 0)  # our child, still running
    except ChildProcessError:  # not our child: the worker's parent was not the forkserver
        return
    if alive:
        os.kill(pid, signal.SIGKILL)  # it ignores SIGTERM (:func:`start`)
