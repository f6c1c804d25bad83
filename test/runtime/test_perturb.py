"""Schedule perturbation (perturb.py, CONCURRENCY_TRACE_PERTURB=seed): off
unless asked, the same decisions for the same seed in another process, its
own random streams (the program's `random` untouched), hooked into py_state
only when on."""
import unittest

from test.runtime import tracefile

# Which of 300 points of each thread paused, and the switch interval: what a seed decides.
DECISIONS = (
    "import sys, threading\n"
    "from concurrency_trace import perturb\n"
    "paused = {}\n"
    "def record(*a):\n"
    "    paused.setdefault(threading.current_thread().name, []).append(perturb._state.n)\n"
    "perturb._sleep = record\n"
    "perturb._wait_for_progress = record\n"
    "def points():\n"
    "    for _ in range(300):\n"
    "        perturb.point()\n"
    "points()\n"
    "t = threading.Thread(target=points, name='worker')\n"
    "t.start(); t.join()\n"
    "print(perturb.enabled, sys.getswitchinterval())\n"
    "print(paused.get('MainThread'))\n"
    "print(paused.get('worker'))\n"
)


def decisions(seed):
    proc, _ = tracefile.run(DECISIONS, env={"CONCURRENCY_TRACE_PERTURB": seed})
    if proc.returncode != 0:
        raise AssertionError(proc.stderr.decode())
    return proc.stdout.decode().splitlines()


