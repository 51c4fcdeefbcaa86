"""The evolutionary loop: DEAP operators, (mu + lambda) survival, archives, resumable state.

One generation: `lambda` offspring from tournament-selected parents (one-point crossover or
one of five mutations, each behind a depth limit), evaluation of the formulas not seen
before (cache keyed by the canonical string), then survival of `mu` from parents +
offspring: the `elite` best distinct formulas plus a size-aware selection (double
tournament with parsimony pressure, or NSGA-II on fitness and size).

All randomness comes from one `random.Random` owned by the engine, lent to DEAP only while
the engine draws (`gp.rng.engine_random`; nothing else, e.g. dask in another thread, can
consume it); evaluation is a pure function of the formula and draws nothing. Hence the
same seed gives the same run for any --n-jobs and backend (serial, loky, threading,
multiprocessing, dask), and `state()` / `Engine.restore()` continue a run exactly.
"""

from __future__ import annotations

import functools
import math
import random
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict

import numpy as np
from deap import base, gp, tools

from zcgp.errors import ZcgpError
from zcgp.fitness.rank import WORST
from zcgp.gp import interrupt
from zcgp.gp.archive import Entry, HallOfFame, ParetoFront
from zcgp.gp.dataset import Dataset
from zcgp.gp.hygiene import degeneracy
from zcgp.gp.lexicase import epsilon_lexicase
from zcgp.gp.parallel import Evaluator
from zcgp.gp.primitives import canonical_key, make_pset, parse_tree, to_code
from zcgp.gp.rng import engine_random
from zcgp.gp.settings import GPConfig

__all__ = ["Engine", "Individual", "height"]

# mutation operator -> relative weight
MUTATIONS = {"uniform": 0.3, "node": 0.25, "insert": 0.15, "shrink": 0.15, "ephemeral": 0.15}


class FitnessMax(base.Fitness):
    weights = (1.0,)


class FitnessSize(base.Fitness):
    weights = (1.0, -1.0)


class Individual(gp.PrimitiveTree):
    """A tree with a DEAP fitness and its canonical key (None until evaluated).

    Parameters
    ----------
    content : iterable of deap.gp.Primitive or deap.gp.Terminal
        The nodes, in prefix order.

    Attributes
    ----------
    fitness : FitnessMax
        The single-objective fitness (invalid until evaluated).
    key : str or None
        `gp.primitives.canonical_key` of the tree once evaluated.
    """

    def __init__(self, content):
        super().__init__(content)
        self.fitness = FitnessMax()
        self.key = None

    def __deepcopy__(self, memo=None):   # nodes are never mutated in place: share them
        new = Individual.__new__(Individual)
        list.extend(new, self)
        fitness = FitnessMax.__new__(FitnessMax)     # Fitness holds only its wvalues tuple
        fitness.wvalues = self.fitness.wvalues
        new.fitness = fitness
        new.key = self.key
        return new


def height(tree) -> int:
    """Depth of a prefix tree (0 = a single terminal); `PrimitiveTree.height` without max() calls.

    Parameters
    ----------
    tree : sequence of deap.gp.Primitive or deap.gp.Terminal
        The nodes, in prefix order.

    Returns
    -------
    int
        The depth.

    Examples
    --------
    >>> from zcgp.gp.primitives import make_pset, parse_tree
    >>> height(parse_tree("add(nwot, plog(nwot))", make_pset(["nwot"])))
    2
    """
    stack, best = [0], 0
    for node in tree:
        depth = stack.pop()
        if depth > best:      # noqa: PLR1730 -- a max() call per node is what this avoids
            best = depth
        if node.arity:
            stack.extend([depth + 1] * node.arity)
    return best


