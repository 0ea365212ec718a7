"""The price table: lookups, overrides and precise errors for a malformed file."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.models.base import Usage
from harness.models.prices import PriceTable


def test_longest_prefix_wins_and_extra_files_override(tmp_path: Path) -> None:
    extra = tmp_path / "prices.yaml"
    extra.write_text(
        "models:\n  claude-sonnet-4-6:\n"
        "    {input: 2, output: 10, cache_read: 0.2, cache_write: 2.5}\n"
    )
    table = PriceTable.load(extra)
    assert table.for_model("claude-sonnet-4-6").input == 2  # type: ignore[union-attr]
    assert table.for_model("claude-sonnet-4-5-20250929").input == 3.0  # type: ignore[union-attr]
    assert table.for_model("gpt-unknown") is None


def test_cost_counts_every_kind_of_token_and_the_batch_discount() -> None:
    price = PriceTable.load().for_model("claude-sonnet-4-6")
    assert price is not None
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=100_000,
        cache_read_tokens=2_000_000,
        cache_write_tokens=1_000_000,
    )
    assert price.cost(usage) == pytest.approx(3.0 + 1.5 + 0.6 + 3.75)
    assert price.cost(usage, batch_discount=0.5) == pytest.approx((3.0 + 1.5 + 0.6 + 3.75) / 2)
    assert price.saved_by_cache_reads(usage) == pytest.approx(2 * (3.0 - 0.3))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "models:\n  m: {input: -1, output: 1, cache_read: 0, cache_write: 0}\n",
            "field 'models.m.input': Input should be greater than or equal to 0",
        ),
        (
            "models:\n  m: {input: 1, output: 1, cache_read: 0}\n",
            "field 'models.m.cache_write' is required",
        ),
        ("modles: {}\n", "unknown key 'modles' (did you mean 'models'?)"),
        ("models: [1, 2\n", "not valid YAML"),
    ],
)
def test_malformed_price_table_names_file_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as excinfo:
        PriceTable.load(path)
    assert str(path) in str(excinfo.value) and message in str(excinfo.value)
