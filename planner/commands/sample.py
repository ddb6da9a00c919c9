"""``planner sample``: write the sample tenant's files (usage exports, licences, rates, ...)."""

from __future__ import annotations

import argparse

from planner import validate
from planner.errors import InputError

HELP = "generate the sample tenant (usage exports, licences, rates, balance) into a directory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="directory to write (created if needed), e.g. data/sample",
    )
    parser.add_argument(
        "--seed",
        type=validate.seed,
        default=None,
        metavar="N",
        help="generator seed (default: the shipped sample's seed)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from planner.sample import SAMPLE_SEED, write_sample

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(
            "--out {out} is a file; give a directory to write the sample into", out=out
        )
    seed = SAMPLE_SEED if args.seed is None else args.seed
    if seed < 0:
        raise InputError("--seed {seed} is negative; give a whole number >= 0", seed=seed)
    try:
        paths = write_sample(out, seed=seed)
    except OSError as exc:
        raise InputError(
            "cannot write the sample into {out}: {strerror}", out=out, strerror=exc.strerror or exc
        ) from None
    for path in paths:
        print(path)
    return 0