class Perturbation(unittest.TestCase):
    def test_the_same_seed_makes_the_same_decisions_in_another_process(self):
        first = decisions("12345")
        self.assertEqual(first[0].split()[0], "True")
        interval = float(first[0].split()[1])
        self.assertTrue(1e-6 <= interval <= 1e-4, interval)
        main, worker = eval(first[1]), eval(first[2])
        self.assertTrue(main and worker, first)
        # A hot loop pays for a bounded number of pauses: the rate decays after the first points.
        self.assertLess(len(main), 60, main)
        self.assertEqual(decisions("12345"), first)
        other = decisions("54321")
        self.assertNotEqual(other, first)
        # Each thread draws from a stream of its own (seeded by its name).
        self.assertNotEqual(main, worker)

    def test_off_without_a_seed_or_with_a_bad_one(self):
        code = ("import sys, threading\n"
                "from concurrency_trace import perturb, py_state\n"
                "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
                "m = py_state._mechanism\n"
                "print(perturb.enabled, sys.getswitchinterval(),\n"
                "      getattr(getattr(m, '_step', None), '__name__', None))\n")
        for env in ({}, {"CONCURRENCY_TRACE_PERTURB": "x12"}, {"CONCURRENCY_TRACE_PERTURB": "-3"},
                    {"CONCURRENCY_TRACE_PERTURB": str(1 << 63)}):
            proc, _ = tracefile.run(code, env=env)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            enabled, interval, step = proc.stdout.decode().split()
            self.assertEqual((enabled, interval), ("False", "0.005"), env)
            self.assertNotEqual(step, "perturbed_step", env)
        proc, _ = tracefile.run(code, env={"CONCURRENCY_TRACE_PERTURB": "7"})
        self.assertEqual(proc.stdout.decode().split()[::2], ["True", "perturbed_step"], proc.stderr)

    def test_event_condition_semaphore_records_are_points_when_on_only(self):
        code = ("import threading\n"
                "from concurrency_trace import perturb, sync_primitives\n"
                "ev = threading.Event(); c = threading.Condition(); s = threading.Semaphore()\n"
                "n0 = getattr(perturb._state, 'n', 0)\n"
                "ev.set(); ev.wait()\n"
                "with c:\n"
                "    c.notify()\n"
                "s.acquire(); s.release()\n"
                "print(perturb.enabled, sync_primitives.begin.__name__, sync_primitives.point.__name__,\n"
                "      getattr(perturb._state, 'n', 0) - n0)\n")
        proc, trace = tracefile.run(code, env={"CONCURRENCY_TRACE_PERTURB": "5"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # set, wait, the Condition's RLock acquire, notify; the semaphore's hold begins,
        # its release ends it (no point of its own)
        self.assertEqual(proc.stdout.decode().split(), ["True", "perturbed_begin", "perturbed_point", "5"])
        self.assertTrue(trace.of("EVENT_SET") and trace.of("COND_NOTIFY"))
        proc, _ = tracefile.run(code)
        self.assertEqual(proc.stdout.decode().split(), ["False", "begin", "point", "0"], proc.stderr)

    def test_lock_and_rlock_acquires_are_points_when_on_only_in_c_and_in_python(self):
        code = ("import threading\n"
                "from concurrency_trace import locks, perturb\n"
                "l = threading.Lock(); r = threading.RLock()\n"
                "n0 = getattr(perturb._state, 'n', 0)\n"
                "with l:\n"
                "    pass\n"
                "l.acquire(); l.release()\n"
                "with r:\n"
                "    r.acquire(); r.release()\n"
                "print(perturb.enabled, locks._native is not None, getattr(perturb._state, 'n', 0) - n0)\n")
        for native in ("1", "0"):
            env = {"CONCURRENCY_TRACE_NATIVE": native}
            proc, trace = tracefile.run(code, env=dict(env, CONCURRENCY_TRACE_PERTURB="5"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            enabled, c_path, n = proc.stdout.decode().split()
            self.assertEqual((enabled, n), ("True", "4"), native)
            if native == "0":
                self.assertEqual(c_path, "False")
            self.assertEqual(len(trace.of("LOCK_HOLD")), 3, "the records are the same")
            proc, trace = tracefile.run(code, env=env)
            self.assertEqual(proc.stdout.decode().split()[::2], ["False", "0"], proc.stderr)
            self.assertEqual(len(trace.of("LOCK_HOLD")), 3)

    def test_queue_puts_and_gets_are_points_when_on_only(self):
        # The queues' own locks (and the feeder thread's start) are points too: at least 4.
        code = ("import multiprocessing, queue\n"
                "from concurrency_trace import mp_queues, perturb, queues\n"
                "q = queue.Queue(); mq = multiprocessing.Queue()\n"
                "n0 = getattr(perturb._state, 'n', 0)\n"
                "q.put(1); q.get()\n"
                "mq.put(2); mq.get(timeout=10)\n"
                "n = getattr(perturb._state, 'n', 0) - n0\n"
                "mq.close(); mq.join_thread()\n"
                "print(perturb.enabled, queues._perturbing, mp_queues._perturbing, n >= 4, n)\n")
        proc, trace = tracefile.run(code, env={"CONCURRENCY_TRACE_PERTURB": "5"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.decode().split()[:4], ["True"] * 4)
        self.assertEqual(len(trace.of("QUEUE_PUT")), 2)
        proc, _ = tracefile.run(code)
        self.assertEqual(proc.stdout.decode().split(), ["False", "False", "False", "False", "0"], proc.stderr)

    def test_pipe_messages_manager_queue_calls_and_executor_task_starts_are_points_when_on_only(self):
        code = ("import multiprocessing, concurrent.futures\n"
                "from multiprocessing.managers import SyncManager\n"
                "from concurrency_trace import perturb\n"
                "def n(): return getattr(perturb._state, 'n', 0)\n"
                "counts = []\n"
                "a, b = multiprocessing.Pipe()\n"
                "n0 = n(); a.send(1); b.recv(); counts.append(n() - n0)\n"
                "sq = multiprocessing.SimpleQueue()\n"
                "n0 = n(); sq.put(1); sq.get(); counts.append(n() - n0)\n"
                "if __name__ == '__main__':\n"
                "    m = SyncManager(); m.start()\n"
                "    q = m.Queue()\n"
                "    n0 = n(); q.put(1); q.get(); counts.append(n() - n0 >= 2)\n"
                "    m.shutdown()\n"
                "    with concurrent.futures.ThreadPoolExecutor(1) as ex:\n"
                "        print(ex.submit(n).result() >= 1, end=' ')\n"
                "    print(perturb.enabled, *counts)\n")
        proc, trace = tracefile.run(code, env={"CONCURRENCY_TRACE_PERTURB": "7"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # A send and a receive each on the pipe; SimpleQueue's put and get (its locks are points too).
        out = proc.stdout.decode().split()
        self.assertEqual(out[:3], ["True", "True", "2"], proc.stderr)
        self.assertGreaterEqual(int(out[3]), 2)
        self.assertEqual(out[4], "True")
        self.assertGreaterEqual(len(trace.of("PIPE_SEND")), 1)    # still traced
        proc, _ = tracefile.run(code)
        self.assertEqual(proc.stdout.decode().split(), ["False", "False", "0", "0", "False"], proc.stderr)

    def test_ctrl_c_during_a_pause_before_an_acquire_leaves_the_lock_free_and_a_clean_traceback(self):
        # From inside take(), every point pauses up to 30 s; no other thread passes a
        # point (the worker only sleeps, on locals), so the pause before `with lk`
        # lasts until the KeyboardInterrupt of a signal arrives (SIGALRM with
        # SIGINT's handler: no other thread is needed to send it).
        code = ("import os, signal, threading, time, traceback\n"
                "from concurrency_trace import perturb\n"
                "def spin(stop):\n"
                "    while not stop:\n"
                "        time.sleep(0.001)\n"
                "def take(lk, t0, pause_all, pause_none, monotonic, format_tb, KI=KeyboardInterrupt):\n"
                "    # Locals and calls only (no attribute, no global: no py_state point)\n"
                "    pause_all()\n"
                "    try:\n"
                "        with lk:\n"
                "            return 'inside'\n"
                "    except KI as e:\n"
                "        pause_none()\n"
                "        tb = ''.join(format_tb(e.__traceback__))\n"
                "        return 'interrupted %s %s %d' % (monotonic() - t0 < 20, lk.locked(),\n"
                "                                       tb.count('concurrency_trace'))\n"
                "stop = []\n"
                "t = threading.Thread(target=spin, args=(stop,), daemon=True); t.start()\n"
                "signal.signal(signal.SIGALRM, signal.default_int_handler)  # Ctrl-C's, in C\n"
                "signal.setitimer(signal.ITIMER_REAL, 0.3)\n"
                "import functools\n"
                "pause_all = functools.partial(vars(perturb).update, CAP_MIN=30.0, CAP_MAX=30.0,\n"
                "                          _others_runnable=lambda: True, rate=1.0)\n"
                "pause_none = functools.partial(vars(perturb).update, rate=0.0)\n"
                "print(take(threading.Lock(), time.monotonic(), pause_all, pause_none, time.monotonic,\n"
                "           traceback.format_tb))\n"
                "stop.append(1)\n")
        for native in ("1", "0"):      # the C accelerator's acquire, and the Python one
            proc, _ = tracefile.run(code, env={"CONCURRENCY_TRACE_PERTURB": "3", "CONCURRENCY_TRACE_NATIVE": native},
                                    timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            words = proc.stdout.decode().split()
            self.assertEqual(words[:3], ["interrupted", "True", "False"], (native, proc.stdout))
            if tracefile.sys.version_info >= (3, 11):
                self.assertEqual(words[3], "0", "no tracer frame in the traceback")

    def test_the_programs_random_state_is_untouched(self):
        code = ("import random, threading\n"
                "from concurrency_trace import perturb\n"
                "random.seed(99)\n"
                "state = random.getstate()\n"
                "counter = 0\n"
                "def work():\n"
                "    global counter\n"
                "    for _ in range(300):\n"
                "        counter += 1\n"
                "        perturb.point()\n"
                "ts = [threading.Thread(target=work) for _ in range(3)]\n"
                "for t in ts: t.start()\n"
                "for t in ts: t.join()\n"
                "print(perturb.enabled, random.getstate() == state, random.random())\n")
        proc, _ = tracefile.run(code, env={"CONCURRENCY_TRACE_PERTURB": "4242"})
        plain = tracefile.subprocess.run([tracefile.sys.executable, "-c",
                                          "import random; random.seed(99); print(random.random())"],
                                         capture_output=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        enabled, same, value = proc.stdout.decode().split()
        self.assertEqual((enabled, same), ("True", "True"))
        self.assertEqual(value, plain.stdout.decode().strip())

    def test_a_pause_ends_when_another_thread_gets_ahead(self):
        # The main thread pauses at every point (rate 1, cap 5 s) while a worker spins
        # through points (always runnable: only its progress can end a pause early).
        code = ("import threading, time\n"
                "from concurrency_trace import perturb\n"
                "perturb.rate = 1.0; perturb.CAP_MIN = perturb.CAP_MAX = 5.0\n"
                "stop = False\n"
                "def worker():\n"
                "    while not stop:\n"
                "        perturb.passed()\n"
                "t = threading.Thread(target=worker); t.start()\n"
                "t0 = time.monotonic()\n"
                "for _ in range(10):\n"
                "    perturb.maybe_pause()\n"
                "took = time.monotonic() - t0\n"
                "stop = True; t.join()\n"
                "print(took < 4.0)\n")
        proc, _ = tracefile.run(code, env={"CONCURRENCY_TRACE_PERTURB": "1"})
        self.assertEqual(proc.stdout, b"True\n", proc.stderr)


if __name__ == "__main__":
    unittest.main()
