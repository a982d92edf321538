"""``python -m helpers.scale parquet|features ...``: make a Parquet world, or its feature table on an engine."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..data import load_world
from .engines import ENGINES
from .parquet import read_parquet_world, write_parquet
from .tables import customer_features

def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.scale parquet|features ...``: make a Parquet world, or its feature table on an engine."""
    parser = argparse.ArgumentParser(prog="python -m helpers.scale", description="When one laptop is not enough: a world as Parquet, and its feature table on DuckDB or Spark")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("parquet", help="validate a world folder (CSV) and write it as Parquet")
    make.add_argument("--world", required=True, help="a world folder of CSV files (python -m helpers.world), or one "
                                                     "this command wrote (to make copies of it)")
    make.add_argument("--out", required=True, help="the Parquet folder to write")
    make.add_argument("--copies", type=int, default=1, help="write the world this many times over, ids shifted")
    features = commands.add_parser("features", help="the customer feature table of a Parquet world, on one engine")
    features.add_argument("--data", required=True, help="a Parquet folder written by the parquet command")
    features.add_argument("--engine", choices=ENGINES, default="duckdb")
    features.add_argument("--out", required=True, help="the Parquet file (DuckDB, pandas) or folder (Spark) to write")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.command == "parquet":
        if (Path(args.world) / "orders.parquet").exists():
            world = read_parquet_world(args.world)
        else:
            world = load_world(args.world)
            print(world.report, file=sys.stderr)
        write_parquet(world, args.out, copies=args.copies)
    else:
        customer_features(args.data, args.engine, out=args.out)
    print(f"{args.command}: {time.perf_counter() - start:.1f} s -> {args.out}", file=sys.stderr)
    return 0
