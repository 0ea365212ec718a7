"""One `harness run` over several worker processes: same results, progress, errors, limits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness.corpus.selection import EveryNth
from harness.run.folder import RunFolder
from harness.run.workers.pool import WorkerSpec, auto_processes
from harness.testing import MessagesApiServer
from tests.world import World, build_world, make_case

KEY = "sk-ant-workers-test"


def _run(world: World, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(world.scenario), *args],
        cwd=world.root,
        env={**clean, **env},
        text=True,
        capture_output=True,
        timeout=120,
    )


def _rows(folder: Path) -> list[dict[str, object]]:
    table = pq.read_table(folder / "results.parquet").drop_columns(["run_id", "duration_ms"])
    return sorted(table.to_pylist(), key=lambda r: (r["case_id"], r["repeat"], r["criterion"]))


@pytest.fixture
def many(tmp_path: Path) -> World:
    cases = [
        make_case(f"case-{i:03d}", ["We are a credit broker", "ok"], distinct=True)
        for i in range(90)
    ]
    world = build_world(tmp_path / "w", cases=cases)
    world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "off"},
        concurrency=6,
        repeats=2,
        repeat_policy="mean",
    )
    return world


def test_three_processes_give_the_rows_of_one_and_call_each_request_once(many: World) -> None:
    with MessagesApiServer(api_key=KEY, latency_s=0.01) as server:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
        one = _run(many, env, "--out", "one", "--db", "h.db", "--processes", "1")
        assert one.returncode in (0, 1), one.stderr
        single_calls = server.stats().requests
        three = _run(many, env, "--out", "three", "--db", "h.db", "--processes", "3")
        assert three.returncode == one.returncode, three.stderr
        stats = server.stats()
    assert single_calls == 90 * 2 * 2  # cases x repeats x agent turns
    assert stats.requests == 2 * single_calls
    assert _rows(many.root / "three") == _rows(many.root / "one")
    # The workers wrote their own parts, each case (and repeat) in exactly one worker's; the
    # progress line counted every case of every worker.
    parts = sorted((many.root / "three/parts").glob("*-results-*"))
    owners: dict[tuple[str, int], set[str]] = {}
    for part in parts:
        writer = part.name.split("-results-")[0]
        for row in pq.read_table(part, columns=["case_id", "repeat"]).to_pylist():
            owners.setdefault((row["case_id"], row["repeat"]), set()).add(writer)
    assert len(owners) == 180
    assert all(len(writers) == 1 for writers in owners.values())
    assert 1 < len(set().union(*owners.values())) <= 3
    assert "replayed 180 of 180 cases" in three.stderr
    assert RunFolder(many.root / "three").info()["finished_at"] is not None


def test_a_rejected_key_in_a_worker_stops_every_worker_with_one_error(many: World) -> None:
    with MessagesApiServer(api_key=KEY) as server:
        env = {"ANTHROPIC_API_KEY": "sk-wrong", "ANTHROPIC_BASE_URL": server.base_url}
        done = _run(many, env, "--out", "bad", "--db", "h.db", "--processes", "2")
        calls = server.stats().requests
    assert done.returncode == 2
    assert done.stderr.count("harness: error:") == 1
    assert "401" in done.stderr and "auth" in done.stderr.lower()
    assert "Traceback" not in done.stderr
    assert calls <= 6  # at most the calls already in flight when the first 401 came back


def test_processes_must_be_auto_or_a_positive_number(many: World) -> None:
    done = _run(many, {}, "--processes", "zero")
    assert done.returncode == 2
    assert "--processes must be 'auto' or a whole number" in done.stderr


def test_auto_uses_a_process_per_core_only_when_there_is_work_for_it() -> None:
    assert auto_processes(640, 8, cpus=2) == 1  # the demo: a second process would cost more
    assert auto_processes(10_000, 64, cpus=2) == 2
    assert auto_processes(4_000, 64, cpus=16) == 4  # one per 1,000 cases
    assert auto_processes(1_000_000, 3, cpus=16) == 3  # never more processes than calls
    assert auto_processes(10_000, 64, cpus=1) == 1


def test_concurrency_and_cases_split_evenly() -> None:
    spec = WorkerSpec(count=3, scenario_path="s.yaml", model=None, concurrency=64)
    assert [spec.share(i) for i in range(3)] == [22, 21, 21]
    assert sum(spec.share(i) for i in range(3)) == 64
    items = list(range(10))
    parts = [[x for x in items if EveryNth(i, 3).takes(x)] for i in range(3)]  # by position
    assert parts == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert sorted(x for part in parts for x in part) == items


def test_workers_preload_only_the_sdk_of_the_model_they_will_call(many: World) -> None:
    from harness.cli.run import _adapter_preload
    from harness.config.scenario import Scenario
    from harness.plugins.registry import build_registries

    registries = build_registries()
    offline = Scenario.load(many.write_scenario(model={"provider": "offline", "id": "ref"}))
    assert _adapter_preload(registries, offline, None) == ()  # nothing to import ahead
    chosen = _adapter_preload(registries, offline, "anthropic:claude-sonnet-4-6")
    assert chosen == ("anthropic", "aiohttp", "harness.models.tls")  # --model decides
    unknown = Scenario.load(many.write_scenario(model={"provider": "nope", "id": "x"}))
    assert _adapter_preload(registries, unknown, None) == ()  # load_plan reports it


def test_the_forkserver_is_gone_when_the_replay_returns(many: World) -> None:
    """Stopped by the parent once its workers are joined, so it does not tear down the SDK
    while holding the command's output; it preloads the adapter's own modules."""
    from multiprocessing import forkserver

    from harness.run.finish import run_scenario
    from harness.run.plan import load_plan

    preloaded: list[str] = []
    with MessagesApiServer(api_key=KEY) as server:
        os.environ.update(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=server.base_url)
        try:
            plan = load_plan(many.scenario)
            spec = WorkerSpec(
                count=2,
                scenario_path=str(many.scenario),
                model=None,
                concurrency=4,
                preload=("harness.models.tls",),
            )
            outcome = run_scenario(
                plan, out_dir=many.root / "o", db_path=many.root / "h.db", processes=spec
            )
            # multiprocessing keeps both only as private attributes of its forkserver
            preloaded = list(vars(forkserver._forkserver)["_preload_modules"])
            pid = vars(forkserver._forkserver)["_forkserver_pid"]
        finally:
            for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
                os.environ.pop(name, None)
    assert outcome is not None and outcome.cases == 90
    assert preloaded[-1] == "harness.models.tls"  # the adapter's, after the harness's own
    assert pid is not None
    assert os.waitpid(pid, os.WNOHANG)[0] == pid  # it had ended: reaped here, not running


def test_a_cache_miss_in_a_worker_exits_2_with_one_message_and_no_traceback(
    many: World,
) -> None:
    """A worker's CacheMiss reaches the parent as a CacheMiss, not a RuntimeError (exit 1)."""
    many.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "read-write", "dir": "cache"},
        concurrency=6,
    )
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    done = _run(many, env, "--processes", "2", "--cache", "require", "--db", "h.db")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("harness: error:") == 1, done.stderr
    assert "no cached answer" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_error_pickles_with_every_field_as_a_worker_sends_it() -> None:
    from harness.errors import ProviderError, RunStopped
    from harness.run.workers.pool import _describe_error, _rebuild_error

    error = ProviderError("429 slow down", kind="rate_limited", retryable=True, retry_after=2.5)
    rebuilt = _rebuild_error(*_describe_error(error))
    assert type(rebuilt) is ProviderError
    assert (str(rebuilt), rebuilt.kind, rebuilt.retryable, rebuilt.retry_after) == (
        "429 slow down",
        "rate_limited",
        True,
        2.5,
    )
    stopped = _rebuild_error(*_describe_error(RunStopped("budget spent", fatal=False)))
    assert isinstance(stopped, RunStopped)
    assert (str(stopped), stopped.fatal) == ("budget spent", False)


