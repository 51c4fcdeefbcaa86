"""A corpus of bad inputs: every command answers one line `zcgp CMD: error: ...` with exit
code 2 (the API raises ZcgpError / UserInputError), and the results written before are
left exactly as they were (and nothing new is written)."""

import json
import os
import pickle
from pathlib import Path

import pytest

import zcgp
from zcgp.errors import UserInputError, ZcgpError
from zcgp.gp.checkpoint import MAGIC
from zcgp.scripts.cli import main

SMALL = ["--tasks", "nb201/cifar10", "--population", "20", "--generations", "1", "--no-plots", "--quiet"]


class _Hostile:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def _table(rows, header="task,arch,accuracy,nwot,synflow"):
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Earlier results (a run, baselines, an evaluation, an export) and hostile or broken inputs."""
    root = tmp_path_factory.mktemp("bad_inputs")
    w = {"tmp": root, "run": root / "run", "base": root / "base", "ev": root / "ev.json"}
    assert main(["evolve", *SMALL, "--out", str(w["run"])]) == 0
    assert main(["baselines", "--tasks", "nb201", "--out", str(w["base"])]) == 0
    assert main(["evaluate", "--formula", "nwot", "--tasks", "nb201", "--out", str(w["ev"])]) == 0
    assert main(["export", str(w["run"])]) == 0                        # run/proxy_hof0.py
    w["file"] = root / "plain.txt"
    w["file"].write_text("a plain file\n")
    w["empty"] = root / "empty"
    w["empty"].mkdir()
    w["marker"] = root / "hostile_ran"
    w["hostile"] = root / "hostile"
    w["hostile"].mkdir()
    (w["hostile"] / "checkpoint.pkl").write_bytes(
        MAGIC + pickle.dumps({"format": "zcgp-gp-checkpoint", "x": _Hostile(w["marker"])}))
    w["truncated"] = root / "truncated"
    w["truncated"].mkdir()
    (w["truncated"] / "checkpoint.pkl").write_bytes((w["run"] / "checkpoint.pkl").read_bytes()[:200])
    w["badjson"] = root / "badjson"
    w["badjson"].mkdir()
    (w["badjson"] / "result.json").write_text((w["run"] / "result.json").read_text()[:300])
    w["listjson"] = root / "listjson"
    w["listjson"].mkdir()
    (w["listjson"] / "result.json").write_text("[1, 2, 3]")
    w["nojson"] = root / "nojson"
    w["nojson"].mkdir()
    (w["nojson"] / "proxy.py").write_text((w["run"] / "proxy.py").read_text())
    w["hostile_cifar"] = root / "hostile_cifar"
    w["hostile_cifar"].mkdir()
    (w["hostile_cifar"] / "data_batch_1").write_bytes(pickle.dumps({b"data": _Hostile(w["marker"])}))
    rows = [f"t,a{i},{50 + i},{i},{i * i}" for i in range(12)]
    w["csv_nocol"] = root / "nocol.csv"
    w["csv_nocol"].write_text(_table(rows, "task,arch,acc,nwot,synflow"))
    w["csv_empty"] = root / "empty.csv"
    w["csv_empty"].write_text("")
    w["csv_header"] = root / "header_only.csv"
    w["csv_header"].write_text(_table([]))
    w["csv_text"] = root / "text.csv"
    w["csv_text"].write_text(_table([*rows[:5], "t,a99,fifty,1,2", *rows[5:]]))
    w["csv_few"] = root / "few.csv"
    w["csv_few"].write_text(_table(rows[:4]))
    w["csv_ragged"] = root / "ragged.csv"
    w["csv_ragged"].write_text(_table([*rows[:3], "t,a77,1", *rows[3:]]))
    w["csv_dup"] = root / "dup.csv"
    w["csv_dup"].write_text(_table([*rows, rows[0]]))
    w["txt_table"] = root / "table.txt"
    w["txt_table"].write_text(_table(rows))
    w["archs_bad"] = root / "archs.txt"
    w["archs_bad"].write_text("not an architecture\n")
    w["csv_out"] = root / "proxies.csv"
    w["csv_out"].write_text("earlier,proxies\n")
    return w


def _snapshot(root: Path) -> dict:
    """Every file's bytes, lock files aside (they hold no results)."""
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}


