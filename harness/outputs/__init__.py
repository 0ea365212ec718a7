"""What a run leaves for people and for CI.

``table`` (the plain-text gate table), ``github`` (job summary, PR comment, annotations,
JUnit XML), ``report/`` (the self-contained HTML report).
"""
