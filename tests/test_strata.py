"""The stratified replay order: each stratum's own random order, interleaved by size."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from harness.corpus.cases import Case, FactValue, Turn
from harness.corpus.order import replay_order
from harness.corpus.strata import interleave, stratified_order, stratum_labels
from harness.errors import ConfigError


@pytest.mark.parametrize("sizes", [[1], [5, 5], [318, 222, 100], [97, 3], [7, 1, 1, 1, 30, 12]])
def test_every_prefix_holds_each_stratum_in_its_share(sizes: list[int]) -> None:
    places = interleave(sizes)
    total = sum(sizes)
    assert sorted(places) == [s for s, n in enumerate(sizes) for _ in range(n)]
    counts = [0] * len(sizes)
    for n, s in enumerate(places, start=1):
        counts[s] += 1
        for t, size in enumerate(sizes):
            # the bound interleave() states: half a case, plus S/2 of the stratum's weight
            assert abs(counts[t] - n * size / total) <= 0.5 + len(sizes) / 2 * size / total


def test_random_sizes_keep_the_bound() -> None:
    rng = random.Random(4)
    for _ in range(200):
        sizes = [rng.randint(1, 80) for _ in range(rng.randint(1, 7))]
        total, counts = sum(sizes), [0] * len(sizes)
        for n, s in enumerate(interleave(sizes), start=1):
            counts[s] += 1
            assert abs(counts[s] - n * sizes[s] / total) <= 0.5 + len(sizes) / 2


def _corpus() -> tuple[list[str], list[str]]:
    ids = [f"case-{i:03d}" for i in range(60)]
    labels = ["phone" if i % 5 == 0 else "online" if i % 3 == 0 else "in_home" for i in range(60)]
    return ids, labels


def test_within_a_stratum_the_order_is_the_seeded_random_order_of_its_cases() -> None:
    ids, labels = _corpus()
    order = stratified_order(ids, labels, seed=7, field="channel")
    assert order.names == ("in_home", "online", "phone")
    assert order.sizes == (32, 16, 12)
    for s, name in enumerate(order.names):
        mine = [ids[i] for i in range(60) if labels[i] == name]
        expected = [mine[i] for i in replay_order(mine, seed=7)]
        assert [c for c, t in zip(order.case_ids, order.strata, strict=True) if t == s] == expected
    assert [ids[i] for i in order.positions] == list(order.case_ids)
    assert order.labels()["case-005"] == "phone"


def test_the_order_does_not_depend_on_the_corpus_order_but_does_on_the_seed() -> None:
    ids, labels = _corpus()
    first = stratified_order(ids, labels, seed=7)
    shuffled = list(zip(ids, labels, strict=True))
    random.Random(1).shuffle(shuffled)
    again = stratified_order([i for i, _ in shuffled], [t for _, t in shuffled], seed=7)
    assert again.case_ids == first.case_ids and again.strata == first.strata
    other = stratified_order(ids, labels, seed=8)
    assert other.case_ids != first.case_ids and other.strata == first.strata


def test_every_process_computes_the_same_order() -> None:
    ids, labels = _corpus()
    here = list(stratified_order(ids, labels, seed=7).case_ids)
    script = (
        "import json, sys\n"
        "from harness.corpus.strata import stratified_order\n"
        "ids, labels = json.load(sys.stdin)\n"
        "print(json.dumps(list(stratified_order(ids, labels, seed=7).case_ids)))\n"
    )
    for hash_seed in ("0", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps([ids, labels]),
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert json.loads(done.stdout) == here


def _case(case_id: str, tags: dict[str, str], facts: dict[str, FactValue]) -> Case:
    return Case(
        case_id=case_id,
        source="tests",
        tags=tags,
        facts=facts,
        turns=(Turn(role="customer", text="hello"),),
    )


def test_a_tag_names_the_stratum_and_a_fact_does_when_no_case_has_that_tag() -> None:
    cases = [
        _case("a", {"channel": "phone"}, {"term_months": 60, "lender": "Acme"}),
        _case("b", {"channel": "online"}, {"term_months": 120.0, "lender": "Acme"}),
    ]
    assert stratum_labels(cases, "channel", source="s.yaml") == ["phone", "online"]
    assert stratum_labels(cases, "term_months", source="s.yaml") == ["60", "120.0"]
    assert stratum_labels(cases, "lender", source="s.yaml") == ["Acme", "Acme"]
    assert stratum_labels([], "channel", source="s.yaml") == []


@pytest.mark.parametrize(
    ("field", "cases", "message"),
    [
        (
            "chanel",
            [_case("a", {"channel": "phone"}, {"apr": 9.9})],
            "s.yaml: gate.sequential.stratify_by: no selected case has a tag or fact 'chanel' "
            "(did you mean 'channel'?); tags: channel; facts: apr",
        ),
        (
            "channel",
            [_case("a", {"channel": "phone"}, {}), _case("b", {}, {})],
            "s.yaml: gate.sequential.stratify_by: case 'b' has no tag 'channel'; every selected "
            "case needs one to be placed in a stratum (give it the tag, or filter it out with "
            "corpus.tags)",
        ),
        (
            "lender",
            [_case("a", {}, {"lender": "Acme"}), _case("b", {}, {"lender": None})],
            "s.yaml: gate.sequential.stratify_by: case 'b' has no fact 'lender'; every selected "
            "case needs one to be placed in a stratum (give it the fact, or filter it out with "
            "corpus.tags)",
        ),
    ],
)
def test_a_field_a_case_lacks_is_refused_naming_it(
    field: str, cases: list[Case], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        stratum_labels(cases, field, source="s.yaml")
    assert str(caught.value) == message
