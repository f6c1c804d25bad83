"""The producer: puts N numbers on the server's task queue, collects N
results, then tells each worker to stop (one None each)."""
import sys
from multiprocessing.managers import BaseManager


class QueueManager(BaseManager):
    pass


QueueManager.register('get_tasks')
QueueManager.register('get_results')

if __name__ == '__main__':
    host, port, n, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    m = QueueManager(address=(host, port), authkey=b'abracadabra')
    m.connect()
    tasks = m.get_tasks()
    results = m.get_results()
    for i in range(n):
        tasks.put(i)
    total = 0
    for _ in range(n):
        total += results.get()
    for _ in range(workers):
        tasks.put(None)
    print('total', total, flush=True)
