"""Rank unlabeled architectures with a predictor fitted on a few trained ones (few-shot).

--data is a long table of the labeled architectures (one row per (task, arch): a task column,
an arch column, an accuracy column, one column per proxy; the format of `zcgp evolve --data`).
--candidates is a table of the architectures to score, one row each: an arch column and the
same proxy columns, e.g. what `zcgp proxies --archs N --out FILE` writes. The predictor is
fitted on the labeled architectures of one task (--task when --data holds several); its
inputs are the proxies' ranks within each table, and with --features the scores of an evolved
formula (+formula: --proxy, default the evolved suite proxy that never saw the space) and/or an
architecture encoding (+onehot, or +gae: a graph-autoencoder embedding learned without labels).
`zcgp bench fewshot` measures them: ridge over the ranks leads up to 20 labels, the pairwise
MLP with one-hot from 50 on (docs/results/fewshot.md). --blend PROXY mixes the prediction with
a proxy adapted on the same labels (zcgp adapt), each standardized over the candidates: the
pairwise MLP with one-hot blended with a `combine` adaptation ranks the held-out spaces best of
every method measured, from 10 labels on. --blend-weight is the predictor's share (default:
0.25 below 20 labels, 0.5 below 100, then 0.75). Only the labels in --data are read.
Writes --out: the candidates best first, with rank (1 = best) and score before their columns.

examples:
  zcgp predict --data labeled.csv --candidates cands.csv --predictor mlp-pairwise \\
      --features +onehot --out ranked.csv
  zcgp adapt --proxy suite --data labeled.csv --method combine --out runs/adapted
  zcgp predict --data labeled.csv --candidates cands.csv --predictor mlp-pairwise \\
      --features +onehot --blend runs/adapted --out ranked.csv
"""

from __future__ import annotations

import argparse

from zcgp.predicting import predict
from zcgp.predictors import FEATURES, PREDICTORS
from zcgp.scripts.evolve import parse_columns
from zcgp.util import claim_file, format_table


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, metavar="TABLE",
                        help="the labeled architectures (long .csv / .parquet)")
    parser.add_argument("--candidates", required=True, metavar="TABLE",
                        help="the architectures to score: an arch column and the proxy columns (.csv / .parquet)")
    parser.add_argument("--task", help="the labeled task, when --data holds several (e.g. cifar10)")
    parser.add_argument("--predictor", choices=list(PREDICTORS), default="ridge", help="default: ridge")
    parser.add_argument("--features", choices=[f or "none" for f in FEATURES], default="none",
                        help="inputs besides the proxies' ranks (default: none)")
    parser.add_argument("--proxy", help="the formula of +formula (run directory, proxy file, suite name, formula; "
                                        "default: the evolved suite proxy that never saw the space)")
    parser.add_argument("--proxies", metavar="P,...", help="the proxies whose ranks are inputs (default: every "
                                                           "proxy of the labeled task; none: no proxy, the "
                                                           "--features encoding alone, the candidates need only "
                                                           "an arch column)")
    parser.add_argument("--blend", metavar="PROXY", help="a proxy to blend the prediction with (run directory, "
                                                        "proxy file, suite name, formula), e.g. zcgp adapt's on "
                                                        "the same labels; the candidates need its proxies")
    parser.add_argument("--blend-weight", type=float, metavar="W",
                        help="the predictor's share of the blend, in [0, 1] (default: by the number of labels, "
                             "0.25 below 20, 0.5 below 100, then 0.75)")
    parser.add_argument("--space", help="the architectures' space, for +onehot / +gae (default: the task's)")
    parser.add_argument("--columns", metavar="ROLE=NAME,...", help="column roles of --data (task, arch, accuracy)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the predictor and the embedding (default: 0)")
    parser.add_argument("--top", type=int, default=10, help="candidates printed (default: 10)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the ranked candidates (.csv)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")


def run(args: argparse.Namespace) -> int:
    proxies = None if args.proxies is None else [p.strip() for p in args.proxies.split(",")
                                                  if p.strip() and p.strip() != "none"]
    with claim_file(args.out, args.overwrite):
        result = predict(args.data, args.candidates, predictor=args.predictor, features=args.features,
                         proxy=args.proxy, task=args.task, space=args.space, proxies=proxies, seed=args.seed,
                         columns=parse_columns(args.columns), blend=args.blend, blend_weight=args.blend_weight)
        result.to_csv(args.out)
    rows = [[rank, arch, score] for rank, (arch, score) in enumerate(result.top(max(args.top, 0)), start=1)]
    if rows:
        print(format_table(["rank", "arch", "score"], rows))
    encoding = result.features.replace("+formula", "").lstrip("+")
    inputs = [*(["the ranks of " + ", ".join(result.proxies)] if result.proxies else []),
              *([f"formula {result.formula}"] if result.formula else []),
              *([f"encoding {encoding}"] if encoding else [])]
    print(f"\n{result.predictor} fitted on {result.labels['count']} labeled architectures of {result.labels['task']} "
          f"({'; '.join(inputs)}); scored {len(result.archs)} candidates")
    if result.blend:
        by = f"by the {result.labels['count']} labels" if result.blend["weight_by"] == "labels" else "given"
        print(f"blended with {result.blend['proxy']}: the predictor's share {result.blend['weight']:g} ({by}), each "
              "standardized over the candidates")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("predict"))
