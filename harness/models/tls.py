"""The TLS context every HTTP client of this process shares, built once, when first imported.

Building one (reading the CA bundle) costs a few hundredths of a second, up to a fifth of
a second on a busy machine, and the SDK builds one for every client it makes. Worker
processes import this module in their forkserver (it is in the anthropic adapter's
``preload``), so each forked worker inherits the context and its first call starts at
once. It is httpx's default context (``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` are honoured),
so verification is exactly as without it.
"""

from __future__ import annotations

import ssl

import httpx2

CONTEXT: ssl.SSLContext = httpx2.create_ssl_context()
