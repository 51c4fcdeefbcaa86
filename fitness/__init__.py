"""Benchmark tables, tasks, splits and rank-correlation fitness (numpy only, no torch)."""

from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.tasks import Task, load_tasks, task_ids

__all__ = ["Task", "ZcgpError", "load_tasks", "task_ids"]
