"""The corpus: cases, their Parquet files, schema migration and which cases a process replays.

``cases`` (``Case``, ``Turn``, ``GoldenLabel`` and the Arrow schema), ``files`` (finding,
streaming, writing and hashing corpus files), ``migrate`` (older schema versions),
``selection`` (tags, limit, shard and a process's share, decided from case ids).
"""
