"""The writer: reentrant and exception-safe (signal handlers), out of the
program's descriptors, bounded memory, every claimed slot accounted for, and a
full disk that stops tracing rather than the program."""
import errno
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest

from test.runtime import tracefile

sys.path.insert(0, tracefile.RUNTIME)
from concurrency_trace import writer  # noqa: E402

MANY_EVENTS = """
import threading
lock = threading.Lock()
for i in range(200000):
    with lock:
        pass
print("done", i)
"""

SIGNAL_PRINTS = """
import signal, sys
ticks = 0
done = False
def on_alarm(signum, frame):
    global ticks
    if done:
        return
    ticks += 1
    print("tick %d" % ticks)
    signal.setitimer(signal.ITIMER_REAL, 0.0002)
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.0002)
for i in range(30000):
    print("line %d" % i)
done = True
signal.setitimer(signal.ITIMER_REAL, 0)
print(ticks, file=sys.stderr)
"""

# A handler raises TimeoutError (a builtin type) while print() runs, most
# often inside the tracer's code behind it.  It raises again only once the
# program has caught the last one, so one swallowed exception stops it.
# (The try is around the print alone: an exception a handler raises at a
# loop's backward jump can escape an enclosing try, CPython issue 108214.)
HANDLER_RAISES = """
import signal, sys, time
fired = caught = 0
pending = armed = False
def on_alarm(signum, frame):
    global fired, pending
    if pending or not armed:
        return
    pending = True
    fired += 1
    raise TimeoutError
signal.signal(signal.SIGALRM, on_alarm)
deadline = time.monotonic() + 20
signal.setitimer(signal.ITIMER_REAL, 0.0003, 0.0003)
while fired < 300 and time.monotonic() < deadline:
    try:
        armed = True
        print("x")
        armed = False
    except TimeoutError:
        armed = False
        caught += 1
        pending = False
signal.setitimer(signal.ITIMER_REAL, 0)
print(fired, caught, file=sys.stderr)
"""

FDS_BELOW_256 = """
import os
fds = []
for fd in range(256):
    try:
        os.fstat(fd)
        fds.append(fd)
    except OSError:
        pass
print(fds)
"""

TRACER_FDS = """
import os, sys
trace = os.environ["CONCURRENCY_TRACE_DIR"]
ours = []
for name in os.listdir("/proc/self/fd"):
    try:
        if os.readlink("/proc/self/fd/" + name).startswith(trace):
            ours.append(int(name))
    except OSError:
        pass
print(ours)
"""

CLOSE_ALL_THEN_WRITE = """
import os, threading
lock = threading.Lock()
os.closerange(3, 65536)
paths = [os.path.join(os.getcwd(), "out%d.txt" % i) for i in range(5)]
files = [open(p, "w") for p in paths]
expected = []
for i in range(120000):        # several windows of the event file
    with lock:
        pass
    if i % 1000 == 0:
        for f in files:
            f.write("line %d\\n" % i)
        expected.append("line %d\\n" % i)
        print("progress", i)   # strings too
for f in files:
    f.close()
for p in paths:
    with open(p) as f:
        print(f.read() == "".join(expected), os.path.getsize(p))
"""

INHERITED_FD3 = """
import os
print(os.read(3, 100).decode())
free = []
for fd in range(4, 12):
    try:
        os.fstat(fd)
    except OSError:
        free.append(fd)
print(free)
"""

# Before 3.13 the map holds a descriptor of its own (N >= 256).  The program
# puts its own file at that number (dup2), then makes several windows' worth
# of events: the tracer must never close N under it.
TAKE_OVER_MAP_FD = """
import os, threading
trace = os.environ["CONCURRENCY_TRACE_DIR"]
def points_into_trace(x):
    try:
        return os.readlink("/proc/self/fd/" + x).startswith(trace)
    except OSError:
        return False
(n,) = [int(x) for x in os.listdir("/proc/self/fd") if points_into_trace(x)]
mine = os.open(os.path.join(os.getcwd(), "mine.txt"), os.O_WRONLY | os.O_CREAT, 0o600)
os.dup2(mine, n)
os.close(mine)
lock = threading.Lock()
for i in range(200000):        # windows of 1, 2, 4, 8 MiB: the first is dropped
    with lock:
        pass
    if i % 20000 == 0:
        os.write(n, b"%d\\n" % i)
os.close(n)
with open("mine.txt") as f:
    print(f.read().split())
"""

# A thread holds a descriptor of the event file for a moment (growing it)
# when another thread forks: the child closes its copy.
FORK_WHILE_HOLDING = """
import os
from concurrency_trace import writer
fd = os.open(writer._path, os.O_RDONLY)
writer._busy.append(1)
pid = os.fork()
if pid == 0:
    try:
        os.fstat(fd)
        os._exit(1)
    except OSError:
        os._exit(0)
writer._busy.pop()
print(os.waitpid(pid, 0)[1] >> 8)
"""

