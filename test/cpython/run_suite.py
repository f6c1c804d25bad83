"""Runs CPython's own test suites untraced and traced (through the CLI) and
lists the tests that pass untraced but not traced: the tracer must add no
failure to a program's own tests.

    python3 test/cpython/run_suite.py --python ~/.cache/ct-pythons/bin/python3.14 \\
        [-j 2] [--timeout 300] [--wall 1800] [-m PATTERN]... [--confirm] TEST...

TEST is a regrtest name (test_threading, test_multiprocessing_forkserver…);
-m selects test methods (regrtest's --match).  Results come from regrtest's
JUnit XML; a test missing from a run (its worker crashed or timed out)
counts as failed.  Both runs start in a fresh temporary folder, so the
project's own `test/` package never shadows CPython's `test` package in
children started with `-c`.  With --confirm, every new failure is run once
more traced, alone, and marked reproducible or not.

Exit status: 0 no new failure; 1 new failures (or a run that did not
finish); 2 bad usage.  --json FILE writes the whole comparison.
Standard library only; any Python 3.8+ can drive it.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "dist", "cli.js")

# regrtest started from a file (the CLI runs scripts, not -m): CPython's
# `test` package is imported from the interpreter's own library.
LAUNCHER = "import runpy\nrunpy.run_module('test', run_name='__main__', alter_sys=True)\n"


def clean_env():
    """The caller's environment without anything that would change the runs:
    no trace of an outer run, no PYTHON* variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CONCURRENCY_TRACE") and not k.startswith("PYTHON")}
    env["PYTHONFAULTHANDLER"] = "1"
    return env


def regrtest_args(opts, xml, matches):
    args = ["--junit-xml", xml, "--timeout", str(opts.timeout), "-j", str(opts.jobs)]
    for m in matches:
        args += ["-m", m]
    return args + list(opts.tests)


