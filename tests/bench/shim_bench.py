#!/usr/bin/env python3
"""Benchmark of xarch-runtime's cost as a runtime wrapper, as ratios of two commands run
alternately in one process:

  1. passthrough: `xarch-runtime state ID`  vs  `runc state ID`   (target <= 1.02)
  2. create/run:  `xarch-runtime run` vs `runc run` of a native busybox bundle (target <= 1.03)
  3. a docker build RUN step as Docker's BuildKit runs one (DOCKER_BUILDKIT_RUNC_COMMAND):
     `--log F --log-format json run --bundle B --keep ID`, then `delete ID`, native bundle,
     through xarch-runtime vs runc (target <= 1.02)

Each is preceded by the same runtime against itself, so the noise of the machine is printed
beside the ratio it blurs.

Usage (root): shim_bench.py --runtime PATH --make-bundle PATH [--cache DIR] [--runs N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd, cwd=None):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def compare(name, a, b, runs):
    for _ in range(3):
        a(-1)
        b(-1)
    ta, tb, ratios = [], [], []
    for i in range(runs):
        # ABBA order: whichever runs first in a pair is slower here, so take turns.
        if i % 2 == 0:
            x, y = a(i), b(i)
        else:
            y, x = b(i), a(i)
        ta.append(x)
        tb.append(y)
        ratios.append(x / y)
    mr = statistics.median(ratios)
    print("%-40s %8.2f ms  vs %8.2f ms   ratio %.3f" % (name, statistics.median(ta) * 1e3,
                                                          statistics.median(tb) * 1e3, mr))
    return mr


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runtime", required=True, help="the xarch-runtime binary")
    p.add_argument("--make-bundle", required=True)
    p.add_argument("--cache", default=os.path.expanduser("~/.cache/xarch-test-bundles"))
    p.add_argument("--runs", type=int, default=40)
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("shim_bench: needs root (runc)")
    shim = os.path.abspath(args.runtime)
    runc = shutil.which("runc")
    work = tempfile.mkdtemp(prefix="xarch-shim-bench.")
    cid = "xarch-shim-bench-%d" % os.getpid()
    try:
        bundle = os.path.join(work, "native")
        subprocess.run([os.path.abspath(args.make_bundle), "--cache", args.cache, "amd64", bundle, "true"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([runc, "create", cid], cwd=bundle, check=True)
        print("runs per side: %d (alternating, medians)" % args.runs)
        compare("noise floor: runc state vs runc state",
                lambda i: timed([runc, "state", cid]), lambda i: timed([runc, "state", cid]), args.runs)
        r1 = compare("passthrough: xarch-runtime state vs runc state",
                     lambda i: timed([shim, "state", cid]), lambda i: timed([runc, "state", cid]), args.runs)
        subprocess.run([runc, "delete", "-f", cid], check=True)
        compare("noise floor: runc run vs runc run",
                lambda i: timed([runc, "run", "%s-c%d" % (cid, i)], cwd=bundle),
                lambda i: timed([runc, "run", "%s-d%d" % (cid, i)], cwd=bundle), args.runs)
        r2 = compare("native run: xarch-runtime run vs runc run",
                     lambda i: timed([shim, "run", "%s-a%d" % (cid, i)], cwd=bundle),
                     lambda i: timed([runc, "run", "%s-b%d" % (cid, i)], cwd=bundle), args.runs)
        log = os.path.join(work, "runc-log.json")

        def run_step(runtime, name):
            # BuildKit's executor: a foreground run kept for its delete (moby 26, buildkit 0.13).
            start = time.perf_counter()
            subprocess.run([runtime, "--log", log, "--log-format", "json", "run", "--bundle", bundle, "--keep", name],
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run([runtime, "--log", log, "--log-format", "json", "delete", name], check=True)
            return time.perf_counter() - start
        r3 = compare("BuildKit RUN step: xarch-runtime vs runc",
                     lambda i: run_step(shim, "%s-e%d" % (cid, i)), lambda i: run_step(runc, "%s-f%d" % (cid, i)), args.runs)
        print("targets: passthrough <= 1.02 %s, run <= 1.03 %s, BuildKit RUN step <= 1.02 %s" % (
            "met" if r1 <= 1.02 else "MISSED", "met" if r2 <= 1.03 else "MISSED", "met" if r3 <= 1.02 else "MISSED"))
    finally:
        subprocess.run([runc, "delete", "-f", cid], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
