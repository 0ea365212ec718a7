"""Configuration: the scenario and everything it names, loaded and validated as frozen values.

``scenario`` (the scenario file), ``disclosures`` (versions, key facts, applicability),
``prompts`` and ``templating`` (jinja2), ``phrases`` (how disclosure wording is matched),
``redaction`` (the personal-data policy), ``calls`` and ``scoring`` (the settings the
scenario holds), ``files`` (YAML loading with file and field in every message).
"""
