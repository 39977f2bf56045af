"""Independent re-implementations of two published results (QD766_2_1 and Biểu 06) for `cchc bench`:
the DuckDB "floor" (floor.py + floor.sql), the "analyst in pandas" baseline (pandas_ref.py), and the comparison
with a release (compare.py)."""
