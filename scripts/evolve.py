"""Evolve a zero-cost proxy formula with genetic programming (DEAP) on the selected tasks.

Fitness: mean rank correlation (Kendall tau-b, or Spearman) of the formula with the target
over the train splits of the selected tasks. Terminals are the hand-crafted proxies of the
selected tasks. A proxy missing on some tasks (nwot on nb101, synflow on TransNAS-Bench) is,
by --missing: "impute" (default) a neutral constant there (0.5 under the rank transform, 0
otherwise), so every formula is defined on every task and the exported proxy.py does the
same for an absent proxy; "exclude": not a terminal; "zero" / "skip": a formula using it
is undefined there, counting 0 in the mean or left out of it.
Tasks: the shipped NAS-Bench-Suite-Zero tables, or your own long table (--data FILE.csv |
FILE.parquet | DIR: one row per (task, arch), proxy columns, an accuracy column).
Final formula (--select): by default, when the tasks span several spaces, an inner
leave-one-space-out on the training spaces (one extra run per space) chooses a size cap, and
the best formula under it is kept (measured in the docs: results, transfer). That pick, and
--select validation's, pass over a formula that ties architectures its own proxies tell apart
(min(0.5, x) ties the top half of x): a search could not order them.
--select train keeps the best train fitness; --select validation evolves on 75% of each
task's train split and picks the final formula (among the hall of fame and the size Pareto
front) by mean score on the other 25%.
A checkpoint is written after every generation; --resume DIR continues it to exactly the
result of an uninterrupted run.

Writes to --out DIR: result.json, proxy.py (standalone), hall_of_fame.csv, pareto.csv,
logbook.csv, fitness.png, test_tau.png, checkpoint.pkl.

examples:
  zcgp evolve --tasks all --seed 0 --out runs/all
  zcgp evolve --tasks nb201 --test-tasks tnb101_macro --out runs/transfer
  zcgp evolve --data my_table.csv --out runs/mine
  zcgp evolve --resume runs/all --generations 50
"""

from __future__ import annotations

import argparse
import sys

from zcgp.errors import ZcgpError
from zcgp.evolving import evolve, option_names, resume
from zcgp.fitness.aggregate import AGGREGATIONS
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.transforms import TRANSFORMS
from zcgp.gp.dataset import DEFAULT_VALIDATION_FRACTION, MISSING_MODES, TERMINAL_SETS
from zcgp.gp.interrupt import resume_command, stop_on_signals
from zcgp.gp.lexicase import PARENT_SELECTIONS
from zcgp.gp.parallel import BACKENDS
from zcgp.gp.report import comparison_table
from zcgp.gp.settings import FINAL_SELECTIONS, SURVIVORS, EvolveSettings, GPConfig
from zcgp.scripts.common import add_data_args, add_overwrite_arg
from zcgp.util import format_table

RUN = EvolveSettings()          # the defaults shown in --help
GP = GPConfig()


