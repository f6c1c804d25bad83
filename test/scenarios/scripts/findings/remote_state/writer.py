"""Writes results['answer'] on the state server, then tells the reader:
"queue" puts "ready" on the server's queue, "gate" opens the server's gate
(only proxy calls reach it), "none" tells nobody."""
import sys
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
    results['answer'] = 41
    if mode == 'queue':
        m.get_ready().put('ready')
    elif mode == 'gate':
        m.get_gate().open()
    print('wrote', flush=True)
