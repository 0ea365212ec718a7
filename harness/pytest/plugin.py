"""The pytest plugin: ``pytest --harness-scenario scenarios/demo-candidate.yaml -n 2``.

Each case is one test item (``<scenario file>::<case id>``), so pytest's output and
``--junitxml`` name every failing case and disclosure. Under pytest-xdist each worker writes
its own Parquet part; only the controller merges the parts into DuckDB, computes the gate,
writes the report and sets the exit status: 0 when every criterion meets its threshold, 1
when one does not, 2 on bad input or configuration. A case that fails a disclosure is a
failed item, but the session's status follows the gate: a few failing cases within the
thresholds do not fail the check.

:mod:`harness.pytest.options` (the entry point) registers this module only when
``--harness-scenario`` is given; it defines the options, so this module adds none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.corpus.cases import Case
from harness.errors import ConfigError, ExitStatus, HarnessError
from harness.gate.policy import GateResult
from harness.outputs.console import inert, one_line, workflow_commands
from harness.outputs.github import publish_step_summary
from harness.outputs.table import gate_table
from harness.pytest.scheduling import (
    WORKER_KEY,
    WORKERS_KEY,
    CaseScheduling,
    number_worker,
)
from harness.pytest.sequential import attach_statuses, feed, stopped_by_the_gate
from harness.pytest.session import SessionState
from harness.run.case import CaseReplay
from harness.run.finish import finish_run, new_run_id, no_case_message
from harness.run.folder import RunFolder, Shard
from harness.run.plan import load_plan
from harness.run.sequential import SEQUENTIAL_STOP, SequentialWatch
from harness.store.database import RunStore

STATE = pytest.StashKey[SessionState]()


def pytest_configure(config: pytest.Config) -> None:
    scenario_path = config.getoption("harness_scenario")
    if not scenario_path:
        return
    try:
        plan = load_plan(Path(scenario_path))
        shard_option = config.getoption("harness_shard")
        shard = Shard.parse(shard_option) if shard_option else None
    except HarnessError as exc:
        pytest.exit(inert(f"harness: error: {exc}"), returncode=ExitStatus.USAGE)
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        run_id = workerinput["harness_run_id"]
        out_dir = Path(workerinput["harness_out"])
        process = str(workerinput["workerid"])  # a name for its part files, not parsed
        workers = int(workerinput[WORKERS_KEY])  # the controller numbered its workers
        worker_index = int(workerinput[WORKER_KEY])
    else:
        run_id = new_run_id(plan.scenario.name)
        out_option = config.getoption("harness_out")
        out_dir = Path(out_option) if out_option else Path("reports") / run_id
        process = "main"
        workers = 1
        worker_index = 0
    config.stash[STATE] = SessionState(
        plan=plan,
        run_id=run_id,
        out_dir=out_dir.resolve(),
        db_path=Path(config.getoption("harness_db")),
        process=process,
        is_controller=workerinput is None,
        workers=workers,
        worker_index=worker_index,
        shard=shard,
    )
    if workerinput is None:
        state = config.stash[STATE]
        try:
            RunFolder(state.out_dir).start(
                plan, run_id, shard, ways_on="write this run to another --out, or delete the folder"
            )
            with RunStore(state.db_path) as store:
                store.record_start(
                    run_id, plan.scenario.name, state.started_at.isoformat(), str(state.out_dir)
                )
        except HarnessError as exc:
            pytest.exit(inert(f"harness: error: {exc}"), returncode=ExitStatus.USAGE)
        if state.stop_flag is not None:
            state.stop_flag.clear()
            state.watch = SequentialWatch.for_plan(plan)
            config.pluginmanager.register(_SequentialHooks(state), "harness-sequential")
    # Collect the scenario instead of the test suite, unless paths were given explicitly.
    scenario_arg = str(Path(scenario_path))
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [scenario_arg]
    elif scenario_arg not in config.args:
        config.args.append(scenario_arg)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "harness-xdist")


class _XdistHooks:
    """Registered only when pytest-xdist is active: hands the run id to each worker."""

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        state = node.config.stash[STATE]
        node.workerinput["harness_run_id"] = state.run_id
        node.workerinput["harness_out"] = str(state.out_dir)
        number_worker(node.config, node.workerinput, state.numbered)
        state.numbered += 1

    @pytest.hookimpl
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        return CaseScheduling(config, log)

    @pytest.hookimpl
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", None) or {}
        node.config.stash[STATE].fatal_errors.extend(output.get("harness_fatal_errors", []))


class _SequentialHooks:
    """The controller's, under a sequential gate: each finished case goes to the watch."""

    def __init__(self, state: SessionState) -> None:
        self.state = state

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        watch, flag = self.state.watch, self.state.stop_flag
        if self.state.feeds_watch_itself:
            return  # the prefetcher feeds it (one process, -n 0)
        if watch is not None and flag is not None and not watch.decided and feed(watch, report):
            flag.raise_flag()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Each process starts replaying, in the background, the cases it will be asked to run."""
    state = session.config.stash.get(STATE, None)
    if state is None or (state.is_controller and state.workers > 1):
        return
    if session.config.option.collectonly:
        return
    mine = [
        (item.case, item.repeat)
        for item in session.items
        if isinstance(item, CaseItem) and state.owns(item.case.case_id)
    ]
    if mine:
        state.prefetch(mine)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash.get(STATE, None)
    if state is None or state.plan.scenario.source_path is None:
        return None
    if file_path.resolve() != state.plan.scenario.source_path.resolve():
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):
    """A scenario file collected as one test item per case (and repeat)."""

    def collect(self) -> Iterator[CaseItem]:
        state = self.config.stash[STATE]
        repeats = state.plan.scenario.repeats
        for case in state.plan.cases():
            if state.shard is not None and not state.shard.contains(case.case_id):
                continue
            for repeat in range(repeats):
                name = one_line(
                    case.case_id if repeats == 1 else f"{case.case_id}[repeat-{repeat}]"
                )
                yield CaseItem.from_parent(self, name=name, case=case, repeat=repeat)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, HarnessError):
            return inert(f"harness: error: {excinfo.value}")
        return str(super().repr_failure(excinfo))


class CaseFailed(Exception):
    """A replayed case failed one or more criteria; the message lists each with its reason."""


class CaseItem(pytest.Item):
    """One case (and repeat) of the scenario: replayed, scored, written to this process's part."""

    def __init__(self, *, case: Case, repeat: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.repeat = repeat
        self.replayed: CaseReplay | None = None

    def runtest(self) -> None:
        state = self.config.stash[STATE]
        try:
            self._check_assigned_here(state)
            replayed = state.replay(self.case, self.repeat)
        except HarnessError as exc:
            # A configuration error (e.g. a prompt variable this case lacks) stops the
            # session with status 2; results already written are kept.
            state.fatal_errors.append(str(exc))
            self.session.shouldstop = inert(f"harness: error: {exc}")
            raise
        self.replayed = replayed
        if stopped_by_the_gate(replayed):
            pytest.skip(SEQUENTIAL_STOP)  # not needed for the verdict: not a failure
        failures = replayed.failed_scores
        if failures:
            lines = []
            for score in failures:
                reason = score.error or str(score.evidence.get("reason", ""))
                lines.append(f"{score.criterion} {score.status}: {reason}")
            raise CaseFailed("\n".join(lines))

    def _check_assigned_here(self, state: SessionState) -> None:
        """Refuse a case the harness's scheduler would have sent to another worker.

        That worker replays it too (each worker prefetches its own share), so the gate
        would count the case twice. It happens only when another plugin's
        ``pytest_xdist_make_scheduler`` replaced :class:`CaseScheduling`.
        """
        if not state.owns(self.case.case_id):
            raise ConfigError(
                f"case {one_line(self.case.case_id)} was sent to worker {state.worker_index}"
                " but is assigned to another worker: another plugin's"
                " pytest_xdist_make_scheduler replaced the harness's scheduler, and the gate"
                " would count cases twice; remove that plugin's hook (or run with -n 0)"
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, CaseFailed | HarnessError):
            # pytest's short summary line (-rf) shows the first line: every failed
            # disclosure with its reason, so the line says what failed and why.
            reasons = str(excinfo.value).splitlines()
            each = reasons if len(reasons) > 1 else []
            case = f"case {one_line(self.case.case_id)}"
            return inert("\n".join(["; ".join(reasons), f"{case}:" if each else case, *each]))
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"case {one_line(self.case.case_id)}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if call.when == "call" and isinstance(item, CaseItem) and item.replayed is not None:
        attach_statuses(report, item.replayed)  # for the controller's sequential watch
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(STATE, None)
    if state is None:
        return
    state.close()
    workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["harness_fatal_errors"] = list(state.fatal_errors)
    if not state.is_controller:
        return
    if state.stop_flag is not None:
        state.stop_flag.clear()
    if state.fatal_errors:
        state.finish_error = state.fatal_errors[0]
        session.exitstatus = ExitStatus.USAGE
        return
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and not session.config.option.collectonly:
        state.finish_error = no_case_message(state.plan)
        session.exitstatus = ExitStatus.USAGE
        return
    if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return  # interrupted, usage or collection error: pytest's status stands
    if state.shard is not None:
        RunFolder(state.out_dir).finish()
        session.exitstatus = pytest.ExitCode.OK  # the shards are gated together at merge
        return
    try:
        state.outcome = finish_run(
            state.plan,
            run_id=state.run_id,
            out_dir=state.out_dir,
            db_path=state.db_path,
            started_at=state.started_at,
        )
    except HarnessError as exc:
        state.finish_error = str(exc)
        session.exitstatus = ExitStatus.USAGE
        return
    RunFolder(state.out_dir).finish()
    session.exitstatus = (
        pytest.ExitCode.OK if state.outcome.gate.passed else pytest.ExitCode.TESTS_FAILED
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None or not state.is_controller:
        return
    if state.finish_error:
        terminalreporter.write_sep("=", "harness: error", red=True)
        terminalreporter.write_line(inert(f"harness: error: {state.finish_error}"))
        return
    if state.shard is not None and state.outcome is None:
        terminalreporter.write_line(
            f"harness: shard {state.shard} of {state.plan.scenario.name} replayed into "
            f"{state.out_dir}; gate the shards together with `harness merge DIR...`"
        )
        return
    if state.outcome is None:
        return
    gate: GateResult = state.outcome.gate
    terminalreporter.write_sep("=", inert(f"replay gate: {state.plan.scenario.name}"), bold=True)
    terminalreporter.write_line(inert(gate_table(gate)))
    terminalreporter.write_line(inert(gate.headline()), red=not gate.passed, green=gate.passed)
    if gate.passed and terminalreporter.stats.get("failed"):
        terminalreporter.write_line(
            "Some cases failed a disclosure (listed above), but every pass rate is within its "
            "threshold, so the gate passes."
        )
    terminalreporter.write_line(f"report: {state.outcome.report_path}")
    surfaces = state.outcome.surfaces
    if surfaces is not None:
        terminalreporter.write_line(f"summary: {surfaces.summary}")
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:  # in GitHub Actions: the job summary and the annotations
            publish_step_summary(surfaces, Path(step_summary))
            annotations = surfaces.annotations.read_text(encoding="utf-8")
            for line in workflow_commands(annotations).splitlines():
                terminalreporter.write_line(line)
