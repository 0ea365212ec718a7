"""The ``harness`` command: ``main`` (the one entry point and error handler) and a module per
command group (``run``, ``estimate``, ``demo``, ``corpus`` with ``labels``, ``calibrate``,
``history``).
"""