# (id, argv with {placeholders} from `world`, text the one error line must contain)
CASES = [
    # evolve: numbers out of range, unknown names, wrong types
    ("evolve-population-1", ["evolve", *SMALL, "--population", "1", "--out", "{tmp}/n1"], "--population must be at least 2"),
    ("evolve-population-negative", ["evolve", *SMALL, "--population", "-5", "--out", "{tmp}/n2"], "--population"),
    ("evolve-population-type", ["evolve", "--population", "many", "--out", "{tmp}/n3"], "invalid int value: 'many'"),
    ("evolve-generations-negative", ["evolve", *SMALL, "--generations", "-1", "--out", "{tmp}/n4"], "--generations must be >= 0"),
    ("evolve-max-depth", ["evolve", *SMALL, "--max-depth", "1", "--out", "{tmp}/n5"], "--max-depth must lie in [2, 17]"),
    ("evolve-probabilities", ["evolve", *SMALL, "--cx-prob", "0.8", "--mut-prob", "0.5", "--out", "{tmp}/n6"], "sum to at most 1"),
    ("evolve-parsimony", ["evolve", *SMALL, "--parsimony", "3", "--out", "{tmp}/n7"], "--parsimony must lie in [1, 2]"),
    ("evolve-tournament", ["evolve", *SMALL, "--tournament", "0", "--out", "{tmp}/n8"], "--tournament must be >= 1"),
    ("evolve-elite", ["evolve", *SMALL, "--elite", "-1", "--out", "{tmp}/n9"], "--elite must be >= 0"),
    ("evolve-hof-size", ["evolve", *SMALL, "--hof-size", "0", "--out", "{tmp}/n10"], "--hof-size must be >= 1"),
    ("evolve-cx-prob-type", ["evolve", "--cx-prob", "half", "--out", "{tmp}/n11"], "invalid float value: 'half'"),
    ("evolve-unknown-task", ["evolve", "--tasks", "nb999/x", "--out", "{tmp}/n12"], "nb999/x"),
    ("evolve-unknown-proxy", ["evolve", *SMALL, "--proxies", "magic", "--out", "{tmp}/n13"], "unknown proxy 'magic'"),
    ("evolve-unknown-selection", ["evolve", "--survivors", "best", "--out", "{tmp}/n14"], "invalid choice: 'best'"),
    ("evolve-train-fraction-high", ["evolve", *SMALL, "--train-fraction", "1.5", "--out", "{tmp}/n15"], "1.5"),
    ("evolve-train-fraction-zero", ["evolve", *SMALL, "--train-fraction", "0", "--out", "{tmp}/n16"], "train"),
    ("evolve-n-jobs-zero", ["evolve", *SMALL, "--n-jobs", "0", "--out", "{tmp}/n17"], "--n-jobs must be a positive number"),
    ("evolve-dask-no-scheduler", ["evolve", *SMALL, "--backend", "dask", "--out", "{tmp}/n18"], "needs --scheduler"),
    ("evolve-no-out", ["evolve", *SMALL], "--out DIR is required"),
    # evolve: existing, unwritable, hostile, truncated outputs and checkpoints
    ("evolve-out-existing-run", ["evolve", *SMALL, "--out", "{run}"], "already holds results"),
    ("evolve-out-is-a-file", ["evolve", *SMALL, "--out", "{file}"], "is an existing file, not a directory"),
    ("evolve-out-below-a-file", ["evolve", *SMALL, "--out", "{file}/run"], "cannot create"),
    ("evolve-resume-nothing", ["evolve", "--resume", "{empty}", "--quiet"], "no checkpoint found"),
    ("evolve-resume-hostile", ["evolve", "--resume", "{hostile}", "--quiet"], "is corrupt"),
    ("evolve-resume-truncated", ["evolve", "--resume", "{truncated}", "--quiet"], "is corrupt"),
    ("evolve-resume-conflict", ["evolve", "--resume", "{run}", "--seed", "5", "--quiet"], "conflicts with the checkpoint"),
    ("evolve-resume-fewer-generations", ["evolve", "--resume", "{run}", "--generations", "0", "--quiet"], "is smaller"),
    # evolve on a user table: missing, empty, truncated, non-numeric, duplicate, ragged
    ("evolve-table-missing", ["evolve", "--data", "{tmp}/none.csv", "--out", "{tmp}/n19"], "table not found"),
    ("evolve-table-empty", ["evolve", "--data", "{csv_empty}", "--out", "{tmp}/n20"], "empty.csv"),
    ("evolve-table-header-only", ["evolve", "--data", "{csv_header}", "--out", "{tmp}/n21"], "no data rows"),
    ("evolve-table-no-accuracy", ["evolve", "--data", "{csv_nocol}", "--out", "{tmp}/n22"], "missing column 'accuracy'"),
    ("evolve-table-text-number", ["evolve", "--data", "{csv_text}", "--out", "{tmp}/n23"], "fifty"),
    ("evolve-table-too-few", ["evolve", "--data", "{csv_few}", "--out", "{tmp}/n24"], "at least 10 are needed"),
    ("evolve-table-ragged", ["evolve", "--data", "{csv_ragged}", "--out", "{tmp}/n25"], "3 values, the header has 5"),
    ("evolve-table-duplicate", ["evolve", "--data", "{csv_dup}", "--out", "{tmp}/n26"], "duplicate (task, arch)"),
    ("evolve-table-format", ["evolve", "--data", "{txt_table}", "--out", "{tmp}/n27"], "unsupported table format"),
    # evaluate: malformed and hostile formulas, degenerate formulas, broken sources, existing outputs
    ("evaluate-syntax", ["evaluate", "--formula", "nwot +", "--tasks", "nb201"], "malformed formula"),
    ("evaluate-code-injection", ["evaluate", "--formula", "__import__('os').system('true')", "--tasks", "nb201"], "unknown function"),
    ("evaluate-attribute", ["evaluate", "--formula", "nwot.real", "--tasks", "nb201"], "unsupported syntax"),
    ("evaluate-lambda", ["evaluate", "--formula", "(lambda: 1)()", "--tasks", "nb201"], "unknown function"),
    ("evaluate-unknown-terminal", ["evaluate", "--formula", "magic*2", "--tasks", "nb201"], "unknown terminal 'magic'"),
    ("evaluate-power", ["evaluate", "--formula", "nwot**3", "--tasks", "nb201"], "only '**2'"),
    ("evaluate-arity", ["evaluate", "--formula", "log(nwot, synflow)", "--tasks", "nb201"], "takes 1 argument"),
    ("evaluate-string-constant", ["evaluate", "--formula", "nwot + 'a'", "--tasks", "nb201"], "unsupported constant"),
    ("evaluate-empty", ["evaluate", "--formula", " ", "--tasks", "nb201"], "empty formula"),
    ("evaluate-too-deep", ["evaluate", "--formula", "(" * 300 + "nwot" + ")" * 300, "--tasks", "nb201"], "malformed formula"),
    ("evaluate-nul-byte", ["evaluate", "--formula", "nwot\x00", "--tasks", "nb201"], "malformed formula"),
    ("evaluate-inf-constant", ["evaluate", "--formula", "nwot*1e400", "--tasks", "nb201"], "non-finite constant"),
    ("evaluate-constant", ["evaluate", "--formula", "nwot - nwot", "--tasks", "nb201"], "is constant"),
    ("evaluate-overflow", ["evaluate", "--formula", "square(square(square(square(square(square(flops*1e300))))))",
                           "--tasks", "nb201"], "inf or NaN"),
    ("evaluate-index-range", ["evaluate", "{run}", "--index", "99", "--tasks", "nb201"], "out of range"),
    ("evaluate-index-negative", ["evaluate", "{run}", "--index", "-1", "--tasks", "nb201"], "out of range"),
    ("evaluate-truncated-result", ["evaluate", "{badjson}", "--tasks", "nb201"], "not a readable zcgp result"),
    ("evaluate-list-result", ["evaluate", "{listjson}", "--tasks", "nb201"], "not a readable zcgp result"),
    ("evaluate-proxy-without-json", ["evaluate", "{nojson}/proxy.py", "--tasks", "nb201"], "no proxy description"),
    ("evaluate-two-sources", ["evaluate", "{run}", "--formula", "nwot", "--tasks", "nb201"], "exactly one"),
    ("evaluate-unknown-task", ["evaluate", "--formula", "nwot", "--tasks", "nb201/mnist"], "nb201/mnist"),
    ("evaluate-out-exists", ["evaluate", "--formula", "synflow", "--tasks", "nb201", "--out", "{ev}"], "exists; pass --overwrite"),
    ("evaluate-out-directory", ["evaluate", "--formula", "synflow", "--tasks", "nb201", "--out", "{base}"], "is a directory"),
    ("evaluate-out-below-file", ["evaluate", "--formula", "synflow", "--tasks", "nb201", "--out", "{file}/e.json"], "cannot create"),
    # export
    ("export-index-range", ["export", "{run}", "--index", "99"], "out of range"),
    ("export-index-negative", ["export", "{run}", "--index", "-2", "--out", "{tmp}/neg.py"], "out of range"),
    ("export-pareto-range", ["export", "{run}", "--pareto", "size", "--index", "999", "--out", "{tmp}/p.py"], "out of range"),
    ("export-no-run", ["export", "{empty}", "--out", "{tmp}/x.py"], "no result.json"),
    ("export-truncated-result", ["export", "{badjson}", "--out", "{tmp}/y.py"], "not a readable zcgp result"),
    ("export-exists", ["export", "{run}"], "proxy_hof0.py exists"),
    ("export-out-directory", ["export", "{run}", "--out", "{empty}"], "is a directory"),
    ("export-index-type", ["export", "{run}", "--index", "first"], "invalid int value"),
    # baselines and tasks
    ("baselines-unknown-task", ["baselines", "--tasks", "nosuch"], "nosuch"),
    ("baselines-out-existing", ["baselines", "--tasks", "nb201", "--out", "{base}"], "already holds results"),
    ("baselines-out-file", ["baselines", "--tasks", "nb201", "--out", "{file}"], "is an existing file"),
    ("baselines-table-text", ["baselines", "--data", "{csv_text}"], "fifty"),
    ("tasks-table-empty", ["tasks", "--data", "{csv_empty}"], "empty.csv"),
    ("tasks-table-duplicate", ["tasks", "--data", "{csv_dup}"], "duplicate"),
    # proxies (torch; fail before any network is built)
    ("proxies-unknown-name", ["proxies", "--archs", "2", "--names", "magic", "--out", "{tmp}/p1.csv"], "magic"),
    ("proxies-bad-arch", ["proxies", "--arch", "not-an-arch", "--names", "params", "--out", "{tmp}/p2.csv"], "not-an-arch"),
    ("proxies-bad-arch-file", ["proxies", "--arch-file", "{archs_bad}", "--names", "params", "--out", "{tmp}/p3.csv"], "not an architecture"),
    ("proxies-missing-arch-file", ["proxies", "--arch-file", "{tmp}/none.txt", "--names", "params", "--out", "{tmp}/p4.csv"], "none.txt"),
    ("proxies-out-exists", ["proxies", "--archs", "2", "--names", "params", "--out", "{csv_out}"], "exists; pass --overwrite"),
    ("proxies-hostile-cifar", ["proxies", "--archs", "1", "--names", "params", "--batch-size", "1",
                               "--data", "cifar10:{hostile_cifar}", "--out", "{tmp}/p5.csv"], "refusing"),
    ("proxies-empty-cifar", ["proxies", "--archs", "1", "--names", "params", "--data", "cifar10:{empty}",
                             "--out", "{tmp}/p6.csv"], "no CIFAR-10 train batches"),
    # search
    ("search-no-budget", ["search", "--objective", "nwot", "--lookup", "--quiet"], "give a budget"),
    ("search-unknown-objective", ["search", "--objective", "zzz", "--evaluations", "5", "--lookup", "--quiet"], "zzz"),
    ("search-formula-constant", ["search", "--formula", "nwot - nwot", "--evaluations", "5", "--lookup", "--quiet"],
     "is constant"),
    ("search-proxy-not-a-run", ["search", "--proxy", "{empty}", "--evaluations", "5", "--quiet"], "no result.json"),
    ("search-proxy-truncated", ["search", "--proxy", "{badjson}", "--evaluations", "5", "--quiet"],
     "not a readable zcgp result"),
    ("search-out-file", ["search", "--objective", "nwot", "--evaluations", "5", "--lookup", "--out", "{file}"],
     "is an existing file"),
    # bench
    ("bench-unknown", ["bench", "nosuch"], "invalid choice: 'nosuch'"),
    ("bench-scale-sizes", ["bench", "scale", "--sizes", "100,10"], "increasing"),
    ("bench-scale-type", ["bench", "scale", "--population", "x"], "invalid int value"),
]


