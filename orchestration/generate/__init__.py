"""Synthetic raw roots for development, tests and benchmarks (``cchc generate``).

    from orchestration.generate import generate
    summary = generate("raw/demo", seed=1, start="2023-01", end="2024-12", fmt="json", defect_rate=0.0)

Writes, laid out as DATA_CONTRACT §1 / the spec examples: ``dossiers/`` (national sync JSON batches
``dongbo_YYYYMM_NNN.json`` or flat CSV ``hoso_YYYYMM_NNN.csv``), ``procedures/`` (catalogue, publication
decisions, reviews), ``petitions/``, ``ratings/``, ``surveys/sipas_<year>.xlsx`` and ``reference/``
(agencies, plan targets). Units and agencies come from the dbt seeds. Deterministic for a seed.
"""

from orchestration.generate.core import extract_time_for, generate

__all__ = ["generate", "extract_time_for"]