def configure(parser: argparse.ArgumentParser) -> None:
    add_data_args(parser)
    parser.set_defaults(tasks=None, seed=None, train_fraction=None)   # None = not given
    d = GP
    data = parser.add_argument_group("tasks and fitness")
    data.add_argument("--test-tasks", metavar="SEL",
                      help="report the formula on these tasks (transfer; default: the --tasks)")
    data.add_argument("--data", metavar="TABLE",
                      help="your own tasks: a long .csv / .parquet table, or a directory of them "
                           "(instead of the shipped tables; see `zcgp tasks --to-csv`)")
    data.add_argument("--columns", metavar="ROLE=NAME,...",
                      help="column names of --data for the roles task, arch, accuracy "
                           "(default: task=task,arch=arch,accuracy=accuracy)")
    data.add_argument("--transform", choices=TRANSFORMS, help="input transform of every proxy, "
                      f"per task within the scored set (default: {RUN.transform})")
    data.add_argument("--metric", choices=FITNESS_METRICS,
                      help="fitness per task: kendall (default), spearman, kendall_tiebreak (Kendall with the "
                           "formula's ties broken at random: tying architectures never pays), "
                           "wkendall (weighted Kendall, scipy weightedtau), top1/top5/top10 (precision at the "
                           "top p%% by accuracy), ndcg, ndcg10 (NDCG over all / the top 10%%), "
                           "sample500 / sample500_p10 (accuracy percentile of the best-scored of 500 random "
                           "architectures: mean / lower decile)")
    data.add_argument("--proxies", metavar="LIST", help="comma list restricting the terminals")
    data.add_argument("--terminals", dest="terminal_set", choices=TERMINAL_SETS,
                      help=f"all: every proxy of the tasks; heldout: only the proxies that every "
                           f"--test-tasks task outside --tasks has, i.e. what the new space can compute "
                           f"(no labels read; default: {RUN.terminal_set})")
    data.add_argument("--missing", choices=MISSING_MODES,
                      help="a proxy missing on some tasks: impute = a neutral constant there (0.5 "
                           "for every architecture under rank, 0 otherwise; default), exclude = not "
                           "a terminal, zero / skip = formulas using it are undefined there, the "
                           "task counting 0 in the mean / left out of it")
    data.add_argument("--select", choices=FINAL_SELECTIONS,
                      help="how the final formula is chosen: inner-loso (default) = the best member "
                           "of the hall of fame and size front under the size cap that does best in an "
                           "inner leave-one-space-out on the train tasks' spaces (one extra run per "
                           "space; with one space, the best train fitness); both pass over a member that ties "
                           "architectures its terminals tell apart, as min(0.5, x) does; train = best train fitness; "
                           f"validation = evolve on {round(100 * (1 - DEFAULT_VALIDATION_FRACTION))}%% of each "
                           f"task's train split and pick, among the hall of fame and the size "
                           f"Pareto front, the best mean score on the other "
                           f"{round(100 * DEFAULT_VALIDATION_FRACTION)}%% (a fixed inner split per task and "
                           f"seed; the test split is never used)")
    evo = parser.add_argument_group("evolution")
    evo.add_argument("--population", type=int, help=f"mu (default: {d.population})")
    evo.add_argument("--generations", type=int, help=f"generations after the initial one (default: {d.generations})")
    evo.add_argument("--offspring", type=int, help="lambda, offspring per generation (default: population)")
    evo.add_argument("--max-depth", type=int, help=f"tree depth limit on every operator (default: {d.max_depth})")
    evo.add_argument("--init-max-depth", type=int, help=f"initial tree depth (default: {d.init_max_depth})")
    evo.add_argument("--cx-prob", type=float, help=f"crossover probability (default: {d.cx_prob})")
    evo.add_argument("--mut-prob", type=float, help=f"mutation probability (default: {d.mut_prob})")
    evo.add_argument("--tournament", type=int, help=f"tournament size (default: {d.tournament})")
    evo.add_argument("--parsimony", type=float, help=f"parsimony tournament size in [1, 2] (default: {d.parsimony})")
    evo.add_argument("--survivors", choices=SURVIVORS,
                     help="survivor selection: double tournament (fitness, then size) or NSGA-II "
                          f"on (fitness, size) (default: {d.survivors})")
    evo.add_argument("--elite", type=int, help=f"best distinct formulas always kept (default: {d.elite})")
    evo.add_argument("--hof-size", type=int, help=f"hall-of-fame size (default: {d.hof_size})")
    add_generalization_args(parser)
    ex = parser.add_argument_group("execution and output")
    ex.add_argument("--out", metavar="DIR", help="output directory (required unless --resume)")
    ex.add_argument("--resume", metavar="DIR", help="continue the run checkpointed in DIR")
    add_overwrite_arg(ex)
    ex.add_argument("--n-jobs", type=int, default=-1,
                    help="worker processes: the inner leave-one-space-out runs (meanwhile the main run in this "
                         "process), else formula evaluation; -1 = every core (default; the result is the same "
                         "for any number)")
    ex.add_argument("--backend", choices=BACKENDS, default="loky", help="joblib backend (default: loky)")
    ex.add_argument("--scheduler", metavar="ADDRESS", help="dask.distributed scheduler (implies --backend dask)")
    ex.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    ex.add_argument("--measure-cost", action="store_true",
                    help="also measure, on this machine, the seconds per network of the final formula and of "
                         "each cost-front member (one buildable space only: one fresh network per proxy set at "
                         "zcgp search's input batch and initialisations; imports torch; cached and read again "
                         "by zcgp search --pick auto, which otherwise measures them itself)")
    ex.add_argument("--quiet", action="store_true", help="no progress bar and no tables")


