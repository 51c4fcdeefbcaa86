"""Mutation testing of the core modules with mutmut 3 (opt-in; not part of the test suite or CI).

    nice -n 10 python tests/mutation.py                      # every module of [zcgp:mutation]
    nice -n 10 python tests/mutation.py gp/simplify.py       # one module
    python tests/mutation.py --list                          # the modules and their tests

mutmut names a mutant after its file path, while the package is imported as `zcgp.*` from
the folders of setup.cfg's package_dir, so the names would never match `__module__`. This
script therefore stages the package as `.mutation/<module>/src/zcgp/...` (mutmut strips the
`src.` prefix), copies tests/ and setup.cfg there, points mutmut at the one module and its
fast test files (setup.cfg, section [zcgp:mutation]), runs `mutmut run` with one worker and
prints the score: killed / (all mutants that ran), timeouts counting as killed.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / ".mutation"
KILLED = {"killed", "timeout", "caught by type check", "segfault"}


def package_dirs(cfg: configparser.ConfigParser) -> dict[str, str]:
    """import name -> repo folder, from setup.cfg [options] package_dir."""
    out = {}
    for line in cfg["options"]["package_dir"].strip().splitlines():
        name, folder = (s.strip() for s in line.split("="))
        out[name] = folder
    return out


def modules(cfg: configparser.ConfigParser) -> dict[str, list[str]]:
    return {path: shlex.split(value) for path, value in cfg["zcgp:mutation"].items()}


def stage(module: str, tests: list[str], cfg: configparser.ConfigParser) -> Path:
    root = WORK / module.replace("/", "_").removesuffix(".py")
    if root.exists():
        shutil.rmtree(root)
    (root / "src").mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name, folder in sorted(package_dirs(cfg).items()):
        shutil.copytree(REPO / folder, root / "src" / Path(*name.split(".")), ignore=ignore)
    shutil.copytree(REPO / "tests", root / "tests", ignore=ignore)
    staged = configparser.ConfigParser()
    staged.read(REPO / "setup.cfg")
    top = next(iter(package_dirs(cfg)))            # "zcgp"
    folder = Path(module).parts[0]
    name = next(n for n, f in package_dirs(cfg).items() if f == folder)
    mutated = Path("src", *name.split("."), *Path(module).parts[1:])
    staged["mutmut"]["source_paths"] = f"src/{top}"
    staged["mutmut"]["only_mutate"] = mutated.as_posix()
    staged["mutmut"]["pytest_add_cli_args_test_selection"] = "\n" + "\n".join(tests)
    with open(root / "setup.cfg", "w") as fh:
        staged.write(fh)
    return root


def score(root: Path) -> dict:
    counts: dict[str, int] = {}
    for meta in (root / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text())
        for code in data.get("exit_code_by_key", {}).values():
            status = describe(code)
            counts[status] = counts.get(status, 0) + 1
    # a mutant no selected test reaches ("no tests") counts as surviving
    ran = sum(v for k, v in counts.items() if k not in {"not checked", "skipped", "check was interrupted by user"})
    killed = sum(v for k, v in counts.items() if k in KILLED)
    return {"counts": counts, "killed": killed, "ran": ran, "total": sum(counts.values()),
            "score": killed / ran if ran else float("nan")}


def describe(code) -> str:
    from mutmut.stats import status_by_exit_code  # mutmut 3.x
    return status_by_exit_code[code]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="repo paths such as fitness/rank.py (default: all)")
    parser.add_argument("--list", action="store_true", help="print the modules and their test files")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutmut workers (default: 1)")
    args = parser.parse_args(argv)
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    table = modules(cfg)
    scopes = {path: shlex.split(value) for path, value in cfg["zcgp:mutation-scope"].items()}
    if args.list:
        for module, tests in table.items():
            print(f"{module}: {' '.join(tests)}")
        return 0
    try:
        import mutmut  # noqa: F401
    except ImportError:
        parser.error("mutmut is not installed: pip install -e '.[mutation]'")
    unknown = [m for m in args.modules if m not in table]
    if unknown:
        parser.error(f"not a module of [zcgp:mutation]: {', '.join(unknown)}")
    rows = []
    for module in args.modules or list(table):
        root = stage(module, table[module], cfg)
        print(f"== {module}: mutmut run in {root.relative_to(REPO)}", flush=True)
        proc = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children),
                               *scopes.get(module, [])], env={**os.environ, "ZCGP_MUTATION": "1"}, cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        (root / "mutmut.log").write_text(proc.stdout)
        result = score(root)
        rows.append((module, result))
        print(f"   {result['killed']}/{result['ran']} killed ({100 * result['score']:.1f}%)  {result['counts']}",
              flush=True)
        with open(root / "survivors.txt", "w") as survivors:
            subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=root, check=False,
                           stdout=survivors, stderr=subprocess.STDOUT)
    print("\n| module | mutants | killed | score |\n|---|---|---|---|")
    for module, r in rows:
        print(f"| `{module}` | {r['ran']} | {r['killed']} | {100 * r['score']:.1f} % |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
