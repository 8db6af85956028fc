"""How long ``sockcffi probe`` takes per target (the whole probe: header
search, names, integer check, values from the object file).

    python tools/bench/probe_targets.py [--runs N] [TARGET ...]

TARGET is a triple, 'musl' or 'native' (default: native mips-linux-gnu
aarch64-linux-gnu musl).  Prints the median and slowest of N runs (3) and
how many constants each target has.  Run it with the interpreter of an
installed sockcffi (.venv-cpython/bin/python).
"""
import argparse
import statistics
import time

from sockcffi import targets


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        default=["native", "mips-linux-gnu",
                                 "aarch64-linux-gnu", "musl"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("%-20s %10s %10s %10s" % ("target", "median s", "max s",
                                    "constants"))
    for name in args.targets:
        try:
            target = targets.resolve(name)
        except targets.TargetError as e:
            print("%-20s %s" % (name, e))
            continue
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            records, _ = targets.probe(target)
            times.append(time.perf_counter() - start)
        print("%-20s %10.2f %10.2f %10d" % (name, statistics.median(times),
                                            max(times), len(records)))


if __name__ == "__main__":
    main()