def test_an_error_that_does_not_pickle_arrives_as_a_runtime_error_with_its_trace() -> None:
    from harness.run.workers.pool import _describe_error, _rebuild_error

    class Local(Exception):  # a class defined in a function cannot be pickled
        pass

    try:
        raise Local("from an outside library")
    except Local as exc:
        rebuilt = _rebuild_error(*_describe_error(exc))
    assert type(rebuilt) is RuntimeError
    assert "failed with Local: from an outside library" in str(rebuilt)
    assert "Traceback" in str(rebuilt)


def _call_after_the_parent_is_gone(reader: object, writer: object) -> None:
    """In a child: the parent's end of the lifeline closes, then a call is attempted."""
    import asyncio

    from harness.config.calls import CallPolicy
    from harness.corpus.cases import Case, Turn
    from harness.models.base import CompletionRequest, Message
    from harness.models.offline import OfflineModel
    from harness.replay.calls import CallRunner
    from harness.run.workers.pool import _parent_check

    writer.close()  # type: ignore[attr-defined]  # this child's copy; the test closes its own
    reader.poll(30)  # type: ignore[attr-defined]  # until the test has closed it: the end
    runner = CallRunner(OfflineModel("broker-v1"), CallPolicy(), concurrency=1)
    runner.before_call = _parent_check(reader)
    case = Case(case_id="c", source="t", turns=(Turn(role="customer", text="hi"),))
    request = CompletionRequest("system", (Message("user", "hi"),), 1, case, 1)
    asyncio.run(runner.complete(request, log=[], case_id="c", repeat=0))
    os._exit(0)  # the call was made: the check did not stop it


