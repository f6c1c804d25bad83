"""py_state: plain Python state shared by threads (SHARED_READ / SHARED_WRITE
of globals, cells, attributes, list and dict items), on every interpreter
here (settrace up to 3.11, sys.monitoring from 3.12)."""
import os
import subprocess
import tempfile
import unittest

from test.runtime.pystatetrace import COUNTER, PYTHONS, accesses, line_of, objects, run

ACCOUNT = """
import threading

class Account:
    def __init__(self):
        self.total = 0
        self.lock = threading.Lock()

    def add(self, x):
        self.total = self.total + x

account = Account()

def deposit():
    for _ in range(20):
        account.add(5)

ts = [threading.Thread(target=deposit) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(account.total)
"""

CHECK_THEN_ACT = """
import threading
cache = {}
results = [0, 0]

def fill(i):
    for k in (1, 2, "x"):
        if k not in cache:
            cache[k] = i
    results[i] += 1

ts = [threading.Thread(target=fill, args=(i,)) for i in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(cache, key=str), results)
"""

NONLOCAL = """
import threading

def main():
    count = 0

    def bump():
        nonlocal count
        for _ in range(10):
            count += 1

    ts = [threading.Thread(target=bump) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(count)

main()
"""


def reads_then_writes(rows):
    return [(k, v) for k, _p, v, _l, _t, _r in rows]


