"""Zero-cost proxies of torch networks, computed in shared passes (see `proxies.compute`).

`import proxies` is torch-free (names and conventions from `proxies.registry`); the torch
parts load on first use of `compute_proxies`, `ProxyResult`, `Failure` or `load_batch`.
"""

from zcgp.proxies.registry import PROXIES, PROXY_NAMES, REQUIRED, ProxySpec, resolve_names

_LAZY = {
    "compute_proxies": "zcgp.proxies.compute",
    "resolve_device": "zcgp.proxies.compute",
    "ProxyResult": "zcgp.proxies.compute",
    "Failure": "zcgp.proxies.compute",
    "load_batch": "zcgp.proxies.data",
}

__all__ = ["PROXIES", "PROXY_NAMES", "REQUIRED", "Failure", "ProxyResult", "ProxySpec", "compute_proxies",
           "load_batch", "resolve_device", "resolve_names"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'proxies' has no attribute '{name}'")
