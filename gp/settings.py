"""The settings of a run, each with its one default: `GPConfig` (the engine) and
`EvolveSettings` (what is evolved on and how the final formula is chosen).

`zcgp evolve`, `zcgp.evolve`, `zcgp bench transfer`, `ProxyRegressor` and the checkpoint all
read their defaults from these two dataclasses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

from zcgp.errors import ZcgpError
from zcgp.fitness.aggregate import AGGREGATIONS, check_aggregation
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION
from zcgp.fitness.transforms import DEFAULT_TRANSFORM, TRANSFORMS
from zcgp.gp.dataset import TERMINAL_SETS, Dataset, check_missing
from zcgp.gp.lexicase import PARENT_SELECTIONS

# survivor selection: double tournament (fitness, then size) or NSGA-II on (fitness, size)
SURVIVORS = ("double-tournament", "nsga2")
# how the final formula is chosen (gp.final): best train fitness; best score on an inner
# validation part of the train split; the best under the size cap that wins an inner
# leave-one-space-out on the training spaces
FINAL_SELECTIONS = ("train", "validation", "inner-loso")

__all__ = ["FINAL_SELECTIONS", "RUN_FIELDS", "SURVIVORS", "TERMINAL_SETS", "EvolveSettings", "GPConfig", "option_names"]


@dataclass
class GPConfig:
    """Engine settings of one evolution (the defaults are `zcgp evolve`'s).

    Parameters
    ----------
    population : int
        mu, the survivors per generation.
    generations : int
        Generations after the initial population.
    offspring : int
        lambda, children per generation; 0 means `population`.
    max_depth : int
        Tree depth limit, enforced on every operator (2-17).
    init_min_depth, init_max_depth : int
        Depth range of the ramped half-and-half initial trees.
    cx_prob, mut_prob : float
        Probability that a child comes from crossover or from a mutation (sum <= 1; the rest
        are copies).
    tournament : int
        Tournament size of parent and survivor selection.
    parsimony : float
        Size tournament of the double tournament, in [1, 2].
    survivors : str
        Survivor selection, one of SURVIVORS.
    elite : int
        Best distinct formulas always kept.
    hof_size : int
        Hall-of-fame size.
    seed : int
        Seed of the engine's random stream.
    parents : str
        Parent selection, one of `gp.lexicase.PARENT_SELECTIONS`.

    Examples
    --------
    >>> config = GPConfig(population=100, generations=10, seed=3)
    >>> config.lam
    100
    >>> GPConfig.from_dict({"population": 50, "not_a_field": 1}).population
    50
    >>> GPConfig(max_depth=20).validate()
    Traceback (most recent call last):
    ...
    zcgp.errors.ZcgpError: --max-depth must lie in [2, 17]
    """

    population: int = 2000
    generations: int = 40
    offspring: int = 0              # lambda; 0 = same as population
    max_depth: int = 7
    init_min_depth: int = 1
    init_max_depth: int = 4
    cx_prob: float = 0.5
    mut_prob: float = 0.45
    tournament: int = 3
    parsimony: float = 1.4
    survivors: str = "double-tournament"   # survivor selection: SURVIVORS
    elite: int = 3
    hof_size: int = 20
    seed: int = 0
    parents: str = "tournament"     # parent selection: tournament or epsilon-lexicase

    def validate(self) -> GPConfig:
        """Check every field; clamp `elite` to `population` and the initial depths to `max_depth`.

        Returns
        -------
        GPConfig
            self.

        Raises
        ------
        ZcgpError
            The first field out of range, named by its command-line option.
        """
        checks = [
            (self.population >= 2, "--population must be at least 2"),
            (self.generations >= 0, "--generations must be >= 0"),
            (self.offspring >= 0, "--offspring must be >= 0"),
            (2 <= self.max_depth <= 17, "--max-depth must lie in [2, 17]"),
            (0 <= self.init_min_depth <= self.init_max_depth, "need 0 <= init min depth <= init max depth"),
            (self.cx_prob >= 0.0 and self.mut_prob >= 0.0 and self.cx_prob + self.mut_prob <= 1.0,
             "--cx-prob and --mut-prob must be >= 0 and sum to at most 1"),
            (self.tournament >= 1, "--tournament must be >= 1"),
            (1.0 <= self.parsimony <= 2.0, "--parsimony must lie in [1, 2]"),
            (self.survivors in SURVIVORS, f"--survivors must be one of {', '.join(SURVIVORS)}"),
            (self.elite >= 0, "--elite must be >= 0"),
            (self.hof_size >= 1, "--hof-size must be >= 1"),
            (self.parents in PARENT_SELECTIONS, f"--parents must be one of {', '.join(PARENT_SELECTIONS)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ZcgpError(message)
        self.elite = min(self.elite, self.population)
        self.init_max_depth = min(self.init_max_depth, self.max_depth)
        self.init_min_depth = min(self.init_min_depth, self.init_max_depth)
        return self

    @property
    def lam(self) -> int:
        """lambda, the children per generation: `offspring`, or `population` when 0."""
        return self.offspring or self.population

    @classmethod
    def from_dict(cls, d: dict) -> GPConfig:
        """A config from a dict of fields (e.g. a checkpoint's); unknown keys are ignored.

        Parameters
        ----------
        d : dict
            {field name: value}.

        Returns
        -------
        GPConfig
            The config (not validated).
        """
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})




RUN_FIELDS = ("metric", "transform", "missing", "train_fraction", "proxies", "terminal_set", "select",
              "aggregation", "aggregation_k", "case_splits", "inner_scale")


@dataclass
class EvolveSettings:
    """What a run evolves on and how it picks its final formula (defaults: `zcgp evolve`'s).

    Parameters
    ----------
    metric : str
        Fitness per task, one of `fitness.families.FITNESS_METRICS`.
    transform : str
        Input transform of every proxy within each task's scored set (`fitness.transforms`).
    missing : str
        What a proxy absent from some tasks becomes (`gp.dataset.MISSING_MODES`).
    train_fraction : float
        Share of each task evolved on; the rest is its test split.
    proxies : tuple of str or None
        Restrict the terminals to these proxies.
    terminal_set : str
        "all", or "heldout": only the proxies every held-out task has.
    select : str
        How the final formula is chosen, one of FINAL_SELECTIONS.
    aggregation, aggregation_k : str, float
        How per-task scores become one fitness (`fitness.aggregate`).
    case_splits : int
        Lexicase cases per task (0: the tasks themselves).
    inner_scale : float
        Population and generations of each inner leave-one-space-out run (select
        "inner-loso"), as a share of the main run's (in (0, 1]).
    gp : GPConfig
        The engine settings.
    """

    metric: str = "kendall"
    transform: str = DEFAULT_TRANSFORM
    missing: str = "impute"
    train_fraction: float = DEFAULT_TRAIN_FRACTION
    proxies: tuple | None = None
    terminal_set: str = "all"
    select: str = "inner-loso"
    aggregation: str = "mean"
    aggregation_k: float = 1.0
    case_splits: int = 0
    inner_scale: float = 0.5
    gp: GPConfig = field(default_factory=GPConfig)

    @classmethod
    def from_options(cls, **options) -> EvolveSettings:
        """Settings from keyword options: run fields (RUN_FIELDS) and GPConfig fields by name.

        Parameters
        ----------
        **options
            Run fields and GPConfig fields; None means the default. `proxies` may be a comma
            list.

        Returns
        -------
        EvolveSettings
            The settings (not validated).

        Raises
        ------
        ZcgpError
            When an option name is unknown (the message lists the known ones).

        Examples
        --------
        >>> s = EvolveSettings.from_options(metric="spearman", population=50, proxies="nwot,synflow")
        >>> s.metric, s.gp.population, s.proxies
        ('spearman', 50, ('nwot', 'synflow'))
        """
        gp_names = [f.name for f in fields(GPConfig)]
        unknown = sorted(set(options) - set(RUN_FIELDS) - set(gp_names))
        if unknown:
            raise ZcgpError(f"unknown option '{unknown[0]}'; known: {', '.join(option_names())}")
        run = {k: v for k, v in options.items() if k in RUN_FIELDS and v is not None}
        engine = {k: v for k, v in options.items() if k in gp_names and v is not None}
        if isinstance(run.get("proxies"), str):
            run["proxies"] = tuple(p.strip() for p in run["proxies"].split(",") if p.strip()) or None
        elif run.get("proxies") is not None:
            run["proxies"] = tuple(run["proxies"])
        return cls(**run, gp=GPConfig(**engine))

    def validate(self) -> EvolveSettings:
        """Check every field, and the engine settings.

        Returns
        -------
        EvolveSettings
            self.

        Raises
        ------
        ZcgpError
            The first field out of range or not one of its choices.
        """
        choices = (("metric", FITNESS_METRICS), ("transform", TRANSFORMS), ("terminal_set", TERMINAL_SETS),
                   ("select", FINAL_SELECTIONS), ("aggregation", AGGREGATIONS))
        for name, allowed in choices:
            if getattr(self, name) not in allowed:
                raise ZcgpError(f"unknown {name.replace('_', ' ')} '{getattr(self, name)}'; "
                                f"choose from {', '.join(allowed)}")
        check_missing(self.missing)
        check_aggregation(self.aggregation, self.aggregation_k)
        if not 0.0 < self.inner_scale <= 1.0:
            raise ZcgpError(f"--inner-scale must lie in (0, 1], got {self.inner_scale}")
        if not 0.0 < self.train_fraction < 1.0:
            raise ZcgpError(f"train fraction must lie in (0, 1), got {self.train_fraction}")
        self.gp.validate()
        return self

    def run_dict(self) -> dict:
        """The run fields as plain data (checkpointed; `proxies` as a list).

        Returns
        -------
        dict
            {run field: value} for every name of RUN_FIELDS.
        """
        out = {k: getattr(self, k) for k in RUN_FIELDS}
        out["proxies"] = None if self.proxies is None else list(self.proxies)
        return out

    def inner(self) -> EvolveSettings:
        """The settings of an inner leave-one-space-out run: the budget scaled by inner_scale.

        Returns
        -------
        EvolveSettings
            A copy with population and generations times `inner_scale` (at least 2 and 1) and
            select "train".
        """
        gp = replace(self.gp, population=max(2, round(self.inner_scale * self.gp.population)),
                     generations=max(1, round(self.inner_scale * self.gp.generations)))
        return replace(self, gp=gp, select="train")

    def with_seed(self, seed: int) -> EvolveSettings:
        """A copy whose engine seed is `seed`.

        Parameters
        ----------
        seed : int
            The engine seed.

        Returns
        -------
        EvolveSettings
            The copy (this object is unchanged).
        """
        return replace(self, gp=replace(self.gp, seed=int(seed)))

    def dataset(self, tasks, terminals, seed: int, part: str = "train") -> Dataset:
        """The tasks' `part` split as the fitness cases of this run.

        Parameters
        ----------
        tasks : sequence of Task
            The tasks.
        terminals : sequence of str
            The terminals.
        seed : int
            The split seed.
        part : str, default "train"
            One of `gp.dataset.PARTS`.

        Returns
        -------
        Dataset
            Built with this run's fraction, transform, metric, missing mode, aggregation and
            lexicase cases.

        Raises
        ------
        ZcgpError
            As `gp.dataset.Dataset.build`.
        """
        return Dataset.build(tasks, terminals, part, seed, self.train_fraction, self.transform, self.metric,
                             missing=self.missing, aggregation=self.aggregation,
                             aggregation_k=self.aggregation_k, case_splits=self.case_splits)

    def to_dict(self) -> dict:
        """Every setting as plain data.

        Returns
        -------
        dict
            `run_dict()` plus "gp": the GPConfig fields.
        """
        return {**self.run_dict(), "gp": asdict(self.gp)}


def option_names() -> tuple[str, ...]:
    """Every option name `zcgp.evolve(**options)` accepts besides its own parameters.

    Returns
    -------
    tuple of str
        The run fields but "metric", then the GPConfig fields but population, generations
        and seed.
    """
    return (*(f for f in RUN_FIELDS if f != "metric"),
            *(f.name for f in fields(GPConfig) if f.name not in ("population", "generations", "seed")))