ADDRESS_SPACE = """
import resource, threading
def vm_size():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize"):
                return int(line.split()[1]) * 1024
limit = vm_size() + 48 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
lock = threading.Lock()
for _ in range(600000):        # 38 MB of records
    with lock:
        pass
block = bytearray(24 * 2**20)
print("ok", len(block))
"""

EXEC_SNIPPETS = """
import sys, threading
lock = threading.Lock()
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) * 1024
before = rss()
for i in range(100000):
    exec(SNIPPET % i, {"lock": lock})
print((rss() - before) // 2**20, file=sys.stderr)
"""


def run_plain(code, **popen):
    tmp = tempfile.mkdtemp(prefix="ct-untraced-")
    script = os.path.join(tmp, "script.py")
    with open(script, "w") as f:
        f.write(code)
    env = dict(os.environ)
    env.pop("CONCURRENCY_TRACE_DIR", None)
    return subprocess.run([sys.executable, script], cwd=tmp, env=env, capture_output=True, timeout=120, **popen)


class SignalHandlers(unittest.TestCase):
    def test_a_handler_that_prints_while_the_program_prints_never_deadlocks(self):
        for _ in range(3):
            proc, trace = tracefile.run(SIGNAL_PRINTS, timeout=90)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            ticks = int(proc.stderr)
            lines = proc.stdout.decode().splitlines()
            self.assertEqual(len(lines), 30000 + ticks)
            self.assertGreater(ticks, 0)
            writes = [r for r in trace.of("IO_WRITE") if r.b & 0xFF == 1]
            self.assertEqual(len(writes), 2 * len(lines), "every print (text and newline) is a record")
            self.assertEqual(trace.unwritten, [])

    def test_an_exception_a_handler_raises_inside_tracer_code_reaches_the_program(self):
        proc, trace = tracefile.run(HANDLER_RAISES, timeout=90)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        fired, caught = map(int, proc.stderr.split())
        self.assertEqual(fired, 300, "a handler's exception was swallowed (the handler stops once one is)")
        self.assertEqual(caught, fired)
        if sys.version_info >= (3, 10):
            self.assertEqual(trace.unwritten, [], "no claimed slot is left empty for the reader to wait for")


class Descriptors(unittest.TestCase):
    def test_the_program_sees_the_same_descriptors_below_256_as_untraced(self):
        r, w = os.pipe()
        try:
            popen = {"pass_fds": (r, w)}
            plain = run_plain(FDS_BELOW_256, **popen)
            proc, _ = tracefile.run(FDS_BELOW_256, popen=popen)
        finally:
            os.close(r)
            os.close(w)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, plain.stdout)

    def test_the_map_keeps_no_descriptor_on_3_13_and_one_at_or_above_256_before(self):
        proc, _ = tracefile.run(TRACER_FDS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        ours = eval(proc.stdout)
        if sys.version_info >= (3, 13):
            self.assertEqual(ours, [])
        else:
            self.assertEqual(len(ours), 1, ours)
            self.assertGreaterEqual(ours[0], writer.FD_FLOOR)

    def test_a_program_that_closes_every_descriptor_and_opens_files_gets_exactly_its_bytes(self):
        proc, trace = tracefile.run(CLOSE_ALL_THEN_WRITE, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        results = proc.stdout.decode().splitlines()[-5:]
        size = len("".join("line %d\n" % i for i in range(0, 120000, 1000)))
        self.assertEqual(results, ["True %d" % size] * 5)
        holds = trace.of("LOCK_HOLD")
        self.assertEqual(len(holds), 120000, "still traced, through several windows")
        self.assertEqual(trace.unwritten, [])

    def test_an_inherited_descriptor_3_reaches_the_script_and_the_tracer_takes_none_above_it(self):
        with tempfile.TemporaryFile() as src:
            src.write(b"hello from fd 3")
            src.seek(0)
            fd = src.fileno()

            def as_fd3():
                os.dup2(fd, 3)
                os.set_inheritable(3, True)
            proc, _ = tracefile.run(INHERITED_FD3, popen={"close_fds": False, "preexec_fn": as_fd3})
            src.seek(0)
            plain = run_plain(INHERITED_FD3, close_fds=False, preexec_fn=as_fd3)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        text, free = proc.stdout.decode().splitlines()
        self.assertEqual(text, "hello from fd 3")
        self.assertEqual(free, plain.stdout.decode().splitlines()[1], "the tracer holds no low descriptor")


    @unittest.skipIf(sys.version_info >= (3, 13), "3.13+: the map keeps no descriptor")
    def test_a_descriptor_number_the_program_takes_from_the_map_is_never_closed_by_the_tracer(self):
        proc, trace = tracefile.run(TAKE_OVER_MAP_FD, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.decode().strip(), str([str(i) for i in range(0, 200000, 20000)]))
        self.assertEqual(len(trace.of("LOCK_HOLD")), 200000)


    def test_a_child_forked_while_another_thread_held_the_event_file_open_does_not_keep_that_descriptor(self):
        proc, _ = tracefile.run(FORK_WHILE_HOLDING)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"0\n")


class Memory(unittest.TestCase):
    def test_an_address_space_limit_the_program_fits_in_untraced_is_enough_traced(self):
        plain = run_plain(ADDRESS_SPACE)
        self.assertEqual(plain.stdout, b"ok 25165824\n", plain.stderr)
        proc, trace = tracefile.run(ADDRESS_SPACE, timeout=180)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"ok 25165824\n")
        self.assertEqual(len(trace.of("LOCK_HOLD")), 600000, "traced throughout")
        self.assertEqual([s["reason"] for s in trace.status.values()], [0])

    def test_exec_generated_code_is_not_kept_alive_by_the_call_site_caches(self):
        code = EXEC_SNIPPETS.replace("SNIPPET", repr("x = %d\nprint(x)\n"))
        plain = run_plain(code)
        proc, trace = tracefile.run(code, timeout=180)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        grown, plain_grown = int(proc.stderr), int(plain.stderr)
        # Two event-file windows (16 MiB) at most, plus a little: the
        # snippets' code objects (~80 MB when they were kept) are freed.
        self.assertLess(grown - plain_grown, 30, "RSS grew %d MiB traced, %d untraced" % (grown, plain_grown))
        self.assertEqual(len([r for r in trace.of("IO_WRITE") if r.b & 0xFF == 1]), 200000)

    def test_exec_generated_code_taking_a_lock_is_not_kept_alive(self):
        code = EXEC_SNIPPETS.replace("SNIPPET", repr("with lock:\n    x = %d\n"))
        proc, trace = tracefile.run(code, timeout=180)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertLess(int(proc.stderr), 40)
        self.assertEqual(len(trace.of("LOCK_HOLD")), 100000)


