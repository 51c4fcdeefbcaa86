"""Your own tables: the long CSV / Parquet format, its validation, and the shipped tasks' round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zcgp
from zcgp.errors import ZcgpError
from zcgp.fitness.table import read_table, table_text
from zcgp.scripts.cli import main


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("tables")
    assert main(["tasks", "--tasks", "all", "--to-csv", str(out)]) == 0
    return out


def _same(a, b):
    a, b = sorted(a, key=lambda t: t.id), sorted(b, key=lambda t: t.id)
    assert [t.id for t in a] == [t.id for t in b]
    for x, y in zip(a, b):
        assert x.archs == y.archs and x.proxies == y.proxies
        np.testing.assert_array_equal(x.values, y.values)      # NaN where missing, bit-exact elsewhere
        np.testing.assert_array_equal(x.target, y.target)


def test_shipped_tasks_round_trip_through_csv(tables):
    assert sorted(p.name for p in tables.iterdir()) == [
        "nb101.csv", "nb201.csv", "nb301.csv", "tnb101_macro.csv", "tnb101_micro.csv"]
    _same(zcgp.load_tasks("all", data=tables), zcgp.load_tasks("all"))
    _same(zcgp.load_tasks("nb201/cifar100", data=tables / "nb201.csv"), zcgp.load_tasks("nb201/cifar100"))
    header = (tables / "nb201.csv").read_text().splitlines()[0]
    assert header.startswith("task,arch,flops,params,synflow") and header.endswith(",accuracy")


def test_parquet_and_renamed_columns(tables, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.read_csv(tables / "nb201.csv", dtype={"arch": str})
    frame = frame.rename(columns={"task": "dataset", "accuracy": "val_acc"})
    frame.to_parquet(tmp_path / "mine.parquet")
    got = zcgp.load_tasks("all", data=tmp_path / "mine.parquet", columns={"task": "dataset", "accuracy": "val_acc"})
    _same(got, zcgp.load_tasks("nb201"))


def test_evolve_on_a_csv_equals_evolve_on_the_shipped_tasks(tables, tmp_path):
    args = ["--population", "40", "--generations", "2", "--seed", "3", "--quiet", "--no-plots"]
    assert main(["evolve", "--data", str(tables / "nb201.csv"), *args, "--out", str(tmp_path / "csv")]) == 0
    assert main(["evolve", "--tasks", "nb201", *args, "--out", str(tmp_path / "json")]) == 0
    a, b = (json.loads((tmp_path / d / "result.json").read_text()) for d in ("csv", "json"))
    assert a["config"]["data"] == str(tables / "nb201.csv") and a["config"]["train_tasks"] == b["config"]["train_tasks"]
    assert a["best"]["train_fitness"] == b["best"]["train_fitness"]
    assert [e["fitness"] for e in a["hall_of_fame"]] == [e["fitness"] for e in b["hall_of_fame"]]
    # resume reads the same table from the checkpoint's settings
    assert main(["evolve", "--resume", str(tmp_path / "csv"), "--generations", "3", "--quiet", "--no-plots"]) == 0


def _write(path, rows, header="task,arch,a,b,accuracy"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _good_rows(task="t", n=12):
    return [f"{task},{i},{i * 0.5},{(i * 7) % 5},{i + 0.25}" for i in range(n)]


@pytest.mark.parametrize("name, rows, header, message", [
    ("missing column", _good_rows(), "task,arch,a,b,acc", "row 1: missing column 'accuracy'"),
    ("non-numeric", _good_rows()[:4] + ["t,4,abc,1,3.0"] + _good_rows()[5:], None,
     "row 6: non-numeric value 'abc' in column 'a'"),
    ("duplicate", _good_rows() + ["t,3,1,1,1"], None, "row 14: duplicate (task, arch) (t, 3), first at row 5"),
    ("too few", _good_rows() + _good_rows("u", 9), None, "row 14: task 'u' has 9 architecture(s); at least 10"),
    ("NaN accuracy", _good_rows()[:7] + ["t,7,1,2,nan"] + _good_rows()[8:], None, "row 9: NaN accuracy"),
    ("empty accuracy", _good_rows()[:2] + ["t,2,1,2,"] + _good_rows()[3:], None, "row 4: NaN accuracy"),
    ("short row", _good_rows()[:3] + ["t,3,1"] + _good_rows()[4:], None, "row 5: 3 values, the header has 5"),
])
def test_bad_tables_are_one_line_errors(tmp_path, capsys, name, rows, header, message):
    path = _write(tmp_path / "bad.csv", rows, header or "task,arch,a,b,accuracy")
    assert main(["evolve", "--data", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("zcgp evolve: error: ")
    assert f"{path}: {message}" in err, err
    assert not (tmp_path / "out").exists()


def test_good_table_values_and_missing_cells(tmp_path):
    rows = _good_rows()
    rows[2] = "t,2,,1,2.25"                    # an empty proxy cell is missing (NaN), 11/12 present
    (task,) = read_table(_write(tmp_path / "ok.csv", rows))
    assert task.id == "t" and task.proxies == ("a", "b") and task.n == 12
    assert np.isnan(task.values[2, 0]) and task.values[3, 0] == 1.5
    np.testing.assert_array_equal(task.target, [i + 0.25 for i in range(12)])
    assert table_text([task]).splitlines()[3] == "t,2,,1.0,2.25"
    with pytest.raises(ZcgpError, match="unsupported table format '.txt'"):
        read_table(tmp_path / "x.txt")