class Globals(unittest.TestCase):
    def test_counter_plus_equals_is_a_read_then_a_write_of_the_global_in_each_thread(self):
        line = line_of(COUNTER, "counter += 1")
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(COUNTER, python)
                self.assertLessEqual(int(proc.stdout), 100, "a racy program: updates may be lost")
                objs = objects(trace, "Python.globals")
                self.assertEqual([(t, label) for t, label, _l in objs.values()], [("Python.globals", "__main__")])
                rows = [r for r in accesses(trace, name="counter") if r[3] == line]
                self.assertEqual(len(rows), 200, "2 threads x 50 x (read, write)")
                threads = {r[4] for r in rows}
                self.assertEqual(len(threads), 2)
                for ident in threads:
                    mine = [r for r in rows if r[4] == ident]
                    self.assertEqual([k for k, *_ in mine], ["READ", "WRITE"] * 50)
                    # The value written is read right after the store; the GIL
                    # can pass to the other thread in between (rarely).
                    plus_one = sum(written == read + 1 for (_k1, _p1, read, *_), (_k2, _p2, written, *_)
                                   in zip(mine[::2], mine[1::2]))
                    self.assertGreaterEqual(plus_one, 45, "the value written is the one read plus one")

    def test_reads_of_functions_builtins_modules_and_locks_are_not_recorded(self):
        script = """
        import threading, time
        lock = threading.Lock()
        data = 1
        def helper():
            return 2
        def work():
            local = 0
            for _ in range(3):
                with lock:
                    local += helper() + len([data]) + int(time.time() > 0)
        ts = [threading.Thread(target=work) for _ in range(2)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(script, python)
                names = {r[1] for r in accesses(trace)}
                self.assertIn("data", names)
                for name in ("lock", "helper", "len", "time", "int", "threading", "local"):
                    self.assertNotIn(name, names)

    def test_module_level_code_after_the_first_thread_is_recorded(self):
        script = """
        import threading
        total = 0
        def work():
            global total
            total += 1
        t = threading.Thread(target=work)
        t.start()
        t.join()
        total += 10
        print(total)
        """
        line = line_of(script, "total += 10")
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(script, python)
                rows = [r for r in accesses(trace, name="total") if r[3] == line]
                self.assertEqual([r[0] for r in rows], ["READ", "WRITE"])
                self.assertEqual(rows[1][2], rows[0][2] + 10)


class Objects(unittest.TestCase):
    def test_attribute_read_modify_write_on_a_shared_object(self):
        line = line_of(ACCOUNT, "self.total = self.total + x")
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(ACCOUNT, python)
                self.assertLessEqual(int(proc.stdout), 200, "a racy program: updates may be lost")
                objs = objects(trace, "Python.object")
                self.assertEqual(len(objs), 1)
                (oid, (_t, label, first_line)), = objs.items()
                self.assertEqual(label, "Account object", "first seen as self: the class names it")
                self.assertEqual(first_line, line)
                rows = [r for r in accesses(trace, obj=oid, name="total") if r[3] == line]
                self.assertEqual(len(rows), 80)
                self.assertEqual(len({r[4] for r in rows}), 2)
                names = {r[1] for r in accesses(trace, obj=oid)}
                self.assertEqual(names, {"total"}, "self.lock holds a lock: not data")

    def test_object_first_seen_through_a_global_is_labelled_with_its_name(self):
        script = """
        import threading
        class Box:
            pass
        box = Box()
        box.n = 0
        def work():
            for _ in range(3):
                box.n += 1
        ts = [threading.Thread(target=work) for _ in range(2)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(script, python)
                labels = [label for _t, label, _l in objects(trace, "Python.object").values()]
                self.assertEqual(labels, ["box"])
                rows = accesses(trace, name="n")
                self.assertEqual(reads_then_writes(rows)[:2], [("READ", 0), ("WRITE", 1)])

    def test_properties_custom_getattr_and_repr_of_user_classes_never_run(self):
        script = """
        import threading
        class Noisy:
            def __repr__(self):
                print("repr ran"); return "Noisy"
            def __eq__(self, other):
                print("eq ran"); return False
            def __hash__(self):
                print("hash ran"); return 1
        class Prop:
            @property
            def value(self):
                print("property ran"); return 1
        class Lazy:
            def __getattr__(self, name):
                print("getattr ran"); return 2
        shared = Noisy()
        p = Prop()
        lazy = Lazy()
        lazy.x = 1
        table = {}
        def work():
            global shared
            v = p.value + lazy.x + lazy.missing
            shared = Noisy()
            table[shared] = 1
            other = [shared, {"k": shared}]
        for _ in range(2):
            t = threading.Thread(target=work)
            t.start()
            t.join()
        print("done")
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(script, python)
                untraced = subprocess.run([python, trace.script], capture_output=True)
                self.assertEqual(proc.stdout, untraced.stdout)
                self.assertEqual(proc.stdout.count(b"property ran"), 2)
                self.assertEqual(proc.stdout.count(b"getattr ran"), 2)
                self.assertNotIn(b"repr ran", proc.stdout)
                writes = [r for r in accesses(trace, name="shared") if r[0] == "WRITE"]
                self.assertEqual([r[2] for r in writes], ["<Noisy>", "<Noisy>"])
                names = {r[1] for r in accesses(trace)}
                self.assertNotIn("value", names, "a property is the class's code, not data")
                self.assertNotIn("x", names, "a class with __getattr__ is not read")
                self.assertNotIn("missing", names)

    def test_thread_local_attributes_are_not_recorded(self):
        script = """
        import threading
        tls = threading.local()
        class Mine(threading.local):
            pass
        mine = Mine()
        def work(i):
            tls.value = i
            mine.value = i
            tls.value += 1
        ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(script, python)
                self.assertEqual(objects(trace, "Python.object"), {})
                self.assertNotIn("value", {r[1] for r in accesses(trace)})


class Containers(unittest.TestCase):
    def test_check_then_act_on_a_dict_is_a_read_of_the_item_then_a_write(self):
        check = line_of(CHECK_THEN_ACT, "if k not in cache")
        act = line_of(CHECK_THEN_ACT, "cache[k] = i")
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(CHECK_THEN_ACT, python)
                self.assertEqual(proc.stdout, b"[1, 2, 'x'] [1, 1]\n")
                dicts = objects(trace, "Python.dict")
                self.assertEqual([label for _t, label, _l in dicts.values()], ["cache"])
                oid = next(iter(dicts))
                for key in (1, 2, "'x'"):
                    rows = accesses(trace, obj=oid, name=key)
                    for thread in {r[4] for r in rows}:
                        mine = [r for r in rows if r[4] == thread]
                        self.assertEqual((mine[0][0], mine[0][3]), ("READ", check), "each thread checks first")
                    self.assertIn(("READ", None, check), [(r[0], r[2], r[3]) for r in rows],
                                  "a check that found the key absent")
                    writes = [r for r in rows if r[0] == "WRITE"]
                    self.assertTrue(writes)
                    self.assertEqual(writes[0][3], act)
                    self.assertIn(writes[0][2], (0, 1))

    def test_list_items_by_index(self):
        line = line_of(CHECK_THEN_ACT, "results[i] += 1")
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(CHECK_THEN_ACT, python)
                lists = objects(trace, "Python.list")
                self.assertEqual([label for _t, label, _l in lists.values()], ["results"])
                rows = [r for r in accesses(trace, obj=next(iter(lists))) if r[3] == line]
                by_index = sorted((r[1], r[0], r[2]) for r in rows)
                self.assertEqual(by_index, [(0, "READ", 0), (0, "WRITE", 1), (1, "READ", 0), (1, "WRITE", 1)])

    def test_dicts_and_lists_in_locals_passed_to_threads_are_recorded(self):
        script = """
        import threading
        def work(shared, i):
            shared["n"] = shared.get("n", 0) + i
        def main():
            shared = {}
            ts = [threading.Thread(target=work, args=(shared, i)) for i in range(2)]
            [t.start() for t in ts]
            [t.join() for t in ts]
        main()
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(script, python)
                dicts = objects(trace, "Python.dict")
                self.assertEqual([label for _t, label, _l in dicts.values()], ["shared"])
                writes = [r for r in accesses(trace, name="'n'") if r[0] == "WRITE"]
                self.assertEqual(len(writes), 2)


class Cells(unittest.TestCase):
    def test_nonlocal_counter_is_a_cell(self):
        line = line_of(NONLOCAL, "count += 1")
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(NONLOCAL, python)
                self.assertLessEqual(int(proc.stdout), 20, "a racy program: updates may be lost")
                cells = objects(trace, "Python.cell")
                if version < (3, 12):
                    # settrace would write stale cell values back (see py_state_settrace).
                    self.assertEqual(cells, {})
                    self.assertEqual(accesses(trace), [])
                    continue
                self.assertEqual([label for _t, label, _l in cells.values()], ["count"])
                rows = [r for r in accesses(trace, name="count") if r[3] == line]
                self.assertEqual(len(rows), 40)
                self.assertEqual(len({r[4] for r in rows}), 2)

    def test_closures_of_separate_calls_are_not_merged(self):
        script = """
        import threading
        def make():
            n = 0
            def inc():
                nonlocal n
                for _ in range(5):
                    n += 1
                return n
            return inc
        a, b = make(), make()
        ts = [threading.Thread(target=f) for f in (a, b)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        print(a(), b())
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(script, python)
                self.assertEqual(proc.stdout, b"10 10\n")
                # Two live closures of one code, two cells: which one a frame
                # uses cannot be told, so neither is recorded (never merged).
                self.assertEqual(objects(trace, "Python.cell"), {})


class NotRecorded(unittest.TestCase):
    def test_single_threaded_program_records_nothing(self):
        script = """
        counter = 0
        for _ in range(100):
            counter += 1
        d = {1: 2}
        d[1] += 1
        print(counter, d)
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(script, python)
                self.assertEqual(trace.of("SHARED_READ", "SHARED_WRITE"), [])
                self.assertEqual(objects(trace), {})

    def test_locals_are_not_recorded(self):
        script = """
        import threading
        def work():
            total = 0
            items = [0]
            for i in range(5):
                total += i
            return total
        ts = [threading.Thread(target=work) for _ in range(2)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                _proc, trace = run(script, python)
                self.assertEqual([r for r in accesses(trace) if r[1] in ("total", "i", "items")], [])

    def test_code_outside_the_scripts_folder_and_the_standard_library_is_not_recorded(self):
        lib = tempfile.mkdtemp(prefix="ct-lib-")
        with open(os.path.join(lib, "helperlib.py"), "w") as f:
            f.write("state = {'n': 0}\ncount = 0\ndef bump():\n    global count\n    count += 1\n    state['n'] += 1\n")
        script = """
        import threading, queue, helperlib
        q = queue.Queue()
        mine = 0
        def work():
            global mine
            for _ in range(3):
                helperlib.bump()
                q.put(1)
                q.get()
                mine += 1
        ts = [threading.Thread(target=work) for _ in range(2)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        print(helperlib.count, mine)
        """
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(script, python, env={"PYTHONPATH": lib})
                count, mine = map(int, proc.stdout.split())
                self.assertEqual(count, 6)
                # `mine += 1` races (the test needs a shared write): the recording of the
                # script's accesses lets a thread switch fall inside it, so updates may be
                # lost, down to 2 (seen: 3 on 3.12 under load)
                self.assertIn(mine, range(2, 7))
                names = {r[1] for r in accesses(trace)}
                self.assertIn("mine", names)
                self.assertNotIn("count", names)
                self.assertNotIn("'n'", names)
                self.assertNotIn("unfinished_tasks", names, "queue.py is the standard library")
                labels = {label for _t, label, _l in objects(trace).values()}
                self.assertEqual(labels, {"__main__"})

    def test_switched_off_by_the_environment(self):
        for version, python in PYTHONS:
            with self.subTest(python=version):
                proc, trace = run(COUNTER, python, env={"CONCURRENCY_TRACE_PY_STATE": "0"})
                self.assertLessEqual(int(proc.stdout), 100, "a racy program: updates may be lost")
                self.assertEqual(trace.of("SHARED_READ", "SHARED_WRITE"), [])
                self.assertTrue(trace.of("THREAD_SPAWN"), "the rest still traces")


if __name__ == "__main__":
    unittest.main()
