#!/usr/bin/env python3
"""Benchmark of xarch-hook's cost under `runc run`, as ratios of two commands run
alternately in one process (the machines are noisy: never trust a lone absolute time).

  1. native amd64 busybox: prestart hook xarch-hook  vs  prestart hook /bin/true
  2. arm64 busybox, binfmt_misc entry without F (Debian layout, flags OP):
     xarch-hook (prestart) mounting the emulator  vs  the same bind mount written into config.json
     and /bin/true as the prestart hook
     (then, for information, the same with the poststop cleanup hook vs without it)

Usage (root): hook_bench.py --hook PATH --snapshot PATH --make-bundle PATH [--runs N]
Prints the median time of each side and the median ratio; target: ratios <= 1.03. A first line
runs the same bundle on both sides: the machine's noise, to read the other ratios against.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BINFMT = "/proc/sys/fs/binfmt_misc"


def make_bundle(tool, cache, arch, path):
    subprocess.run([tool, "--cache", cache, arch, path, "true"], check=True, stdout=subprocess.DEVNULL)


def edit(path, change):
    with open(path) as f:
        config = json.load(f)
    change(config)
    with open(path, "w") as f:
        json.dump(config, f)


def clone(src, dst, change):
    shutil.copytree(src, dst, symlinks=True)
    edit(os.path.join(dst, "config.json"), change)


def run_once(bundle, n):
    cid = "xarch-bench-%d-%d" % (os.getpid(), n)
    start = time.perf_counter()
    subprocess.run(["runc", "run", cid], cwd=bundle, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def compare(name, a, b, runs):
    """Runs bundles a and b alternately; returns (median a, median b, median of ratios a/b)."""
    for warm in range(3):
        run_once(a, -1 - 2 * warm)
        run_once(b, -2 - 2 * warm)
    ta, tb, ratios = [], [], []
    for i in range(runs):
        # ABBA order: whichever runs first in a pair is slower here, so take turns.
        if i % 2 == 0:
            x = run_once(a, 2 * i)
            y = run_once(b, 2 * i + 1)
        else:
            y = run_once(b, 2 * i + 1)
            x = run_once(a, 2 * i)
        ta.append(x)
        tb.append(y)
        ratios.append(x / y)
    ma, mb, mr = statistics.median(ta), statistics.median(tb), statistics.median(ratios)
    print("%-44s %8.2f ms  vs %8.2f ms   ratio %.3f" % (name, ma * 1e3, mb * 1e3, mr))
    return mr


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hook", required=True)
    p.add_argument("--snapshot", required=True, help="the binfmt_snapshot test tool")
    p.add_argument("--make-bundle", required=True)
    p.add_argument("--cache", default=os.path.expanduser("~/.cache/xarch-test-bundles"))
    p.add_argument("--runs", type=int, default=40)
    args = p.parse_args()
    args.hook, args.snapshot, args.make_bundle = (os.path.abspath(x) for x in (args.hook, args.snapshot, args.make_bundle))
    if os.geteuid() != 0:
        sys.exit("hook_bench: needs root (runc, binfmt_misc)")

    work = tempfile.mkdtemp(prefix="xarch-bench.")
    saved = os.path.join(work, "binfmt.json")
    subprocess.run([args.snapshot, "save", saved], check=True)
    try:
        settings = os.path.join(work, "settings.json")
        with open(settings, "w") as f:
            json.dump({"state_dir": os.path.join(work, "state"), "log_level": "warn"}, f)

        def hook(stage):
            return {"path": args.hook, "args": ["xarch-hook", "--config", settings, stage]}

        make_bundle(args.make_bundle, args.cache, "amd64", os.path.join(work, "native"))
        clone(os.path.join(work, "native"), os.path.join(work, "native-hook"),
              lambda c: c.update(hooks={"prestart": [hook("prestart")]}))
        clone(os.path.join(work, "native"), os.path.join(work, "native-true"),
              lambda c: c.update(hooks={"prestart": [{"path": "/bin/true"}]}))

        subprocess.run([args.snapshot, "clear"], check=True)
        with open("/usr/lib/binfmt.d/qemu-aarch64.conf") as f:
            line = f.read().strip()
        assert line.endswith(":OPF")
        with open(os.path.join(BINFMT, "register"), "w") as f:
            f.write(line[:-1])  # flags OP: the emulator must be inside the container
        target = "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"
        make_bundle(args.make_bundle, args.cache, "arm64", os.path.join(work, "arm64"))
        clone(os.path.join(work, "arm64"), os.path.join(work, "arm64-hook"),
              lambda c: c.update(hooks={"prestart": [hook("prestart")]}))
        clone(os.path.join(work, "arm64"), os.path.join(work, "arm64-hook-cleanup"),
              lambda c: c.update(hooks={"prestart": [hook("prestart")], "poststop": [hook("poststop")]}))
        os.makedirs(os.path.join(work, "arm64", "rootfs", os.path.dirname(target[1:])), exist_ok=True)
        open(os.path.join(work, "arm64", "rootfs", target[1:]), "w").close()
        # The hand-made side keeps a /bin/true prestart hook, as in the native comparison: runc's
        # own cost of running any hook (fork, exec, wait: ~2 ms here) is not xarch's.
        def by_hand(c):
            c["mounts"].append({"destination": target, "type": "bind",
                                "source": os.path.realpath("/usr/bin/qemu-aarch64-static"),
                                "options": ["bind", "ro", "nosuid", "nodev", "rprivate"]})
            c["hooks"] = {"prestart": [{"path": "/bin/true"}]}
        clone(os.path.join(work, "arm64"), os.path.join(work, "arm64-hand"), by_hand)

        print("runs per side: %d (alternating, medians)" % args.runs)
        compare("noise floor: /bin/true vs /bin/true", os.path.join(work, "native-true"),
                os.path.join(work, "native-true"), args.runs)
        r1 = compare("native: xarch-hook vs /bin/true", os.path.join(work, "native-hook"),
                     os.path.join(work, "native-true"), args.runs)
        r2 = compare("arm64: xarch-hook mount vs mount in config", os.path.join(work, "arm64-hook"),
                     os.path.join(work, "arm64-hand"), args.runs)
        compare("arm64: with poststop cleanup vs without", os.path.join(work, "arm64-hook-cleanup"),
                os.path.join(work, "arm64-hook"), args.runs)
        print("target <= 1.03: native %s, arm64 %s" % ("met" if r1 <= 1.03 else "MISSED",
                                                       "met" if r2 <= 1.03 else "MISSED"))
    finally:
        subprocess.run([args.snapshot, "restore", saved], check=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
