"""Plugins: pluggy hook specs (``hooks``) and a fresh registry of providers and scorers per run
(``registry``).
"""
