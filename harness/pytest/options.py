"""The pytest plugin's entry point: its command-line options, and nothing else until asked.

pytest loads this module in every process of every test suite where the harness is
installed, so it imports nothing but the standard library and pytest. Only when
``--harness-scenario`` is given does it load :mod:`harness.pytest.plugin` (the replay, the
gate, DuckDB) and register it; an unrelated suite pays for neither (docs/benchmarks.md).

Each option is ``--harness-`` followed by the name of the same option of ``harness run``
(``--harness-out`` is ``--out``, ``--harness-db`` is ``--db``), so none collides with a
project's own ``--out`` or ``--scenario``.
"""

from __future__ import annotations

import pytest

#: The run database's default (:data:`harness.store.DEFAULT_DB`; a test keeps them equal).
DEFAULT_DB = "reports/harness.duckdb"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "replay regression gate (replay-harness)")
    group.addoption(
        "--harness-scenario",
        dest="harness_scenario",
        metavar="PATH",
        help="replay this scenario file: one test per case, the session gated on pass rates "
        "(as `harness run PATH`)",
    )
    group.addoption(
        "--harness-out",
        dest="harness_out",
        metavar="DIR",
        help="where the run writes report.html, results.parquet, manifest.json "
        "(default: reports/<run-id>/; as `harness run --out`)",
    )
    group.addoption(
        "--harness-shard",
        dest="harness_shard",
        metavar="K/N",
        help="replay only shard K of N (stable by case id); gate the shards with "
        "`harness merge` (as `harness run --shard`)",
    )
    group.addoption(
        "--harness-db",
        dest="harness_db",
        metavar="PATH",
        default=DEFAULT_DB,
        help=f"the run database (default: {DEFAULT_DB}; as `harness run --db`)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("harness_scenario"):
        return
    from harness.pytest import plugin

    # pytest_configure is a historic hook: pytest calls the plugin's own right away.
    config.pluginmanager.register(plugin, "harness-replay")