def test_a_worker_starts_no_call_once_its_parent_is_gone() -> None:
    """The check before each request sees the lifeline's end at once; the watching thread
    needs the GIL to act, which a busy event loop can hold for a tenth of a second."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_call_after_the_parent_is_gone, args=(reader, writer))
    child.start()
    writer.close()  # with the child's copy closed too, the lifeline has ended
    child.join(timeout=30)
    assert child.exitcode == 3


def test_a_signal_while_the_workers_start_stops_them_all_and_prints_no_traceback(
    many: World,
) -> None:
    """The first worker's start waits for the forkserver's imports; a signal then (here sent
    by a module the forkserver preloads, so it lands exactly there) stops the run cleanly.

    It used to raise out of the start: a worker left half started read its arguments once
    the parent had dropped their semaphores, and printed a FileNotFoundError traceback.
    """
    # In the run's folder: the forkserver imports from its working directory.
    (many.root / "signal_the_parent.py").write_text(
        "import os, signal\nos.kill(os.getppid(), signal.SIGINT)\n", encoding="utf-8"
    )
    many.write_scenario(model={"provider": "offline", "id": "reference"}, concurrency=4)
    code = (
        "import multiprocessing, sys, time\n"
        "from pathlib import Path\n"
        "from harness.cli.interrupts import stop_on_signals\n"
        "from harness.errors import RunInterrupted\n"
        "from harness.run.finish import run_scenario\n"
        "from harness.run.interrupt import Interruption\n"
        "from harness.run.plan import load_plan\n"
        "from harness.run.workers.pool import WorkerSpec\n"
        f"plan = load_plan({str(many.scenario)!r})\n"
        f"spec = WorkerSpec(count=2, scenario_path={str(many.scenario)!r}, model=None,\n"
        "                  concurrency=4, preload=('signal_the_parent',))\n"
        "interruption = Interruption()\n"
        "with stop_on_signals(interruption):\n"
        "    try:\n"
        "        run_scenario(plan, out_dir=Path('o'), db_path='h.db', processes=spec,\n"
        "                     interruption=interruption)\n"
        "    except RunInterrupted as stop:\n"
        "        print('interrupted', stop.signum, len(multiprocessing.active_children()))\n"
        "time.sleep(1)  # time for a half-started worker to fail, as it did\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=many.root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "interrupted 2 0\n"  # SIGINT, and no worker left running
    assert "Traceback" not in done.stderr, done.stderr


def test_an_unknown_start_method_is_named_with_the_allowed_ones_and_exits_2(many: World) -> None:
    env = {"HARNESS_BENCH_START_METHOD": "forkk", "ANTHROPIC_API_KEY": KEY}
    done = _run(many, env, "--out", "o", "--db", "h.db", "--processes", "2")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "harness: error: environment variable HARNESS_BENCH_START_METHOD is 'forkk'; expected "
        "one of 'forkserver', 'spawn', 'fork', or unset for the forkserver (did you mean "
        "'fork'?)\n"
    )
    assert not (many.root / "o").exists()  # refused before any case ran


@pytest.mark.parametrize(
    "switch",
    [
        {"HARNESS_BENCH_START_METHOD": "spawn"},
        {"HARNESS_BENCH_START_METHOD": "fork"},
        {"HARNESS_BENCH_NO_GC_FREEZE": "1"},
    ],
    ids=["spawn", "fork", "no-gc-freeze"],
)
def test_a_benchmark_switch_off_gives_the_rows_and_verdict_of_the_default(
    many: World, switch: dict[str, str]
) -> None:
    with MessagesApiServer(api_key=KEY, latency_s=0.01) as server:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
        default = _run(many, env, "--out", "on", "--db", "h.db", "--processes", "2")
        assert default.returncode in (0, 1), default.stderr
        off = _run(many, {**env, **switch}, "--out", "off", "--db", "h.db", "--processes", "2")
    assert off.returncode == default.returncode, off.stderr
    assert _rows(many.root / "off") == _rows(many.root / "on")
    assert "replayed 180 of 180 cases" in off.stderr