def add_generalization_args(parser: argparse.ArgumentParser, with_budget: bool = False) -> None:
    """The generalization levers (one group); `with_budget` adds the fitness metric, the
    final pick and the budget, for commands that do not define them (bench transfer)."""
    d, r = GP, RUN
    g = parser.add_argument_group("generalization levers (defaults: the zcgp evolve defaults)")
    if with_budget:
        g.add_argument("--metric", choices=FITNESS_METRICS, help="fitness (default: kendall)")
        g.add_argument("--select", choices=("train", "inner-loso"), help=f"final pick (default: {r.select})")
        g.add_argument("--population", type=int, help=f"mu (default: {d.population})")
        g.add_argument("--generations", type=int, help=f"generations (default: {d.generations})")
        g.add_argument("--max-depth", type=int, help=f"tree depth limit (default: {d.max_depth})")
        g.add_argument("--parsimony", type=float,
                       help=f"parsimony tournament size in [1, 2] (default: {d.parsimony})")
    g.add_argument("--aggregate", dest="aggregation", choices=AGGREGATIONS,
                   help=f"fitness over tasks (default: {r.aggregation}): mean, space-mean (mean over "
                        "spaces of the mean over their tasks), space-min (the worst space's mean), min, "
                        "mean-std (mean - k std), worst-quartile")
    g.add_argument("--aggregate-k", dest="aggregation_k", type=float, metavar="K",
                   help=f"k of mean-std (default: {r.aggregation_k})")
    g.add_argument("--parents", choices=PARENT_SELECTIONS,
                   help=f"parent selection (default: {d.parents}): tournament, or epsilon-lexicase over the cases")
    g.add_argument("--inner-scale", dest="inner_scale", type=float, metavar="S",
                   help=f"budget of each inner leave-one-space-out run (--select inner-loso): population and "
                        f"generations times S, in (0, 1] (default: {r.inner_scale})")
    g.add_argument("--lexicase-splits", dest="case_splits", type=int, metavar="B",
                   help="lexicase cases: 0 = the tasks (default), B = each task's train rows cut "
                        "into B fixed disjoint subsamples (tasks x subsamples)")


def settings_from_args(args) -> EvolveSettings:
    """EvolveSettings from parsed options (an option not given is the zcgp evolve default)."""
    names = ("metric", "select", "terminal_set", "aggregation", "aggregation_k", "case_splits", "inner_scale",
             "population",
             "generations", "max_depth", "parsimony", "parents")
    return EvolveSettings.from_options(**{n: getattr(args, n, None) for n in names}).validate()


def parse_columns(text: str | None) -> dict | None:
    """'task=t,accuracy=acc' -> {'task': 't', 'accuracy': 'acc'}."""
    if not text:
        return None
    out = {}
    for part in text.split(","):
        role, sep, name = part.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise ZcgpError(f"--columns expects ROLE=NAME pairs (roles: task, arch, accuracy), got '{part}'")
        out[role.strip()] = name.strip()
    return out


def _f(x) -> str:
    return "-" if x is None else f"{x:.4f}"