def _fill(argv, world):
    return [a.format(**{k: str(v) for k, v in world.items()}) for a in argv]


def _call(argv) -> int:
    try:
        return main(argv)
    except SystemExit as exc:          # usage errors (wrong types, unknown choices) exit in argparse
        return exc.code


@pytest.mark.parametrize("argv, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(argv, message, world, capsys):
    before = _snapshot(world["tmp"])
    capsys.readouterr()
    code = _call(_fill(argv, world))
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"zcgp {argv[0]}") and ": error: " in lines[0], err
    assert message in lines[0], err
    assert _snapshot(world["tmp"]) == before
    assert not world["marker"].exists()


def test_the_corpus_has_at_least_fifty_cases():
    assert len(CASES) >= 50 and len({c[0] for c in CASES}) == len(CASES)


# ---- the API: the same refusals as exceptions, nothing written ------------------------------
API_CASES = [
    ("evolve-population", lambda w: zcgp.evolve("nb201/cifar10", population=1, generations=0, progress=False), ZcgpError),
    ("evolve-existing-out", lambda w: zcgp.evolve("nb201/cifar10", population=10, generations=0, progress=False,
                                                  out=w["run"]), ZcgpError),
    ("evolve-fitness", lambda w: zcgp.evolve("nb201/cifar10", metric="pearson", population=10, generations=0,
                                             progress=False), ZcgpError),
    ("resume-nothing", lambda w: zcgp.resume(w["empty"], progress=False), ZcgpError),
    ("resume-hostile", lambda w: zcgp.resume(w["hostile"], progress=False), ZcgpError),
    ("load-tasks-unknown", lambda w: zcgp.load_tasks("nb999"), ZcgpError),
    ("load-tasks-bad-table", lambda w: zcgp.load_tasks("all", data=w["csv_text"]), ZcgpError),
    ("run-load-truncated", lambda w: zcgp.Run.load(w["badjson"]), ZcgpError),
    ("proxy-wrong-type", lambda w: zcgp.Proxy(123), ZcgpError),
    ("proxy-constant", lambda w: zcgp.Proxy("nwot/nwot"), ZcgpError),
    ("proxy-unequal-columns", lambda w: zcgp.Proxy("nwot + synflow")({"nwot": [1.0, 2.0], "synflow": [1.0]}),
     ZcgpError),
    ("proxy-missing-column", lambda w: zcgp.Proxy("nwot + synflow")({"nwot": [1.0, 2.0]}), ZcgpError),
    ("evaluate-unknown-task", lambda w: zcgp.evaluate("nwot", "nb201/mnist"), ZcgpError),
    ("evaluate-inf", lambda w: zcgp.evaluate("nwot*1e999", "nb201/cifar10"), ZcgpError),
    ("baselines-unknown", lambda w: zcgp.baselines("nosuch"), ZcgpError),
    ("search-no-budget", lambda w: zcgp.search("nb201", "nwot", lookup=True), ZcgpError),
    ("search-unknown-space", lambda w: zcgp.search("nb999", "nwot", evaluations=5, lookup=True),
     UserInputError),
    ("search-proxy-truncated", lambda w: zcgp.search("nb201", str(w["badjson"]), evaluations=5), ZcgpError),
    ("cifar-hostile", lambda w: __import__("zcgp.proxies.data", fromlist=["x"]).read_cifar10(w["hostile_cifar"]),
     UserInputError),
]


@pytest.mark.parametrize("call, error", [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES])
def test_api_bad_input_raises_and_changes_nothing(call, error, world):
    before = _snapshot(world["tmp"])
    with pytest.raises(error) as caught:
        call(world)
    assert "\n" not in str(caught.value)
    assert _snapshot(world["tmp"]) == before
    assert not world["marker"].exists()


def test_earlier_results_are_still_readable(world):
    run = zcgp.Run.load(world["run"])
    assert run.formula and json.loads(world["ev"].read_text())["formula"] == "nwot"
