"""The queue server of the three-terminal BaseManager tutorial (as in the
multiprocessing docs, "Using a remote manager"): serves two queues on
HOST:PORT (argv; port 0: any free port) until it receives SIGTERM.  Its
first line of output says the port."""
import queue
import signal
import sys
from multiprocessing.managers import BaseManager

tasks = queue.Queue()
results = queue.Queue()


class QueueManager(BaseManager):
    pass


QueueManager.register('get_tasks', callable=lambda: tasks)
QueueManager.register('get_results', callable=lambda: results)


def stop(signum, frame):
    raise SystemExit(0)


if __name__ == '__main__':
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, stop)
    m = QueueManager(address=(host, port), authkey=b'abracadabra')
    server = m.get_server()
    print('serving', server.address[1], flush=True)
    server.serve_forever()
