import unittest

from test.runtime import tracefile

VALUE_ARRAY = """
import multiprocessing as mp
import sys

def work(counter, arr):
    for _ in range(3):
        counter.value += 1
    arr[1] = 7.5
    arr[-1] = arr[0]

if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    counter = mp.Value("i", 0)
    arr = mp.Array("d", 4)
    p = mp.Process(target=work, args=(counter, arr))
    p.start()
    p.join()
    print(counter.value, arr[:])
"""


def value(trace, rec):
    """The value summary of a SHARED_* record: ints are inline (a < 0)."""
    if rec.a < 0:
        return str(-rec.a - 2 ** 51)
    return trace.blob(rec)


def line_of(script_text, needle):
    for i, line in enumerate(script_text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


class SynchronizedValueAndArray(unittest.TestCase):
    def check_start_method(self, method):
        proc, trace = tracefile.run(VALUE_ARRAY, method)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"3 [0.0, 7.5, 0.0, 0.0]\n")
        objects = {trace.blob(r): r for r in trace.of("OBJECT") if trace.blob(r) in ("Value", "Array")}
        self.assertEqual(set(objects), {"Value", "Array"})
        value_id, array_id = objects["Value"].obj, objects["Array"].obj
        self.assertNotEqual(value_id, array_id)
        self.assertEqual(trace.blob(objects["Value"], "b"), "counter")
        self.assertEqual(trace.blob(objects["Array"], "b"), "arr")
        parent = objects["Value"].pid
        accesses = trace.of("SHARED_READ", "SHARED_WRITE")
        child_pids = {r.pid for r in accesses} - {parent}
        self.assertEqual(len(child_pids), 1, "the child's accesses are recorded in the child")
        child = child_pids.pop()
        child_value = [r for r in accesses if r.pid == child and r.obj == value_id]
        self.assertEqual(len(child_value), 6, "same id in the child for the inherited / unpickled Value")
        child_array = [r for r in accesses if r.pid == child and r.obj == array_id]
        self.assertEqual([(r.name, r.b) for r in child_array],
                         [("SHARED_WRITE", 2 * 1 + 1), ("SHARED_READ", 2 * 0 + 1), ("SHARED_WRITE", 2 * 3 + 1)])
        self.assertEqual(trace.blob(child_array[0]), "7.5")
        parent_reads = [r for r in accesses if r.pid == parent]
        self.assertEqual({r.obj for r in parent_reads}, {value_id, array_id})
        self.assertEqual([r.name for r in parent_reads], ["SHARED_READ", "SHARED_READ"])

    def test_value_and_array_have_one_id_in_parent_and_fork_child(self):
        self.check_start_method("fork")

    def test_value_and_array_have_one_id_in_parent_and_spawn_child(self):
        self.check_start_method("spawn")

    def test_read_modify_write_is_a_read_then_a_write_at_the_user_line(self):
        proc, trace = tracefile.run(VALUE_ARRAY, "fork")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        line = line_of(VALUE_ARRAY, "counter.value += 1")
        rmw = [r for r in trace.of("SHARED_READ", "SHARED_WRITE") if trace.site(r)[1] == line]
        self.assertEqual([r.name for r in rmw], ["SHARED_READ", "SHARED_WRITE"] * 3)
        self.assertEqual([value(trace, r) for r in rmw], ["0", "1", "1", "2", "2", "3"])
        for r in rmw:
            self.assertEqual(trace.site(r)[2], "work")
            self.assertEqual(r.b, 0)

    def test_lock_false_and_raw_values_still_work(self):
        proc, trace = tracefile.run(
            "import multiprocessing as mp, pickle\n"
            "v = mp.Value('i', 1, lock=False)\n"
            "r = mp.RawArray('i', 3)\n"
            "s = mp.Array('c', b'hey')\n"
            "v.value += 1; r[0] = 5\n"
            "s.value = b'yo'\n"
            "print(v.value, r[:], s.value, s.raw, type(mp.Value('d')).__name__)\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"2 [5, 0, 0] b'yo' b'yo\\x00' Synchronized\n")
        string_writes = [r for r in trace.of("SHARED_WRITE")]
        self.assertEqual([trace.blob(r) for r in string_writes], ["b'yo'"])

    def test_programs_without_shared_memory_do_not_import_ctypes(self):
        proc, _ = tracefile.run("import sys\n"
                                "print(sorted(m for m in ('ctypes', 'multiprocessing.sharedctypes',"
                                " 'multiprocessing.managers', 'asyncio') if m in sys.modules))\n")
        self.assertEqual(proc.stdout, b"[]\n", proc.stderr)


MANAGER = """
import multiprocessing as mp
import sys

def child(ns, lst, d):
    ns.x += 1
    lst.append("c")
    d["k"] = d.get("k", 0) + 1

if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    with mp.Manager() as manager:
        ns = manager.Namespace()
        ns.x = 1
        lst = manager.list([1, 2])
        d = manager.dict()
        shared_v = manager.Value("i", 3)
        lst[0] = 10
        d["k"] = 1
        shared_v.value = 4
        p = mp.Process(target=child, args=(ns, lst, d))
        p.start()
        p.join()
        print(ns.x, list(lst), dict(d), shared_v.value, len(lst), "k" in d)
"""


class ManagerProxies(unittest.TestCase):
    def test_namespace_list_dict_value_reads_and_writes(self):
        proc, trace = tracefile.run(MANAGER, "fork")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"2 [10, 2, 'c'] {'k': 2} 4 3 True\n")
        objects = {trace.blob(r): r for r in trace.of("OBJECT") if (trace.blob(r) or "").startswith("Manager.")}
        self.assertEqual(set(objects), {"Manager.Namespace", "Manager.list", "Manager.dict", "Manager.Value"})
        self.assertEqual(trace.blob(objects["Manager.Namespace"], "b"), "ns")
        self.assertEqual(trace.blob(objects["Manager.Value"], "b"), "shared_v")
        ids = {name: rec.obj for name, rec in objects.items()}
        self.assertEqual(len(set(ids.values())), 4)
        accesses = trace.of("SHARED_READ", "SHARED_WRITE")

        def at(needle):
            line = line_of(MANAGER, needle)
            return [(r.name, r.obj, value(trace, r)) for r in accesses if trace.site(r)[1] == line]

        ns_id, list_id, dict_id, value_id = (ids["Manager.Namespace"], ids["Manager.list"],
                                             ids["Manager.dict"], ids["Manager.Value"])
        self.assertEqual(at("ns.x = 1"), [("SHARED_WRITE", ns_id, "1")])
        self.assertEqual(at("ns.x += 1"), [("SHARED_READ", ns_id, "1"), ("SHARED_WRITE", ns_id, "2")])
        self.assertEqual(at('lst.append("c")'), [("SHARED_WRITE", list_id, "append('c')")])
        self.assertEqual(at("lst[0] = 10"), [("SHARED_WRITE", list_id, "10")])
        self.assertEqual(at('d["k"] = d.get'), [("SHARED_READ", dict_id, "1"), ("SHARED_WRITE", dict_id, "2")])
        self.assertEqual(at("shared_v.value = 4"), [("SHARED_WRITE", value_id, "4")])
        # A namespace attribute / dict key is the record's part.
        ns_x = [r for r in accesses if r.obj == ns_id]
        self.assertEqual({trace.blobs[(r.pid, r.b >> 1)] for r in ns_x}, {"x"})
        self.assertEqual({r.b & 1 for r in ns_x}, {0})
        list_set = [r for r in accesses if r.obj == list_id and value(trace, r) == "10"][0]
        self.assertEqual(list_set.b, 1)     # index 0
        # The child's accesses use the same ids.
        parent = objects["Manager.list"].pid
        child_objs = {r.obj for r in accesses if r.pid != parent}
        self.assertEqual(child_objs, {ns_id, list_id, dict_id})

    def test_a_dict_and_list_of_a_registered_typeid_are_objects_named_by_the_users_variables(self):
        script = (
            "from multiprocessing import Process\n"
            "from multiprocessing.managers import BaseManager, DictProxy, ListProxy\n"
            "answers = {}\n"
            "def answers_of_server():\n"
            "    return answers\n"
            "class StateManager(BaseManager):\n"
            "    pass\n"
            "StateManager.register('get_answers', callable=answers_of_server, proxytype=DictProxy)\n"
            "StateManager.register('get_log', callable=list, proxytype=ListProxy)\n"
            "StateManager.register('get_plain', callable=dict)\n"
            "def work(d):\n"
            "    d['answer'] = d['answer'] + 1\n"
            "if __name__ == '__main__':\n"
            "    with StateManager() as m:\n"
            "        results = m.get_answers()\n"
            "        log = m.get_log()\n"
            "        plain = m.get_plain()\n"
            "        results['answer'] = 41\n"
            "        p = Process(target=work, args=(results,))\n"
            "        p.start(); p.join()\n"
            "        log.append(results['answer'])\n"
            "        print(results['answer'], log[0], StateManager.get_answers.__name__)\n"
            "    try:\n"
            "        StateManager.register()\n"
            "    except TypeError as e:\n"
            "        print(e)\n")
        proc, trace = tracefile.run(script, "fork")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.splitlines()[0], b"42 42 get_answers")
        self.assertIn(b"register() missing 1 required positional argument: 'typeid'", proc.stdout)
        objects = {trace.blob(r): r for r in trace.of("OBJECT") if (trace.blob(r) or "").startswith("StateManager.")}
        self.assertEqual(set(objects), {"StateManager.get_answers", "StateManager.get_log"}, "AutoProxy is not shared")
        self.assertEqual(trace.blob(objects["StateManager.get_answers"], "b"), "results")
        self.assertEqual(trace.blob(objects["StateManager.get_log"], "b"), "log")
        self.assertEqual(trace.site(objects["StateManager.get_answers"])[1], line_of(script, "results = m.get_answers()"))
        dict_id = objects["StateManager.get_answers"].obj
        writes = [r for r in trace.of("SHARED_WRITE") if r.obj == dict_id]
        self.assertEqual(len({r.pid for r in writes}), 2, "the child's writes are on the same object")

    def test_proxy_ids_match_in_a_spawned_child(self):
        proc, trace = tracefile.run(MANAGER, "spawn")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        objects = {trace.blob(r): r.obj for r in trace.of("OBJECT") if (trace.blob(r) or "").startswith("Manager.")}
        parent = [r for r in trace.of("OBJECT") if trace.blob(r) == "Manager.list"][0].pid
        child_objs = {r.obj for r in trace.of("SHARED_READ", "SHARED_WRITE") if r.pid != parent}
        self.assertEqual(child_objs, {objects["Manager.Namespace"], objects["Manager.list"], objects["Manager.dict"]})

    def test_failed_proxy_access_is_recorded_and_raises_as_usual(self):
        proc, trace = tracefile.run(
            "import multiprocessing as mp\n"
            "if __name__ == '__main__':\n"
            "    with mp.Manager() as m:\n"
            "        d = m.dict()\n"
            "        try:\n"
            "            d['missing']\n"
            "        except KeyError as e:\n"
            "            print('KeyError', e)\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"KeyError 'missing'\n")
        reads = trace.of("SHARED_READ")
        self.assertEqual([trace.blob(r) for r in reads], ["!KeyError"])
        self.assertEqual(trace.site(reads[0])[1], 6)


if __name__ == "__main__":
    unittest.main()
