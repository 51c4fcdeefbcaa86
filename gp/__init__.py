"""Genetic programming of zero-cost proxy formulas (DEAP + numpy; never imports torch).

Modules: ops (protected numpy operators, transforms), primitives (DEAP primitive set, tree
strings and keys), formula (parse/print human formulas), dataset (stacked task tables and
vectorized fitness), parallel (joblib evaluation), evolution (the engine), archive (hall of
fame, Pareto fronts), checkpoint, simplify (sympy), export (proxy.py), report, plots.
"""
