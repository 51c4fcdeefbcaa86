"""The architecture search behind `zcgp.search`: what it maximizes and what it costs.

`objectives` (formula, hand-crafted proxy, random; the measures they read), `choice` (which
formula of a run fits the budget), `cost` (seconds per network on this machine), `cache`
(reference values and costs on disk), `benchmark` (the true accuracy of a found network,
read only to report). The aging evolution itself is `zcgp.spaces.search`; the proxies are
`zcgp.proxies`.
"""
