"""The repository's own pytest defaults (the harness plugin itself loads via its entry point).

``pytester`` runs the plugin end to end in tests; the browser tests find Debian's Chromium.
"""

pytest_plugins = ["pytester"]