def run_once(opts, traced, matches, label):
    """One run of the suite; returns a dict with results, duration and notes."""
    work = tempfile.mkdtemp(prefix="ct-cpython-%s-" % label)
    launcher = os.path.join(work, "regrtest_main.py")
    with open(launcher, "w") as f:
        f.write(LAUNCHER)
    xml = os.path.join(work, "junit.xml")
    log = os.path.join(work, "output.log")
    trace = os.path.join(work, "suite.ctrace")
    args = regrtest_args(opts, xml, matches)
    if traced:
        argv = [opts.node, CLI, "run", "--python", opts.python, "--out", trace, launcher] + args
    else:
        argv = [opts.python, launcher] + args
    started = time.monotonic()
    timed_out = False
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=work, env=clean_env(), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=opts.wall)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
    seconds = time.monotonic() - started
    with open(log, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    result = {
        "label": label, "traced": traced, "exitCode": code, "timedOut": timed_out,
        "seconds": round(seconds, 1), "results": read_junit(xml), "work": work,
        "cliLines": [l for l in text.splitlines() if l.startswith("concurrency-trace:")],
        "tail": text.splitlines()[-15:],
    }
    if traced and os.path.exists(trace):
        result["trace"] = summarize_trace(opts, trace)
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def read_junit(path):
    """test id -> "pass" | "fail" | "error" | "skip".  A failed subtest is a
    nameless <testcase> in regrtest's XML: counted under "" (its test is then
    missing from the named ones, so it counts as not passed)."""
    out = {}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return out
    for case in root.iter("testcase"):
        name = case.get("name", "")
        kids = {c.tag for c in case}
        if not name:
            out[""] = out.get("", 0) + (1 if kids & {"error", "failure"} or case.get("status") != "run" else 0)
            continue
        if "error" in kids:
            status = "error"
        elif "failure" in kids:
            status = "fail"
        elif "skipped" in kids or case.get("status") == "skipped":
            status = "skip"
        else:
            status = "pass"
        # A test with subtests can appear more than once: the worst result wins.
        if out.get(name) in ("fail", "error"):
            continue
        out[name] = status
    return out


def summarize_trace(opts, trace):
    """Processes and events in the traced run's trace: proof that it was traced."""
    info = {"bytes": os.path.getsize(trace)}
    try:
        raw = subprocess.run([opts.node, CLI, "summary", "--json", trace], capture_output=True,
                             timeout=600, check=True).stdout
        s = json.loads(raw)
        info["processes"] = len(s.get("processes", []))
        info["threads"] = len(s.get("threads", []))
        info["events"] = sum(v for v in s.get("counts", {}).values() if isinstance(v, int))
        info["findings"] = [f.get("kind") for f in s.get("findings", [])]
    except Exception as e:  # the comparison still stands; say what went wrong
        info["error"] = "%s: %s" % (type(e).__name__, e)
    return info


def counts(results):
    c = {"pass": 0, "fail": 0, "error": 0, "skip": 0, "subtests": results.get("", 0)}
    for name, status in results.items():
        if name:
            c[status] += 1
    return c


def compare(untraced, traced):
    """Tests that pass untraced and do not pass traced (failed, errored or missing)."""
    new = []
    for name, status in sorted(untraced["results"].items()):
        if not name or status != "pass":
            continue
        other = traced["results"].get(name, "missing (a failed subtest, a crash or a timeout)")
        if other not in ("pass", "skip"):
            new.append({"test": name, "traced": other})
    return new


def describe(run):
    c = counts(run["results"])
    line = "%-8s %6.1f s  exit %s%s  pass %d  fail %d  error %d  skip %d%s" % (
        run["label"], run["seconds"], run["exitCode"], " (wall-clock limit)" if run["timedOut"] else "",
        c["pass"], c["fail"], c["error"], c["skip"],
        "  failed subtests %d" % c["subtests"] if c["subtests"] else "")
    t = run.get("trace")
    if t:
        line += "\n         trace: %s processes, %s threads, %s events, %.1f MB" % (
            t.get("processes"), t.get("threads"), t.get("events"), t["bytes"] / 1e6)
        if t.get("error"):
            line += " (summary failed: %s)" % t["error"]
    return line


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", required=True, help="interpreter whose test suite runs")
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="regrtest workers (default 2)")
    ap.add_argument("--timeout", type=int, default=300, help="per test file, seconds (regrtest --timeout)")
    ap.add_argument("--wall", type=int, default=3600, help="per run, seconds; the run is killed after")
    ap.add_argument("-m", "--match", action="append", default=[], help="regrtest --match pattern")
    ap.add_argument("--mode", choices=("both", "untraced", "traced"), default="both")
    ap.add_argument("--confirm", action="store_true", help="run each new failure again, traced and alone")
    ap.add_argument("--keep", action="store_true", help="keep the runs' folders (logs, XML, trace)")
    ap.add_argument("--json", help="write the comparison to this file")
    ap.add_argument("tests", nargs="+")
    opts = ap.parse_args(argv)
    opts.python = os.path.abspath(opts.python) if os.sep in opts.python else (shutil.which(opts.python) or opts.python)
    if opts.mode != "untraced" and not os.path.exists(CLI):
        ap.error("%s missing: npm run build first" % CLI)

    runs = {}
    print("CPython suite %s under %s" % (" ".join(opts.tests), opts.python), flush=True)
    for label, traced in (("untraced", False), ("traced", True)):
        if opts.mode in ("both", label):
            runs[label] = run_once(opts, traced, opts.match, label)
            print(describe(runs[label]), flush=True)
            for l in runs[label]["cliLines"]:
                print("         " + l)
    report = {"python": opts.python, "tests": opts.tests, "match": opts.match, "runs": runs}
    status = 0
    for run in runs.values():
        if run["timedOut"] or not run["results"]:
            print("%s run did not finish or wrote no results; its output ends with:\n  %s" % (
                run["label"], "\n  ".join(run["tail"])))
            status = 1
    if "traced" in runs and "trace" in runs["traced"] and not runs["traced"]["trace"].get("processes"):
        print("traced run has no processes in its trace: it ran untraced")
        status = 1
    if len(runs) == 2:
        new = compare(runs["untraced"], runs["traced"])
        if new and opts.confirm:
            again = run_once(opts, True, [n["test"] for n in new], "confirm")
            for n in new:
                n["again"] = again["results"].get(n["test"], "missing")
                n["reproducible"] = n["again"] not in ("pass", "skip")
            report["confirm"] = again
        report["newFailures"] = new
        if new:
            status = 1
            print("%d test(s) pass untraced and fail traced:" % len(new))
            for n in new:
                extra = "" if "again" not in n else "  (alone, traced, again: %s)" % n["again"]
                print("  %s: %s%s" % (n["test"], n["traced"], extra))
        else:
            print("no new failures under the tracer")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(report, f, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
