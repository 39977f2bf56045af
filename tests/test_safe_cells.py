"""Formula-injection strings never reach a published CSV as live formulas."""

import csv

import duckdb

from orchestration.lib.safe_cells import neutralise, neutralised_query


def test_neutralise_text_cells_only():
    assert neutralise('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert neutralise("+84 912") == "'+84 912" and neutralise("-1") == "'-1" and neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("Xã Lục Bình") == "Xã Lục Bình" and neutralise(-1) == -1 and neutralise(None) is None


def test_copy_to_csv_neutralises_every_text_column(tmp_path):
    con = duckdb.connect()
    con.execute("""CREATE TABLE t AS SELECT * FROM (VALUES
        ('=HYPERLINK("http://evil","x")', -5, 'ok'), ('@cmd', 3, '+1+1'), ('plain', 0, NULL)) v(a, n, b)""")
    out = tmp_path / "t.csv"
    con.execute(f"COPY ({neutralised_query(con, 'SELECT * FROM t')}) TO '{out}' (HEADER)")
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert [r["a"] for r in rows] == ['\'=HYPERLINK("http://evil","x")', "'@cmd", "plain"]
    assert [r["b"] for r in rows] == ["ok", "'+1+1", ""]
    assert [r["n"] for r in rows] == ["-5", "3", "0"]  # numbers untouched
