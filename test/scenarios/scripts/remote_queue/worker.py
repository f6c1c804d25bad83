"""A worker: squares numbers from the task queue onto the result queue until
it gets None.  With "hang" it takes its numbers but never answers (a bug:
the producer waits for results forever, and the worker for more tasks or
the None the producer sends only once it has every result: a deadlock
across the manager's two queues)."""
import sys
from multiprocessing.managers import BaseManager


class QueueManager(BaseManager):
    pass


QueueManager.register('get_tasks')
QueueManager.register('get_results')

if __name__ == '__main__':
    host, port = sys.argv[1], int(sys.argv[2])
    hang = len(sys.argv) > 3 and sys.argv[3] == 'hang'
    m = QueueManager(address=(host, port), authkey=b'abracadabra')
    m.connect()
    tasks = m.get_tasks()
    results = m.get_results()
    done = 0
    while True:
        n = tasks.get()
        if n is None:
            break
        if hang:
            print('took', n, flush=True)
        else:
            results.put(n * n)
        done += 1
    print('worker done', done, flush=True)