def print_summary(result: dict) -> None:
    metric = result["config"]["metric"]
    metric = metric if metric in result["summary"] else "kendall"        # families: report Kendall
    best, s = result["best"], result["summary"][metric]
    print(f"best formula: {best['formula_infix']}")
    print(f"  simplified: {best['formula_simplified']}")
    cost = f", proxy cost {best['cost_s']:.2f} s in the tables" if best["cost_s"] == best["cost_s"] else ""
    if best.get("seconds_per_network") is not None:
        cost += f", {best['seconds_per_network']:.3f} s per network here"
    val = (f", validation {best['validation_fitness']:.4f} (chosen by --select validation)"
           if best.get("validation_fitness") is not None else "")
    print(f"  size {best['size']}, depth {best['depth']}, train fitness {best['train_fitness']:.4f}{val}{cost}")
    print()
    front = [e for e in result.get("pareto_cost", []) if e.get("seconds_per_network") is not None]
    if front:
        where = result.get("cost_measured_on") or {}
        print(f"cost front, seconds per network measured on this machine ({where.get('space')}, "
              f"{where.get('device')}, batch {where.get('batch_size')}, {where.get('inits')} initialisation(s)):")
        print(format_table(["index", "s / network", "train fitness", "size", "formula"],
                           [[e["index"], f"{e['seconds_per_network']:.3f}", f"{e['fitness']:.4f}", e["size"],
                             e["formula_infix"]] for e in front]))
        print()
    print(comparison_table(result["tasks"], metric))
    print()
    print(f"mean test {metric}: evolved {_f(s['mean_test']['evolved'])}, best hand-crafted "
          f"{_f(s['mean_test']['best_proxy'])}, linear-rank {_f(s['mean_test']['linear_rank'])}; "
          f"better than the best proxy on {s['beats_best_proxy']}/{s['n_defined']} tasks")


def labels_line(labels: dict | None) -> str:
    """One line: which labels the formula was evolved on."""
    if not labels:
        return "labels: unknown"
    spaces = ", ".join(f"{n} of {s}" for s, n in labels["spaces"].items())
    return f"labels: evolved on {len(labels['tasks'])} task(s), labeled architectures: {spaces}"


def run(args: argparse.Namespace) -> int:
    again = resume_command(args.resume or args.out, args.data_dir, args.n_jobs, args.backend, args.scheduler)
    with stop_on_signals(again):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    options = {k: getattr(args, k) for k in option_names() if getattr(args, k, None) is not None}
    common = {"n_jobs": args.n_jobs, "scheduler": args.scheduler, "backend": args.backend,
              "progress": not args.quiet, "plots": not args.no_plots, "data_dir": args.data_dir,
              "measure_cost": args.measure_cost}
    if args.resume:
        if args.columns:
            raise ZcgpError("--columns is taken from the checkpoint; leave it out to resume")
        result = resume(args.resume, generations=args.generations, data=args.data, tasks=args.tasks,
                        test_tasks=args.test_tasks, seed=args.seed, metric=args.metric,
                        population=args.population, **options, **common)
        out = args.resume
    else:
        if not args.out:
            raise ZcgpError("--out DIR is required (or --resume DIR)")
        result = evolve(args.tasks or "all", seed=args.seed or 0, population=args.population,
                        generations=args.generations, metric=args.metric,
                        test_tasks=args.test_tasks, data=args.data, columns=parse_columns(args.columns),
                        out=args.out, overwrite=args.overwrite, **options, **common)
        out = args.out
    if not args.quiet:
        written = sorted(p.name for p in result.directory.iterdir() if p.is_file() and not p.name.startswith("."))
        if not args.no_plots and not any(name.endswith(".png") for name in written):
            print("note: matplotlib is not installed; plots skipped", file=sys.stderr)
        print_summary(result.result)
        print(labels_line(result.result.get("labels")))
        t = result.result["timings"]
        print(f"{t['generations']} generations, {t['evaluations']} distinct formulas scored "
              f"({t['cache_hit_rate']:.0%} cache hits) in {t['evolve_s']:.1f} s in the engine, "
              f"{t['total_s']:.1f} s in all; wrote {out}/ ({', '.join(written)})")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("evolve"))
