#!/usr/bin/env python3
"""Decides a lane's cases from its guest's console (WORK/console.log): the arm64 host lane's
and the distro-host lane's (tests/distro-host/lane.sh).

verdict.py [--title TITLE] WORK CASE...
                          judges every CASE, writes WORK/results and WORK/cases/CASE.log (the
                          console between the case's start and its result), prints a table.
verdict.py --case CASE WORK
                          prints one case's result from WORK/results; exit 0 if it passed.

The guest marks lines '@@ t=UPTIME WHAT'. A case passes when the guest printed
'RESULT CASE PASS'; 'status' is judged here from the JSON document the guest printed and the
guest's own facts (which test programs run with what is registered). A case without a result
(the guest hung, crashed or ran out of time) fails. A case that reboots the guest halfway
starts in one boot and ends in the next: its time is not known (uptime starts again).
With XARCH_LANE_CASE_TESTS=1 the exit status says only whether every case has a result (ctest's
per-case tests judge each).
"""
import json
import os
import re
import sys

MARK = re.compile(r"@@ t=([0-9.]+) (.*)")


def parse_console(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r", "")
    lines = text.split("\n")
    marks = []  # (line index, uptime, words)
    for i, line in enumerate(lines):
        m = MARK.search(line)
        if m:
            marks.append((i, float(m.group(1)), m.group(2)))
    return lines, marks


def check_status(doc, facts):
    """Problems with `xarch status --json` on the arm64 host with only qemu-x86_64 (F) registered."""
    problems = []
    if doc.get("host", {}).get("platform") != "linux/arm64":
        problems.append("host.platform is %r, not linux/arm64" % doc.get("host", {}).get("platform"))
    platforms = {p["platform"]: p for p in doc.get("platforms", [])}
    aarch32 = facts.get("aarch32") == "yes"
    expect = {
        "linux/arm64": (True, True),
        "linux/amd64": (facts.get("amd64_runs") == "yes", False),
        "linux/386": (facts.get("i386_runs") == "yes", False),
        "linux/arm/v7": (aarch32, aarch32),
    }
    for name, (runs, native) in expect.items():
        p = platforms.get(name)
        if p is None:
            problems.append("%s missing from platforms" % name)
            continue
        if p.get("runs") != runs:
            problems.append("%s runs=%r, the guest's own exec says %r" % (name, p.get("runs"), runs))
        if p.get("native") != native:
            problems.append("%s native=%r, the guest's own exec says %r" % (name, p.get("native"), native))
    amd64 = platforms.get("linux/amd64", {})
    if amd64.get("entry") != "qemu-x86_64":
        problems.append("linux/amd64 entry is %r, not qemu-x86_64" % amd64.get("entry"))
    # Debian's arm64 qemu-user-static passes xarch's emulator checks: static, root's, for the host.
    emulators = {e["platform"]: e for e in doc.get("emulators", [])}
    for name, path in (("linux/amd64", "/usr/bin/qemu-x86_64-static"), ("linux/386", "/usr/bin/qemu-i386-static")):
        e = emulators.get(name, {})
        if e.get("path") != path or e.get("problems"):
            problems.append("emulator for %s: %r, problems %r" % (name, e.get("path"), e.get("problems")))
    entries = {e["name"]: e for e in doc.get("entries", [])}
    info = entries.get("qemu-x86_64", {}).get("interpreter_info", {})
    if info.get("static") is not True or info.get("platform") != "linux/arm64" or entries["qemu-x86_64"].get("warnings"):
        problems.append("entry qemu-x86_64: interpreter %r, warnings %r" % (info, entries.get("qemu-x86_64", {}).get("warnings")))
    for name, p in platforms.items():
        if name not in expect and p.get("runs"):
            problems.append("%s claims to run with nothing registered for it" % name)
    if not problems:
        ran = sorted(n for n, p in platforms.items() if p.get("runs"))
        return None, "host linux/arm64; probes ran: %s; %d platforms checked; qemu-x86_64 static arm64" % (
            ", ".join(ran), len(platforms))
    return "; ".join(problems), None


def judge(work, cases, title):
    lines, marks = parse_console(os.path.join(work, "console.log"))
    starts, results, facts, data = {}, {}, {}, {}
    plan_seen = end_seen = False
    for i, t, what in marks:
        words = what.split(" ", 3)
        if words[0] == "PLAN":
            plan_seen = True
        elif words[0] == "END":
            end_seen = True
        elif words[0] == "CASE" and len(words) > 1:
            starts[words[1]] = (i, t)
        elif words[0] == "RESULT" and len(words) > 2:
            results[words[1]] = (i, t, words[2], words[3] if len(words) > 3 else "")
        elif words[0] == "FACT":
            for kv in what.split()[1:]:
                k, _, v = kv.partition("=")
                facts[k] = v
        elif words[0] == "DATA" and len(words) > 2:
            data[words[1]] = what.split(" ", 2)[2]
    last = marks[-1][2] if marks else "nothing (did the kernel boot?)"
    os.makedirs(os.path.join(work, "cases"), exist_ok=True)
    rows = []
    for case in cases:
        start = starts.get(case)
        res = results.get(case)
        if start is None or res is None:
            status = "FAIL"
            detail = "no result: the guest %s; last mark: %s" % (
                "never started it" if start is None else "stopped inside it", last)
            seconds = None
            seg = lines[start[0]:] if start else []
        else:
            status, detail = res[2], res[3]
            seconds = res[1] - start[1] if res[0] > start[0] and res[1] >= start[1] else None
            seg = lines[start[0]:res[0] + 1]
            if status == "CHECK" and case == "status":
                try:
                    problem, ok = check_status(json.loads(data.get("status-json", "")), facts)
                except ValueError as e:
                    problem, ok = "status --json printed no JSON document: %s" % e, None
                status, detail = ("FAIL", problem) if problem else ("PASS", ok)
            elif status not in ("PASS", "FAIL"):
                status, detail = "FAIL", "unexpected result %s %s" % (status, detail)
        with open(os.path.join(work, "cases", case + ".log"), "w") as f:
            f.write("\n".join(seg) + "\n")
        rows.append((case, status, seconds, detail))
    with open(os.path.join(work, "results"), "w") as f:
        for case, status, seconds, detail in rows:
            f.write("%s\t%s\t%s\t%s\n" % (case, status, "" if seconds is None else "%.1f" % seconds, detail))
    print("%s: %d cases%s" % (title, len(rows), " (AArch32 %s)" % facts["aarch32"] if "aarch32" in facts else ""))
    for case, status, seconds, detail in rows:
        print("  %-22s %-4s %6s  %s" % (case, status, "" if seconds is None else "%.1fs" % seconds, detail))
    failed = [r for r in rows if r[1] != "PASS"]
    print("%d passed, %d failed" % (len(rows) - len(failed), len(failed)))
    for case, status, _, _ in failed:
        print("--- console of %s:" % case)
        with open(os.path.join(work, "cases", case + ".log")) as f:
            sys.stdout.write(f.read())
    complete = plan_seen and end_seen and all(c in results for c in cases)
    if os.environ.get("XARCH_LANE_CASE_TESTS") == "1":
        return 0 if complete else 1
    return 0 if complete and not failed else 1


def one_case(work, case):
    try:
        with open(os.path.join(work, "skipped")) as f:
            print("SKIP: the lane did not run: %s" % f.read().strip())
            return 77
    except OSError:
        pass
    try:
        with open(os.path.join(work, "results")) as f:
            rows = [line.rstrip("\n").split("\t") for line in f]
    except OSError:
        print("FAIL: no results in %s (the lane did not run)" % work)
        return 1
    for row in rows:
        if row[0] == case:
            print("%s: %s (%ss) %s" % (row[1], case, row[2] or "?", row[3]))
            if row[1] != "PASS":
                with open(os.path.join(work, "cases", case + ".log")) as f:
                    sys.stdout.write(f.read())
            return 0 if row[1] == "PASS" else 1
    print("FAIL: %s was not in the lane's plan" % case)
    return 1


def main():
    args = sys.argv[1:]
    if args[:1] == ["--case"] and len(args) == 3:
        return one_case(args[2], args[1])
    title = "arm64 host lane"
    if args[:1] == ["--title"] and len(args) >= 2:
        title, args = args[1], args[2:]
    if len(args) < 2:
        print("usage: verdict.py [--title TITLE] WORK CASE... | verdict.py --case CASE WORK", file=sys.stderr)
        return 2
    return judge(args[0], args[1:], title)


if __name__ == "__main__":
    sys.exit(main())
