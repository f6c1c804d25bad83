import unittest

from test.runtime import tracefile


class SleepSpans(unittest.TestCase):
    def test_user_sleep_is_a_span_with_the_requested_time_and_site(self):
        proc, trace = tracefile.run("import time\n"
                                    "time.sleep(0.02)\n"
                                    "from time import sleep\n"
                                    "sleep(0)\n"
                                    "time.sleep(1 - 1)\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        sleeps = trace.of("SLEEP")
        self.assertEqual([r.a for r in sleeps], [20000000, 0, 0])
        self.assertEqual([trace.site(r)[1] for r in sleeps], [2, 4, 5])
        self.assertGreaterEqual(sleeps[0].end - sleeps[0].ts, 20000000)
        self.assertEqual([r.b for r in sleeps], [0, 0, 0])

    def test_errors_are_the_original_ones(self):
        code = ("import time\n"
                "for args, kw in [((-1,), {}), ((float('nan'),), {}), (('x',), {}), ((), {}),\n"
                "                 ((1, 2), {}), ((), {'secs': 1})]:\n"
                "    try:\n"
                "        time.sleep(*args, **kw)\n"
                "    except Exception as e:\n"
                "        print(type(e).__name__, e)\n"
                "print(time.sleep.__name__, time.sleep.__module__)\n"
                "import pickle\n"
                "print(pickle.loads(pickle.dumps(time.sleep)) is time.sleep)\n")
        proc, trace = tracefile.run(code)
        plain = tracefile.subprocess.run([tracefile.sys.executable, "-c", code], capture_output=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, plain.stdout)
        self.assertIn(b"ValueError", proc.stdout)
        failed = trace.of("SLEEP")
        self.assertEqual([(r.a, r.b) for r in failed], [(-1000000000, 1), (-1, 1), (-1, 1)])

    def test_uncaught_error_traceback_is_the_untraced_one(self):
        code = "import time\ntime.sleep(-1)\n"
        proc, trace = tracefile.run(code)
        plain = tracefile.subprocess.run([tracefile.sys.executable, trace.script], capture_output=True)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b"ValueError", proc.stderr)
        if tracefile.sys.version_info >= (3, 11):
            self.assertEqual(proc.stderr, plain.stderr)

    def test_signal_handler_exception_interrupts_and_is_flagged(self):
        proc, trace = tracefile.run(
            "import select, signal, sys, threading, time\n"
            "class Stop(Exception):\n"
            "    pass\n"
            "def handler(signum, frame):\n"
            "    raise Stop()\n"
            "signal.signal(signal.SIGALRM, handler)\n"
            "main = threading.main_thread()\n"
            "def alarm_once_main_sleeps():     # not after a fixed delay: main may not be asleep yet\n"
            "    while True:\n"
            "        frame = sys._current_frames()[main.ident]\n"
            "        while frame.f_back is not None:\n"
            "            frame = frame.f_back\n"
            "        with open('/proc/self/task/%d/syscall' % main.native_id) as f:\n"
            "            call = f.read().split()[0]\n"
            "        if frame.f_lineno == SLEEP_LINE and call in ('23', '35', '230', '270'):\n"
            "            return signal.pthread_kill(main.ident, signal.SIGALRM)\n"
            "        select.select([], [], [], 0.002)     # not time.sleep: no SLEEP record\n"
            "SLEEP_LINE = sys._getframe().f_lineno + 4\n"
            "threading.Thread(target=alarm_once_main_sleeps).start()\n"
            "t0 = time.monotonic()\n"
            "try:\n"
            "    time.sleep(30)\n"
            "except Stop:\n"
            "    print('stopped', time.monotonic() - t0 < 10)\n"
            "calls = []\n"
            "signal.signal(signal.SIGALRM, lambda *a: calls.append(1))\n"
            "signal.setitimer(signal.ITIMER_REAL, 0.02)\n"
            "t0 = time.monotonic()\n"
            "time.sleep(0.2)\n"
            "print('resumed', calls, time.monotonic() - t0 >= 0.2)\n")
        self.assertEqual(proc.stdout, b"stopped True\nresumed [1] True\n", proc.stderr)
        sleeps = trace.of("SLEEP")
        self.assertEqual([(r.a, r.b) for r in sleeps], [(30000000000, 1), (200000000, 0)])
        self.assertLess(sleeps[0].end - sleeps[0].ts, 10 * 10**9)

    def test_stdlib_polling_sleeps_are_not_recorded(self):
        proc, trace = tracefile.run(
            "import subprocess, sys\n"
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(0.1)'],\n"
            "                     env={'PATH': '/usr/bin:/bin'})\n"
            "print(p.wait(timeout=20))\n")
        self.assertEqual(proc.stdout, b"0\n", proc.stderr)
        # The child is untraced (no env); the parent's Popen._wait polls with time.sleep.
        self.assertEqual(trace.of("SLEEP"), [])

    def test_sleep_passed_as_a_callable_is_recorded(self):
        proc, trace = tracefile.run(
            "import threading, time\n"
            "from concurrent.futures import ThreadPoolExecutor\n"
            "t = threading.Thread(target=time.sleep, args=(0.01,))\n"
            "t.start(); t.join()\n"
            "with ThreadPoolExecutor(1) as ex:\n"
            "    list(ex.map(time.sleep, [0.01]))\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        sleeps = trace.of("SLEEP")
        self.assertEqual([r.a for r in sleeps], [10000000, 10000000])
        main = trace.of("PROCESS_START")[0].ident
        self.assertTrue(all(r.ident != main for r in sleeps))


if __name__ == "__main__":
    unittest.main()