def static_limit(max_depth: int):
    """`deap.gp.staticLimit(height, max_depth)` with the cheap clone above (same random draws):
    a child deeper than `max_depth` is replaced by a random one of the operator's inputs."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            keep = [ind.__deepcopy__() for ind in args]
            new = list(func(*args, **kwargs))
            for i, ind in enumerate(new):
                if len(ind) > max_depth + 1 and height(ind) > max_depth:   # height <= nodes - 1
                    new[i] = random.choice(keep)
            return new
        return wrapper
    return decorator


def _clone(ind: Individual) -> Individual:
    return ind.__deepcopy__()


class _Wrapped:
    __slots__ = ("fitness", "ind")

    def __init__(self, ind):
        self.ind = ind
        self.fitness = FitnessSize((ind.fitness.values[0], len(ind)))


class Engine:
    """Evolves formulas on `dataset` (its train split); `run()`, or `step()` by step.

    Parameters
    ----------
    dataset : Dataset
        The fitness cases (`gp.dataset.Dataset.build`); its terminals are the trees'.
    config : GPConfig
        The engine settings; validated (and clamped, see `GPConfig.validate`) here.
    evaluator : Evaluator, optional
        Scores formulas (default: a serial `Evaluator` of `dataset`).
    initial : tuple of str, default ()
        Formulas (prefix strings) put into the initial population before the random trees
        (a seeded start, e.g. adapting a formula to new labels); at most `population` are used.

    Attributes
    ----------
    population : list of Individual
        The current population.
    cache : dict of str to Entry
        Every formula evaluated, by canonical key.
    hof : HallOfFame
        The best distinct formulas.
    front_size, front_cost : ParetoFront
        Fitness against size, and against proxy cost.
    logbook : list of dict
        One row per completed generation (see `step`).
    generation : int
        The last completed generation (-1 before the initial population, 0 after it).

    Raises
    ------
    ZcgpError
        When `config` is invalid or the dataset's terminals cannot be terminals.

    Examples
    --------
    >>> from zcgp.fitness.sources import load_tasks
    >>> from zcgp.gp.dataset import Dataset, select_terminals
    >>> tasks = load_tasks("nb201/cifar10")
    >>> terminals, _ = select_terminals(tasks)
    >>> engine = Engine(Dataset.build(tasks, terminals), GPConfig(population=20, generations=2, seed=1)).run()
    >>> engine.generation, len(engine.logbook)
    (2, 3)
    >>> engine.best.fitness == engine.logbook[-1]["hof_best"]
    True
    """

    def __init__(self, dataset: Dataset, config: GPConfig, evaluator: Evaluator | None = None,
                 initial: tuple = ()):
        self.dataset = dataset
        self.initial = tuple(initial)
        self.config = config.validate()
        self.evaluator = evaluator or Evaluator(dataset)
        self.pset = make_pset(dataset.terminals)
        self.random_state = random.Random(config.seed).getstate()
        self.population: list[Individual] = []
        self.cache: dict[str, Entry] = {}
        self.hof = HallOfFame(config.hof_size)
        self.front_size = ParetoFront("size")
        self.front_cost = ParetoFront("cost")
        self.logbook: list[dict] = []
        self.generation = -1        # last completed generation; 0 = initial population
        self.evaluations = 0        # distinct formulas scored
        self.lookups = 0            # individuals that needed a fitness
        self.elapsed = 0.0          # seconds spent in step(), summed over resumes
        self._setup_operators()

    # ---- operators -------------------------------------------------------------------
    def _setup_operators(self) -> None:
        limit = static_limit(self.config.max_depth)
        pset = self.pset
        self.mate = limit(gp.cxOnePoint)
        expr = functools.partial(gp.genFull, min_=0, max_=2)
        self.mutations = [
            (name, weight, limit(op)) for name, weight, op in (
                ("uniform", MUTATIONS["uniform"], functools.partial(gp.mutUniform, expr=expr, pset=pset)),
                ("node", MUTATIONS["node"], functools.partial(gp.mutNodeReplacement, pset=pset)),
                ("insert", MUTATIONS["insert"], functools.partial(gp.mutInsert, pset=pset)),
                ("shrink", MUTATIONS["shrink"], gp.mutShrink),
                ("ephemeral", MUTATIONS["ephemeral"], functools.partial(gp.mutEphemeral, mode="one")),
            )
        ]
        self._mutation_total = sum(w for _, w, _ in self.mutations)

    def mutate(self, ind: Individual) -> Individual:
        """One of the five mutations, drawn by MUTATIONS weight, applied to `ind`.

        Draws from `random`, so call it inside the engine's stream (as `step` does).

        Parameters
        ----------
        ind : Individual
            The parent (changed in place by DEAP; pass a clone).

        Returns
        -------
        Individual
            The child, within the depth limit.
        """
        r = random.random() * self._mutation_total
        for _, weight, op in self.mutations:  # noqa: B007 -- the op chosen is used after the loop
            if r < weight:
                break
            r -= weight
        (child,) = op(ind)
        return child

    def _new_individual(self) -> Individual:
        c = self.config
        return Individual(gp.genHalfAndHalf(self.pset, min_=c.init_min_depth, max_=c.init_max_depth))

    def random_individuals(self, count: int) -> list[Individual]:
        """`count` ramped half-and-half trees drawn from the engine's own random stream.

        Parameters
        ----------
        count : int
            The number of trees.

        Returns
        -------
        list of Individual
            Unevaluated trees of depth in [init_min_depth, init_max_depth].
        """
        with self._random():
            return [self._new_individual() for _ in range(count)]

    @contextmanager
    def _random(self):
        rng = random.Random()
        rng.setstate(self.random_state)
        try:
            with engine_random(rng):
                yield
        finally:
            self.random_state = rng.getstate()

    # ---- evaluation ------------------------------------------------------------------
    def evaluate(self, individuals) -> list[Entry]:
        """Give every individual without a fitness one; returns the newly scored entries.

        Formulas already in the cache are not scored again; the archives take the new entries
        that rank something.

        Parameters
        ----------
        individuals : iterable of Individual
            The individuals; each gets its `key` and fitness.

        Returns
        -------
        list of Entry
            The formulas scored by this call (new to the cache).
        """
        pending = [ind for ind in individuals if not ind.fitness.valid]
        keys = [canonical_key(ind) for ind in pending]
        fresh: dict[str, Individual] = {}
        for ind, key in zip(pending, keys):
            if key not in self.cache and key not in fresh:
                fresh[key] = ind
        codes = [to_code(ind) for ind in fresh.values()]
        scores = self.evaluator(codes)
        new_entries = []
        for (key, ind), code, row in zip(fresh.items(), codes, scores):
            entry = Entry(key, self.dataset.aggregate(row), len(ind), height(ind), self.dataset.cost(code),
                          tuple(float(x) for x in row))
            self.cache[key] = entry
            new_entries.append(entry)
        for ind, key in zip(pending, keys):
            ind.key = key
            ind.fitness.values = (self.cache[key].fitness,)
        self.evaluations += len(fresh)
        self.lookups += len(pending)
        ranking = [e for e, code in zip(new_entries, codes) if self._ranks(e, code)]
        for archive in (self.hof, self.front_size, self.front_cost):
            archive.update(ranking)
        return new_entries

    def _ranks(self, entry: Entry, code) -> bool:
        """False for formulas the engine must never emit: constant or non-finite on every task
        (gp.hygiene), or defined on none; they keep their WORST fitness but stay out of the archives."""
        if entry.fitness > WORST:
            return True
        if not any(math.isfinite(x) for x in entry.per_task):
            return False
        return degeneracy(self.dataset, code) is None

    # ---- one generation ----------------------------------------------------------------
    def _parent_picker(self):
        """n -> n parents: DEAP tournaments, or a queue drawn by epsilon-lexicase."""
        c, pop = self.config, self.population
        if c.parents == "tournament":
            return lambda n: tools.selTournament(pop, n, tournsize=c.tournament)
        cases = np.array([self.dataset.lexicase_cases(self.cache[ind.key].per_task) for ind in pop])
        queue = iter(epsilon_lexicase(cases, 2 * c.lam, random.getrandbits(63)).tolist())
        return lambda n: [pop[next(queue)] for _ in range(n)]

    def _offspring(self) -> list[Individual]:
        c = self.config
        pop = self.population
        pick = self._parent_picker()
        out = []
        for _ in range(c.lam):
            r = random.random()
            if r < c.cx_prob and len(pop) > 1:
                p1, p2 = pick(2)
                child, _ = self.mate(_clone(p1), _clone(p2))
            elif r < c.cx_prob + c.mut_prob:
                (parent,) = pick(1)
                child = self.mutate(_clone(parent))
            else:
                (parent,) = pick(1)
                out.append(_clone(parent))
                continue
            del child.fitness.values
            child.key = None
            out.append(child)
        return out

    def _survivors(self, candidates: list[Individual]) -> list[Individual]:
        c = self.config
        distinct = list({ind.key: ind for ind in reversed(candidates)}.values())[::-1]
        if len(distinct) >= c.population:      # duplicates only when too few distinct formulas
            candidates = distinct
        ordered = sorted(candidates, key=lambda ind: (-ind.fitness.values[0], len(ind), ind.key))
        elites, seen = [], set()
        for ind in ordered:
            if len(elites) >= c.elite:
                break
            if ind.key not in seen:
                seen.add(ind.key)
                elites.append(ind)
        k = c.population - len(elites)
        if c.survivors == "nsga2":
            rest = [w.ind for w in tools.selNSGA2([_Wrapped(i) for i in candidates], k)]
        else:
            rest = tools.selDoubleTournament(candidates, k, fitness_size=c.tournament,
                                             parsimony_size=c.parsimony, fitness_first=True)
        return [_clone(i) for i in elites + rest]

    def _record(self, evaluated: int, seconds: float) -> dict:
        fit = np.array([ind.fitness.values[0] for ind in self.population])
        sizes = np.array([len(ind) for ind in self.population])
        best = min(self.population, key=lambda ind: (-ind.fitness.values[0], len(ind), ind.key))
        row = {
            "gen": self.generation, "evals": evaluated, "distinct": len({i.key for i in self.population}),
            "best": float(fit.max()), "mean": float(fit.mean()), "median": float(np.median(fit)),
            "std": float(fit.std()), "size_best": len(best), "size_mean": float(sizes.mean()),
            "depth_max": max(self.cache[ind.key].depth for ind in self.population),
            "hof_best": self.hof[0].fitness if len(self.hof) else None, "seconds": round(seconds, 4),
        }
        self.logbook.append(row)
        return row

    def step(self) -> dict:
        """Run generation ``self.generation + 1`` (0 = create the initial population).

        Returns
        -------
        dict
            The generation's logbook row: "gen", "evals" (new formulas scored), "distinct",
            "best", "mean", "median", "std" (population fitness), "size_best", "size_mean",
            "depth_max", "hof_best" and "seconds".
        """
        start = time.perf_counter()
        if self.generation < 0:
            seeded = [parse_tree(s, self.pset, Individual) for s in self.initial][:self.config.population]
            self.population = seeded + self.random_individuals(self.config.population - len(seeded))
            new = self.evaluate(self.population)
        else:
            with self._random():
                offspring = self._offspring()
            new = self.evaluate(offspring)       # draws nothing: outside the engine's stream
            with self._random():
                self.population = self._survivors(self.population + offspring)
        self.generation += 1
        seconds = time.perf_counter() - start
        self.elapsed += seconds
        return self._record(len(new), seconds)

    @property
    def done(self) -> bool:
        """Whether `config.generations` generations have run."""
        return self.generation >= self.config.generations

    def run(self, on_generation=None, quiet: bool = True) -> Engine:
        """Step until `config.generations`, calling `on_generation(engine)` after each.

        Inside `gp.interrupt.stop_on_signals()` a SIGINT / SIGTERM raises `Interrupted` after
        the generation in progress and its `on_generation`.

        Parameters
        ----------
        on_generation : callable, optional
            Called with the engine after every generation (e.g. to write a checkpoint).
        quiet : bool, default True
            Hide the progress bar (shown on stderr otherwise).

        Returns
        -------
        Engine
            self.

        Raises
        ------
        Interrupted
            On a signal inside `gp.interrupt.stop_on_signals()`.
        """
        from tqdm import tqdm
        bar = tqdm(total=self.config.generations + 1, initial=self.generation + 1, disable=quiet,
                   file=sys.stderr, unit="gen", dynamic_ncols=True, leave=True)
        try:
            with self.evaluator:
                while not self.done:
                    try:
                        row = self.step()
                    except Exception:
                        if interrupt.requested() is None:
                            raise
                        interrupt.raise_if_requested(self.generation)    # last checkpoint stands
                    if on_generation is not None:
                        on_generation(self)
                    interrupt.raise_if_requested(self.generation)
                    bar.set_postfix_str(f"gen {row['gen']} best {row['best']:.4f} "
                                        f"mean {row['mean']:.4f} size {row['size_best']}")
                    bar.update(1)
        finally:
            bar.close()
        return self

    # ---- results -------------------------------------------------------------------------
    @property
    def best(self) -> Entry:
        """The best archived formula (the hall of fame's first).

        Raises
        ------
        ZcgpError
            When no formula of the run ranks the architectures.
        """
        if not len(self.hof):
            raise ZcgpError("no formula of this run ranks the architectures (every one evaluated was "
                            "constant or non-finite on every task); try more generations or other proxies")
        return self.hof[0]

    def tree(self, key: str) -> gp.PrimitiveTree:
        """The tree of an archived formula.

        Parameters
        ----------
        key : str
            A canonical key (e.g. `Entry.key`).

        Returns
        -------
        Individual
            The tree over the engine's primitive set (unevaluated).

        Raises
        ------
        ZcgpError
            When `key` is not a tree over the engine's primitive set.
        """
        return parse_tree(key, self.pset, Individual)

    # ---- state -------------------------------------------------------------------------
    def state(self) -> dict:
        """Plain-data state for a checkpoint (see gp.checkpoint).

        Returns
        -------
        dict
            Config, data description and fingerprint, generation, random state, population,
            cache, archives, logbook and counters; `restore` continues from it exactly.
        """
        return {
            "config": asdict(self.config),
            "dataset": self.dataset.description,
            "fingerprint": self.dataset.fingerprint(),
            "generation": self.generation,
            "random_state": self.random_state,
            "population": [str(ind) for ind in self.population],
            "cache": [(e.key, e.fitness, e.size, e.depth, e.cost, e.per_task) for e in self.cache.values()],
            "hof": [e.key for e in self.hof],
            "front_size": [e.key for e in self.front_size],
            "front_cost": [e.key for e in self.front_cost],
            "logbook": self.logbook,
            "counters": {"evaluations": self.evaluations, "lookups": self.lookups, "elapsed": self.elapsed},
        }

    @classmethod
    def restore(cls, state: dict, dataset: Dataset, evaluator: Evaluator | None = None,
                generations: int | None = None, where: str = "checkpoint") -> Engine:
        """Rebuild an engine from `state()`; `generations` may extend the run.

        Parameters
        ----------
        state : dict
            The output of `state()` (e.g. from `gp.checkpoint.load_checkpoint`).
        dataset : Dataset
            The same data as the run's (checked by fingerprint).
        evaluator : Evaluator, optional
            Scores formulas (default: a serial one).
        generations : int, optional
            A new total number of generations (at least the generations done).
        where : str, default "checkpoint"
            What the state came from, named in errors.

        Returns
        -------
        Engine
            The engine, ready to `run` on.

        Raises
        ------
        ZcgpError
            When the state was written for other data or settings, is corrupt, or is already
            past `generations`.
        """
        try:
            config = GPConfig.from_dict(state["config"])
            if generations is not None:
                config.generations = generations
            if state["fingerprint"] != dataset.fingerprint():
                raise ZcgpError(f"{where} was written for different data or settings "
                                f"({state['dataset'].get('tasks')}); cannot resume")
            engine = cls(dataset, config, evaluator)
            engine.random_state = _as_random_state(state["random_state"])
            engine.generation = int(state["generation"])
            for key, fit, size, depth, cost, per_task in state["cache"]:
                engine.cache[key] = Entry(key, float(fit), int(size), int(depth), float(cost),
                                          tuple(float(x) for x in per_task))
            for name, archive in (("hof", engine.hof), ("front_size", engine.front_size),
                                  ("front_cost", engine.front_cost)):
                archive.update(engine.cache[k] for k in state[name])
            engine.population = [parse_tree(s, engine.pset, Individual) for s in state["population"]]
            for ind in engine.population:
                ind.key = canonical_key(ind)
                ind.fitness.values = (engine.cache[ind.key].fitness,)
            engine.logbook = [dict(r) for r in state["logbook"]]
            counters = state["counters"]
            engine.evaluations = int(counters["evaluations"])
            engine.lookups = int(counters["lookups"])
            engine.elapsed = float(counters["elapsed"])
        except ZcgpError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ZcgpError(f"{where} is corrupt: bad or missing field ({type(exc).__name__}: {exc})") from None
        if config.generations < engine.generation:
            raise ZcgpError(f"{where} is at generation {engine.generation}; "
                            f"--generations {config.generations} is smaller")
        return engine


def _as_random_state(value):
    """random.setstate() wants (int, tuple-of-ints, float|None)."""
    version, internal, gauss = value
    state = (int(version), tuple(int(x) for x in internal), None if gauss is None else float(gauss))
    random.Random().setstate(state)      # validates
    return state