class Accounting(unittest.TestCase):
    def test_the_status_slot_counts_the_slots_claimed_by_exit(self):
        proc, trace = tracefile.run(MANY_EVENTS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        (status,) = trace.status.values()
        self.assertEqual(status["reason"], 0)
        # Every claimed slot up to the count is a record or a string: nothing lost.
        self.assertGreaterEqual(status["claimed"], 200000 + writer.FIRST_SLOT)
        self.assertEqual(trace.unwritten, [])
        self.assertEqual(trace.voided, [])


def _limit_file_size(size):
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


class DiskFull(unittest.TestCase):
    def test_a_file_size_limit_stops_tracing_says_why_and_leaves_the_program_alone(self):
        # EFBIG when the tracer grows its file, as ENOSPC on a full disk.
        proc, trace = tracefile.run(MANY_EVENTS, popen={"preexec_fn": _limit_file_size(3 << 20)})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"done 199999\n")
        self.assertEqual(proc.stderr, b"")
        (status,) = trace.status.values()
        self.assertEqual(status["reason"], writer.STOP_DISK_FULL)
        self.assertEqual(status["errno"], errno.EFBIG)
        holds = trace.of("LOCK_HOLD")
        self.assertGreater(len(holds), 20000, "traced until the limit")
        self.assertLess(len(holds), 200000)

    def test_no_room_for_the_first_window_leaves_the_process_untraced_and_says_why(self):
        proc, trace = tracefile.run(MANY_EVENTS, popen={"preexec_fn": _limit_file_size(64 << 10)})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"done 199999\n")
        (status,) = trace.status.values()
        self.assertEqual(status["reason"], writer.STOP_DISK_FULL)
        self.assertEqual(trace.records, [])

    def test_a_full_disk_leaves_the_program_untraced_not_crashed(self):
        if os.geteuid() != 0 or not sys.platform.startswith("linux"):
            self.skipTest("needs root to mount a small tmpfs")
        mount = tempfile.mkdtemp(prefix="ct-full-")
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount]).returncode != 0:
            os.rmdir(mount)
            self.skipTest("cannot mount tmpfs here")
        try:
            script = os.path.join(tempfile.mkdtemp(), "many.py")
            with open(script, "w") as f:
                f.write(MANY_EVENTS)
            env = dict(os.environ, PYTHONPATH=tracefile.RUNTIME, CONCURRENCY_TRACE_DIR=mount,
                       CONCURRENCY_TRACE_TOKEN="t")
            proc = subprocess.run([sys.executable, script], env=env, capture_output=True, timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout, b"done 199999\n")
            self.assertEqual(proc.stderr, b"")
            trace = tracefile.Trace(mount)
            holds = trace.of("LOCK_HOLD")
            self.assertGreater(len(holds), 1000, "traced until the disk was full")
            self.assertLess(len(holds), 200000)
            (status,) = trace.status.values()
            self.assertEqual(status["reason"], writer.STOP_DISK_FULL)
            self.assertEqual(status["errno"], errno.ENOSPC)
        finally:
            subprocess.run(["umount", mount])
            shutil.rmtree(mount, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
