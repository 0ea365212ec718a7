"""Merging shards: the run folders of `harness run --shard K/N` gated as one run.

>>> outcome = merge_runs([Path("shard1"), Path("shard2")])  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from harness.errors import ConfigError
from harness.run.finish import RunOutcome, finish_run, new_run_id
from harness.run.folder import RunFolder, Shard
from harness.run.plan import load_plan
from harness.store import DEFAULT_DB


def merge_runs(
    folders: list[Path], *, out_dir: Path | None = None, db_path: Path | str = DEFAULT_DB
) -> RunOutcome:
    """Combine shard folders of one configuration into one run: gate it and report it.

    Refused, naming the difference, when the shards differ in scenario, model, prompt,
    disclosures, corpus, repeats or seed, when a shard is missing or repeated, or when the
    scenario file changed since the shards ran. A truncated chunk is named.
    """
    if not folders:
        raise ConfigError("harness merge needs at least one run folder")
    infos = [(f, RunFolder(f).info()) for f in folders]
    first_folder, first = infos[0]
    for folder, info in infos[1:]:
        for key, value in first["fingerprint"].items():
            if info["fingerprint"].get(key) != value:
                raise ConfigError(
                    f"cannot merge {folder} with {first_folder}: they differ in "
                    f"{key.replace('_', ' ')} ({info['fingerprint'].get(key)!r} vs {value!r})"
                )
    shards = [Shard.parse(i["shard"]) if i.get("shard") else None for _, i in infos]
    if any(s is None for s in shards) and len(folders) > 1:
        raise ConfigError("only shard runs (harness run --shard K/N) can be merged")
    counts = {s.count for s in shards if s is not None}
    if len(counts) > 1:
        raise ConfigError(f"the shards were split different ways: N = {sorted(counts)}")
    if counts:
        total = counts.pop()
        indices = sorted(s.index for s in shards if s is not None)
        if len(set(indices)) != len(indices):
            raise ConfigError(f"a shard is given twice: {indices}")
        missing = sorted(set(range(1, total + 1)) - set(indices))
        if missing:
            raise ConfigError(
                f"shard(s) {', '.join(f'{m}/{total}' for m in missing)} missing; merge needs "
                f"all {total} shards"
            )
    for folder, info in infos:
        if not info.get("finished_at"):
            raise ConfigError(f"{folder}: this shard did not finish; resume it first")
    # The shards' model: a --model override stays one (and the merged run no baseline).
    model = first["fingerprint"].get("model")
    plan = load_plan(first["scenario_path"], model=model, may_call=False)  # calls no model
    RunFolder(first_folder).check_matches(plan)
    started = min(datetime.fromisoformat(i["started_at"]) for _, i in infos)
    run_id = new_run_id(plan.scenario.name) + "-merged"
    out_dir = out_dir or Path("reports") / run_id
    return finish_run(
        plan,
        run_id=run_id,
        out_dir=out_dir,
        db_path=db_path,
        started_at=started,
        parts_dirs=[RunFolder(f).parts for f in folders],
    )
