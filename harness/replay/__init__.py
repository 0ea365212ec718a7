"""Replay: one conversation through a model, and the machinery around every call.

``conversation`` (customer turns in order, agent turns regenerated: a ``Transcript``),
``calls`` (retries, backoff, adaptive concurrency, circuit breaker, budget), ``cache`` (the
content-addressed response cache), ``batch`` (the same calls through message batches).
"""
