"""A BaseManager server for programs in parts (separate terminals or hosts):
serves a dict of results (a DictProxy), a "ready" queue and a gate (the
program's own class: a threading.Event the server keeps) on HOST:PORT
(argv; port 0: any free port) until SIGTERM.  Its first line says the port."""
import queue
import signal
import threading
import sys
from multiprocessing.managers import BaseManager, DictProxy

results = {}
ready = queue.Queue()


class Gate:
    """Opened once; wait() returns when it is open."""

    def __init__(self):
        self.opened = threading.Event()

    def open(self):
        self.opened.set()

    def wait(self):
        self.opened.wait()


gate = Gate()


class StateManager(BaseManager):
    pass


StateManager.register('get_results', callable=lambda: results, proxytype=DictProxy)
StateManager.register('get_ready', callable=lambda: ready)
StateManager.register('get_gate', callable=lambda: gate)


def stop(signum, frame):
    raise SystemExit(0)


if __name__ == '__main__':
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, stop)
    server = StateManager(address=(host, port), authkey=b'state').get_server()
    print('serving', server.address[1], flush=True)
    server.serve_forever()
