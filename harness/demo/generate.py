"""Generate the demo corpus: recorded point-of-sale finance conversations of a UK broker.

The same seed gives the same bytes: every random choice comes from ``random.Random`` seeded
with the seed and the case number, timestamps are derived from the seed, and cases are
written sorted by id, one Parquet file per product.

Run from the repository root::

    python -m harness.demo.generate --out corpus/demo --seed 20261123

>>> cases = generate_cases(20261123, load_registry(Path("scenarios/disclosures")))  # doctest: +SKIP
>>> len(cases)  # doctest: +SKIP
640
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.config.disclosures import DisclosureRegistry, load_registry
from harness.corpus.cases import Case, FactValue
from harness.corpus.files import write_cases
from harness.demo.quotes import PRODUCT_NAMES, draw_quote
from harness.demo.scripts import Segments, draw_segments, plan_script
from harness.demo.transcripts import (
    golden_labels,
    plan_speech,
    render_transcript,
    skeleton_turns,
)
from harness.errors import ExitStatus, HarnessError

DEFAULT_SEED = 20261123
DEFAULT_COUNT = 640
SOURCE = "brightwell-chat-export"
# Conversations run from 1 September to 31 October 2026, UK working hours.
PERIOD_START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
PERIOD_DAYS = 61
LABELLED_TARGET = 180  # cases a reviewer labelled: every one with a slip, then a sample
# The share of applicable cases in which production slipped, per disclosure. Vulnerability
# handling was the weakest; commission also has the superseded-wording days on top.
SLIP_RATES = {
    "broker_status": 0.03,
    "commission": 0.025,
    "representative_example": 0.035,
    "soft_search": 0.035,
    "right_to_withdraw": 0.035,
    "vulnerability_support": 0.06,
    "data_sharing": 0.035,
}

FIRST_NAMES = (
    "Aisha",
    "Alan",
    "Amrit",
    "Bethan",
    "Callum",
    "Carys",
    "Chloe",
    "Daniel",
    "Deborah",
    "Eilidh",
    "Emeka",
    "Fatima",
    "Fiona",
    "Gareth",
    "Grace",
    "Hamza",
    "Harriet",
    "Ian",
    "Imran",
    "Jack",
    "Janet",
    "Jasmine",
    "Keith",
    "Kwame",
    "Laura",
    "Leon",
    "Lucy",
    "Mandeep",
    "Margaret",
    "Mohammed",
    "Niamh",
    "Oliver",
    "Olu",
    "Patricia",
    "Priya",
    "Rhys",
    "Rosa",
    "Sanjay",
    "Sarah",
    "Shona",
    "Siobhan",
    "Stuart",
    "Tariq",
    "Tom",
    "Valerie",
    "Wei",
    "Yasmin",
    "Zoe",
)
INSTALLERS = {
    "heat_pump": ("Greenfield Heating", "Halden Heat Pumps", "Northwarm Renewables"),
    "solar_pv": ("SunCrest Solar", "BrightRoof Solar", "Ashby Renewables"),
    "battery": ("Ashby Renewables", "Voltstore Home Energy", "SunCrest Solar"),
}


def generate_cases(
    seed: int, registry: DisclosureRegistry, count: int = DEFAULT_COUNT
) -> list[Case]:
    """``count`` recorded conversations, labelled where a reviewer looked at them."""
    pinned = [registry.pin(d, "latest") for d in registry.ids]
    disclosures = {p.id: p.disclosure for p in pinned}
    deadlines = {p.id: p.current.deadline.before_event for p in pinned}
    spacing = PERIOD_DAYS * 86400 / count
    drafts: list[Case] = []
    for number in range(1, count + 1):
        rng = random.Random(f"{seed}:case:{number}")
        segments = draw_segments(rng)
        facts = _facts(rng, segments)
        context: dict[str, FactValue] = {**facts, "name": facts["customer_first_name"]}
        names = {k: str(v) for k, v in context.items()}
        beats = plan_script(rng, segments, names)
        offset = (number - 1 + rng.random() * 0.9) * spacing
        recorded_at = PERIOD_START + timedelta(seconds=round(offset))
        case_id = f"pos-{number:04d}"
        # Which disclosures apply is a property of the conversation, not of the wording.
        draft = Case(case_id=case_id, source=SOURCE, turns=skeleton_turns(beats), facts=facts)
        applicable = {p.id for p in pinned if p.applies_to(draft)}
        speech = plan_speech(rng, disclosures, applicable, facts, recorded_at.date(), SLIP_RATES)
        transcript = render_transcript(beats, speech, context, deadlines, rng)
        labels = golden_labels(registry.ids, applicable, speech, transcript.late_moved)
        case = Case(
            case_id=case_id,
            source=SOURCE,
            recorded_at=recorded_at,
            tags=segments.tags(),
            facts=facts,
            turns=transcript.turns,
            labels=labels,
        )
        drafts.append(case)
    return _keep_labels(seed, drafts)


def _facts(rng: random.Random, segments: Segments) -> dict[str, FactValue]:
    quote = draw_quote(rng, segments.product)
    return {
        "customer_first_name": rng.choice(FIRST_NAMES),
        "product": segments.product,
        "product_name": PRODUCT_NAMES[segments.product],
        "installer": rng.choice(INSTALLERS[segments.product]),
        **quote.facts(),
    }


def _notable(case: Case) -> bool:
    """Whether a reviewer would have flagged the case: a slip or a hard case, not a rephrasing."""
    return any(lb.note and not lb.note.startswith("accepted") for lb in case.labels)


def _keep_labels(seed: int, drafts: list[Case]) -> list[Case]:
    """Keep labels on every notable case, then on a sample of the others."""
    notable = [c.case_id for c in drafts if _notable(c)]
    others = [c.case_id for c in drafts if not _notable(c)]
    wanted = max(0, LABELLED_TARGET - len(notable))
    keep = set(notable) | set(random.Random(f"{seed}:labels").sample(others, wanted))
    return [c if c.case_id in keep else c.model_copy(update={"labels": ()}) for c in drafts]


def write_corpus(cases: Sequence[Case], out: Path) -> list[Path]:
    """Write ``cases`` into ``out``, one ``<product>.parquet`` per product, sorted by id."""
    written = []
    for product in sorted({c.tags["product"] for c in cases}):
        path = out / f"{product}.parquet"
        selected = [c for c in cases if c.tags["product"] == product]
        write_cases(path, sorted(selected, key=lambda c: c.case_id))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate the corpus into ``--out``; exit 2 with a message on bad input."""
    parser = argparse.ArgumentParser(
        prog="python -m harness.demo.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=Path("corpus/demo"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--disclosures", type=Path, default=Path("scenarios/disclosures"))
    args = parser.parse_args(argv)
    try:
        cases = generate_cases(args.seed, load_registry(args.disclosures), args.count)
        paths = write_corpus(cases, args.out)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitStatus.USAGE
    print(f"wrote {len(cases)} cases to {', '.join(str(p) for p in paths)}")
    return ExitStatus.PASSED


if __name__ == "__main__":
    sys.exit(main())
