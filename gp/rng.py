"""The engine's private random stream, lent to DEAP while the engine draws.

DEAP's operators call the module-level functions of `random`, i.e. the process-wide
stream, which other code shares: dask's `sizeof` samples long argument lists with
`random.sample` when joblib hands a chunk to a dask worker, and tornado's periodic
callbacks draw jitter in the client's I/O thread. Swapping the global state in and out
let those draws consume the engine's numbers, so a seed gave another run on dask.
Instead, `engine_random(rng)` rebinds the name `random` inside the few modules whose
code the engine runs to the engine's own `random.Random`; any other caller, in any
thread, keeps drawing from the global stream.
"""

from __future__ import annotations

import importlib
import random
import threading
from contextlib import contextmanager

__all__ = ["ENGINE_MODULES", "engine_random"]

# modules whose randomness belongs to the engine (DEAP operators, selection, ephemeral constants)
ENGINE_MODULES = ("deap.gp", "deap.tools.selection", "deap.tools.emo", "deap.tools.crossover",
                  "deap.tools.mutation", "zcgp.gp.primitives", "zcgp.gp.evolution")
_LOCK = threading.RLock()


@contextmanager
def engine_random(rng: random.Random):
    """Within the block, DEAP and the engine draw from `rng` only (one engine at a time).

    The name `random` of each module in ENGINE_MODULES is bound to `rng` and put back on
    exit; a lock keeps a second engine (another thread) out until then.

    Parameters
    ----------
    rng : random.Random
        The engine's own stream.

    Yields
    ------
    random.Random
        `rng`.
    """
    modules = [importlib.import_module(name) for name in ENGINE_MODULES]
    with _LOCK:
        saved = [(m, m.random) for m in modules]
        for m in modules:
            m.random = rng
        try:
            yield rng
        finally:
            for m, original in saved:
                m.random = original
