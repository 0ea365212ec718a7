"""A run: one execution of a scenario, from loaded plan to finished outputs.

``plan`` (a scenario loaded and checked), ``case`` (one case replayed and scored),
``process`` (one process's replay into its part files), ``workers/`` (several processes),
``parts`` (part files), ``folder`` (the run folder, resume, shards), ``progress``,
``finish`` (parts into the store, gate, outputs; ``run_scenario``), ``merge`` (shards),
``estimate`` (calls and cost before a run), ``calibrate``, ``manifest``, ``scorers``
(building a scenario's scorers and judge), ``scoring_summary``.
"""
