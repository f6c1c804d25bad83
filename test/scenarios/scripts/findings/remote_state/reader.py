"""Updates results['answer'] on the state server: with "queue" after getting
"ready" from the server's queue, with "gate" after the server's gate opened
(both ordered after the writer), with "sleep" after sleeping SECONDS only
(nothing orders it: a data race)."""
import sys
import time
from multiprocessing.managers import BaseManager, DictProxy


class StateManager(BaseManager):
    pass


StateManager.register('get_results', proxytype=DictProxy)
StateManager.register('get_ready')
StateManager.register('get_gate')

if __name__ == '__main__':
    host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    m = StateManager(address=(host, port), authkey=b'state')
    m.connect()
    results = m.get_results()
    if mode == 'queue':
        m.get_ready().get()
    elif mode == 'gate':
        m.get_gate().wait()
    else:
        time.sleep(float(sys.argv[4]))
    results['answer'] = results['answer'] + 1
    print('answer', results['answer'], flush=True)
