"""`zcgp`: one console command with a subcommand per script module.

Each command module defines `configure(parser)` and `run(args) -> int`; its docstring is
the command's --help description.
Modules are imported only when their command runs, so `zcgp --help` stays fast and torch-free.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

from zcgp.errors import Interrupted, ZcgpError

# command -> (module under scripts/, one-line help)
COMMANDS = {
    "run": ("zcgp.scripts.run", "the main job: a zero-shot NB201 search with a proxy that never saw NB201"),
    "tasks": ("zcgp.scripts.tasks", "list the tasks and write them as long CSV tables (--to-csv DIR)"),
    "baselines": ("zcgp.scripts.baselines", "per-task test correlation of every hand-crafted proxy and baselines"),
    "evolve": ("zcgp.scripts.evolve", "evolve a proxy formula with genetic programming (writes result.json, proxy.py)"),
    "export": ("zcgp.scripts.export", "export a hall-of-fame or Pareto member of a run as a standalone proxy.py"),
    "evaluate": ("zcgp.scripts.evaluate", "score a formula, a run or a proxy.py on any tasks beside the baselines"),
    "proxies": ("zcgp.scripts.proxies", "compute zero-cost proxies of sampled or listed architectures to CSV"),
    "adapt": ("zcgp.scripts.adapt", "adapt a proxy to a new space with a few labeled architectures (few-shot)"),
    "predict": ("zcgp.scripts.predict", "rank unlabeled architectures with a predictor fitted on a few trained ones"),
    "suite": ("zcgp.scripts.suite", "regenerate or list the shipped suite proxies (formulas evolved by zcgp)"),
    "search": ("zcgp.scripts.search", "find a strong network of any space with a zero-cost objective"),
    "bench": ("zcgp.scripts.bench", "run a benchmark (rank, gp, proxies, search, scale, transfer, fewshot)"),
}


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line too: `zcgp CMD: error: ...`, exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _load(name: str):
    return importlib.import_module(COMMANDS[name][0])


def top_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<11} {text}" for name, (_, text) in COMMANDS.items())
    parser = OneLineParser(
        prog="zcgp",
        description="Evolve zero-cost proxies for neural architecture search.",
        epilog=f"commands:\n{lines}\n\nRun `zcgp COMMAND --help` for the options of a command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=list(COMMANDS), metavar="COMMAND", help="see below")
    return parser


def command_parser(name: str) -> argparse.ArgumentParser:
    module = _load(name)
    parser = OneLineParser(prog=f"zcgp {name}", description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    module.configure(parser)
    return parser


def _dispatch(name: str, args: argparse.Namespace) -> int:
    try:
        return int(_load(name).run(args) or 0)
    except Interrupted as exc:
        print(f"zcgp {name}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"zcgp {name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                               # `zcgp ... | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ZcgpError as exc:
        message = " ".join(str(exc).split("\n"))          # always one line
        print(f"zcgp {name}: error: {message}", file=sys.stderr)
        return 2


STARTED = [time.monotonic()]      # when the current command began (budgets count from here)


def main(argv: list[str] | None = None) -> int:
    STARTED[0] = time.monotonic()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        top_parser().parse_args(argv[:1] or ["--help"])
        return 2
    args = command_parser(argv[0]).parse_args(argv[1:])
    return _dispatch(argv[0], args)


def main_for(*names: str) -> int:
    """Entry for `python scripts/<file>.py ...`: the same as `zcgp <names...> ...`."""
    return main([*names, *sys.argv[1:]])


if __name__ == "__main__":
    raise SystemExit(main())
