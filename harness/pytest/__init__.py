"""The pytest plugin: ``pytest --harness-scenario S`` runs one test item per case.

``plugin`` (options, collection, items, the gate at session end), ``prefetch`` (a
process's background replay of its cases), ``scheduling`` (the xdist scheduler).
"""
