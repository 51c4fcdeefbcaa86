"""The benchmarks behind `zcgp bench NAME`: each measures a fast path and its reference side by
side in one run.

`engine` (the GP engine against a naive DEAP loop), `gplearn_anchor` (zcgp against gplearn on
one job), `scale` (synthetic tasks of growing size), `proxy_agreement` (fresh proxies against
the tables), `transfer` (leave-one-space-out), `search` (searches with every objective).
"""
