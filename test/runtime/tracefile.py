"""Test helper: run Python code under the tracer and read back its records.

Independent of the Node collector on purpose: the runtime's own tests check
what the runtime writes, in the file format's own terms.
"""
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src", "runtime")
sys.path.insert(0, RUNTIME)

from concurrency_trace import events  # noqa: E402

KIND_NAMES = {v: k for k, v in vars(events).items() if k.isupper() and isinstance(v, int)}
HEADER = struct.Struct("<8sII q 16s q q")
RECORD = struct.Struct("<8q")
FIELDS = ("kind", "ts", "ident", "obj", "site", "end", "a", "b")


class Record(dict):
    __getattr__ = dict.__getitem__


def run(code, *args, python=None, timeout=120, env=None, cwd=None, stdin=None):
    """Run `code` (a script's text) traced; returns (CompletedProcess, Trace)."""
    tmp = tempfile.mkdtemp(prefix="ct-test-")
    script = os.path.join(tmp, "script.py")
    with open(script, "w") as f:
        f.write(code)
    trace_dir = os.path.join(tmp, "trace")
    os.mkdir(trace_dir)
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["PYTHONPATH"] = RUNTIME + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env["CONCURRENCY_TRACE_DIR"] = trace_dir
    full_env["CONCURRENCY_TRACE_TOKEN"] = "testtoken"
    try:
        proc = subprocess.run([python or sys.executable, script] + list(args), cwd=cwd or tmp,
                              env=full_env, capture_output=True, timeout=timeout, input=stdin)
        return proc, Trace(trace_dir, script)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)  # the script stays: some tests run it again untraced


class Trace:
    def __init__(self, directory, script=None):
        self.script = script
        self.records = []
        self.blobs = {}     # (pid, blob id) -> str
        self.sites = {}     # (pid, site id) -> (file, line, function)
        for path in sorted(glob.glob(os.path.join(directory, "*.ctev"))):
            self._read(path)
        self.records.sort(key=lambda r: r.ts)

    def _read(self, path):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) < HEADER.size or data[:8] == bytes(8):
            return  # killed while creating its files: nothing written yet
        magic, _version, slot, pid, _token, first, _cap = HEADER.unpack_from(data, 0)
        assert magic == b"CTRACE01", path
        blobs = {}
        with open(path[:-5] + ".ctbl", "rb") as f:
            raw = f.read()
        i = 0
        while i + 8 <= len(raw):
            bid, n = struct.unpack_from("<II", raw, i)
            blobs[bid] = raw[i + 8:i + 8 + n].decode("utf-8")
            i += 8 + n
        for bid, text in blobs.items():
            self.blobs[(pid, bid)] = text
        off = first * slot
        empty_run = 0
        while off + slot <= len(data) and empty_run < 64:
            values = RECORD.unpack_from(data, off)
            off += slot
            if values[0] == 0:
                empty_run += 1
                continue
            empty_run = 0
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
