"""Benchmark tables, tasks, splits and rank-correlation fitness (numpy only, no torch).

Public modules: `tasks` (the Task type, the shipped files), `sources` (`load_tasks`),
`table` (your own long tables), `splits`, `transforms`, `rank` (Kendall, Spearman),
`families` (weighted Kendall, top-p precision, NDCG), `aggregate` (task aggregations),
`baselines` (hand-crafted proxies, ridge, LightGBM).
"""

from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.sources import load_tasks, space_task
from zcgp.fitness.tasks import Task, task_ids

__all__ = ["FITNESS_METRICS", "Task", "load_tasks", "space_task", "task_ids"]
