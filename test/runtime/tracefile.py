"""Test helper: run Python code under the tracer and read back its records.

Independent of the Node collector on purpose: the runtime's own tests check
what the runtime writes, in the file format's own terms.
"""
import atexit
import glob
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src", "runtime")
sys.path.insert(0, RUNTIME)

from concurrency_trace import events  # noqa: E402

# Scripts here send themselves SIGINT and expect KeyboardInterrupt, as under a terminal's Ctrl-C.
# A test run started in the background (`cmd &` in a script, nohup, some CI runners) inherits
# SIGINT ignored, and so would every script: then no KeyboardInterrupt ever comes (hangs, "no
# interrupts").  A handled SIGINT here is reset to the default at exec: the scripts get Python's.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

KIND_NAMES = {v: k for k, v in vars(events).items() if k.isupper() and isinstance(v, int)}
HEADER = struct.Struct("<8sII q 16s q q")
STATUS = struct.Struct("<q q i i")
RECORD = struct.Struct("<8q")          # ts, ident, obj, site, end, a, b, kind
KIND = struct.Struct("<q")
KIND_AT = 56
STRING = struct.Struct("<III44s")     # id, byte length, piece index, bytes (then the kind)
STRING_KIND = -1
VOID_KIND = -2
FIELDS = ("ts", "ident", "obj", "site", "end", "a", "b", "kind")


class Record(dict):
    __getattr__ = dict.__getitem__


_made = []     # the scripts' folders, removed when the test run ends (some tests run a script again)


@atexit.register
def _remove_made():
    for d in _made:
        shutil.rmtree(d, ignore_errors=True)


def run(code, *args, python=None, timeout=120, env=None, cwd=None, stdin=None, files=None, popen=None):
    """Run `code` (a script's text) traced; returns (CompletedProcess, Trace).
    files: {name: text} written next to the script; popen: more
    subprocess.run arguments (preexec_fn, pass_fds…)."""
    tmp = tempfile.mkdtemp(prefix="ct-test-")
    _made.append(tmp)
    script = os.path.join(tmp, "script.py")
    with open(script, "w") as f:
        f.write(code)
    for name, text in (files or {}).items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)
    trace_dir = os.path.join(tmp, "trace")
    os.mkdir(trace_dir)
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["PYTHONPATH"] = RUNTIME + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env["CONCURRENCY_TRACE_DIR"] = (env or {}).get("CONCURRENCY_TRACE_DIR", trace_dir)
    full_env["CONCURRENCY_TRACE_TOKEN"] = "testtoken"
    try:
        proc = subprocess.run([python or sys.executable, script] + list(args), cwd=cwd or tmp,
                              env=full_env, capture_output=True, timeout=timeout, input=stdin,
                              **(popen or {}))
        return proc, Trace(trace_dir, script)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)  # the script stays: some tests run it again untraced


class Trace:
    def __init__(self, directory, script=None):
        self.script = script
        self.records = []
        self.blobs = {}     # (pid, blob id) -> str
        self.sites = {}     # (pid, site id) -> (file, line, function)
        self.status = {}    # pid -> status slot: claimed, reason, errno
        self.unwritten = [] # (pid, offset): claimed slots never written, before the last written one
        self.voided = []    # (pid, offset): claimed slots dropped by an exception
        for path in sorted(glob.glob(os.path.join(directory, "*.ctev"))):
            self._read(path)
        self.records.sort(key=lambda r: r.ts)

    def _read(self, path):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) < 2 * HEADER.size or data[:8] == bytes(8):
            return  # killed while creating its file: nothing written yet
        magic, version, slot, pid, _token, first, _ = HEADER.unpack_from(data, 0)
        assert magic == b"CTRACE01" and version == 2, path
        claimed, _stop_ts, reason, err = STATUS.unpack_from(data, slot)
        self.status[pid] = {"claimed": claimed, "reason": reason, "errno": err}
        pieces = {}         # string id -> {piece index: bytes}, its byte length
        records = []
        off = first * slot
        last = off
        while off + slot <= len(data):
            kind = KIND.unpack_from(data, off + KIND_AT)[0]
            if kind > 0:
                records.append((off, RECORD.unpack_from(data, off)))
            elif kind == STRING_KIND:
                bid, n, index, piece = STRING.unpack_from(data, off)
                parts, _ = pieces.setdefault(bid, ({}, n))
                parts[index] = piece
            elif kind == VOID_KIND:
                self.voided.append((pid, off))
            off += slot
            if kind != 0:
                last = off
        blobs = {}
        for bid, (parts, n) in pieces.items():
            raw = b"".join(parts[i] for i in sorted(parts))[:n]
            if len(raw) == n:
                blobs[bid] = raw.decode("utf-8")
        for bid, text in blobs.items():
            self.blobs[(pid, bid)] = text
        for at in range(first * slot, last, slot):
            if KIND.unpack_from(data, at + KIND_AT)[0] == 0:
                self.unwritten.append((pid, at))
        for _, values in records:
            rec = Record(zip(FIELDS, values))
            rec["pid"] = pid
            rec["name"] = KIND_NAMES.get(rec.kind, str(rec.kind))
            if rec.kind == events.SITE:
                self.sites[(pid, rec.obj)] = (blobs.get(rec.a), rec.b, blobs.get(rec.end))
            self.records.append(rec)

    def of(self, *names):
        return [r for r in self.records if r.name in names]

    def blob(self, rec, field="a"):
        return self.blobs.get((rec.pid, rec[field]))

    def site(self, rec):
        return self.sites.get((rec.pid, rec.site))

    def pids(self):
        return sorted({r.pid for r in self.records})

    def thread_names(self, pid=None):
        """Names of the threads seen, in start order (idents are reused)."""
        return [self.blobs.get((r.pid, r.a)) for r in self.of("THREAD_START")
                if pid is None or r.pid == pid]
