"""The repository's own pytest defaults (the harness plugin itself loads via its entry point).

``pytester`` runs the plugin end to end in tests; the browser tests find Debian's Chromium.
The docstring examples of ``harness/`` run as tests (``--doctest-modules``): an example
marked ``# doctest: +SKIP`` needs what a docstring cannot hold (a scenario on disk, a
server), so the examples after it in the same docstring, which build on it, are skipped too.
"""

from __future__ import annotations

import doctest

import pytest
from _pytest.doctest import DoctestItem

pytest_plugins = ["pytester"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, DoctestItem) and item.dtest is not None:
            skipping = False
            for example in item.dtest.examples:
                skipping = skipping or bool(example.options.get(doctest.SKIP))
                if skipping:
                    example.options[doctest.SKIP] = True
