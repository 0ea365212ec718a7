"""Which cases a process replays, decided before rows are parsed when it can be."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.corpus.cases import CASE_SCHEMA, Case
from harness.corpus.files import iter_cases, write_cases
from harness.corpus.selection import CaseSelection, ClaimedBlocks, EveryNth
from harness.errors import CorpusError
from harness.run.folder import Shard
from harness.run.plan import load_plan
from tests.world import build_world, make_case


def _cases(count: int) -> list[Case]:
    return [
        make_case(f"c-{i:03d}", ["hi"], channel="phone" if i % 3 == 0 else "online")
        for i in range(count)
    ]


@pytest.mark.parametrize("tags", [{}, {"channel": "online"}], ids=["by-id", "by-tags"])
@pytest.mark.parametrize("limit", [None, 31])
@pytest.mark.parametrize("shard", [None, "2/3"])
def test_the_shares_of_n_processes_partition_the_selection_in_its_order(
    tmp_path: Path, tags: dict[str, str], limit: int | None, shard: str | None
) -> None:
    world = build_world(tmp_path / "w", cases=_cases(90))
    corpus = {"paths": ["../corpus"], "tags": tags, "limit": limit}
    plan = load_plan(world.write_scenario(corpus=corpus))
    in_shard = Shard.parse(shard).contains if shard else None
    # What one process selects (the old path: parse every row, then filter).
    expected = [c.case_id for c in plan.cases(in_shard=in_shard)]

    shares = [
        [c.case_id for c in plan.cases(in_shard=in_shard, share=EveryNth(index, 3))]
        for index in range(3)
    ]

    assert shares == [expected[i::3] for i in range(3)]
    assert sorted(i for ids in shares for i in ids) == sorted(expected)
    everything = _cases(90)
    wanted = [c for c in everything if all(c.tags.get(k) == v for k, v in tags.items())]
    wanted = wanted[:limit] if limit is not None else wanted
    wanted = [c for c in wanted if in_shard is None or in_shard(c.case_id)]
    assert expected == [c.case_id for c in wanted]


def test_a_bad_row_is_named_by_the_process_that_reads_it_only(tmp_path: Path) -> None:
    rows = [c.to_row() for c in _cases(6)]
    rows[3]["facts"] = "{not json"
    path = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=CASE_SCHEMA), path)

    def share(index: int) -> list[str]:
        keep = CaseSelection(share=EveryNth(index, 2)).row_filter()
        return [c.case_id for c in iter_cases([path], keep=keep)]

    assert share(0) == ["c-000", "c-002", "c-004"]  # row 3 is not its to parse
    with pytest.raises(CorpusError, match=r"c.parquet row 3: column 'facts' is not a JSON"):
        share(1)


def test_a_repeated_id_is_found_whichever_process_reads_the_rows(tmp_path: Path) -> None:
    cases = _cases(5)
    path = tmp_path / "c.parquet"
    write_cases(path, [*cases, cases[0].model_copy(update={"turns": cases[0].turns})])

    for index in range(2):
        keep = CaseSelection(share=EveryNth(index, 2)).row_filter()
        with pytest.raises(CorpusError, match=r"row 5: duplicate case_id 'c-000'"):
            list(iter_cases([path], keep=keep, batch_size=2))


def test_rows_past_the_limit_are_not_read(tmp_path: Path) -> None:
    rows = [c.to_row() for c in _cases(5)]
    rows[4]["facts"] = "{not json"  # would fail if it were parsed
    path = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=CASE_SCHEMA), path)

    keep = CaseSelection(limit=4).row_filter()

    assert [c.case_id for c in iter_cases([path], keep=keep, batch_size=2)] == [
        "c-000",
        "c-001",
        "c-002",
        "c-003",
    ]


@pytest.mark.parametrize("tags", [{}, {"channel": "online"}], ids=["by-id", "by-tags"])
def test_claimed_blocks_go_to_whichever_process_reads_on_and_each_to_one_only(
    tmp_path: Path, tags: dict[str, str]
) -> None:
    world = build_world(tmp_path / "w", cases=_cases(90))
    plan = load_plan(world.write_scenario(corpus={"paths": ["../corpus"], "tags": tags}))
    expected = [c.case_id for c in plan.cases()]
    counter = iter(range(1_000))  # the run's shared counter (a multiprocessing Value)
    fast, slow = (plan.cases(share=ClaimedBlocks(lambda: next(counter), size=4)) for _ in range(2))

    taken_fast = [next(fast).case_id for _ in range(10)]  # the fast one starts first
    taken_slow: list[str] = []
    for case in slow:  # then both go on, the fast one two cases to each of the other's
        taken_slow.append(case.case_id)
        taken_fast.extend(c.case_id for c in islice(fast, 2))
    taken_fast.extend(c.case_id for c in fast)

    assert taken_fast[:10] == expected[:10]  # blocks 0, 1 and 2, in order
    assert sorted(taken_fast + taken_slow) == sorted(expected)  # every case once
    assert len(taken_fast) > 1.5 * len(taken_slow)  # the faster reader took more blocks
    for taken in (taken_fast, taken_slow):
        assert taken == sorted(taken, key=expected.index)  # each in corpus order
