"""zcgp: evolve zero-cost proxies for neural architecture search with genetic programming.

Subpackages: `zcgp.spaces` (search spaces, aging evolution), `zcgp.proxies` (batched torch
proxies), `zcgp.fitness` (tables, splits, rank correlation, baselines), `zcgp.gp` (the DEAP
engine, export) and `zcgp.scripts` (the `zcgp` command line).
"""

__version__ = "0.1.0"
