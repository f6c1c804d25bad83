"""Echo server over multiprocessing.connection (TCP): accepts one client on
HOST:PORT (argv), answers each number with its double until it gets None.
Its first line of output says it listens."""
import sys
from multiprocessing.connection import Listener

if __name__ == '__main__':
    host, port = sys.argv[1], int(sys.argv[2])
    with Listener((host, port), authkey=b'secret') as listener:
        print('listening', listener.address[1], flush=True)
        with listener.accept() as conn:
            while True:
                n = conn.recv()
                if n is None:
                    break
                conn.send(n * 2)
    print('served', flush=True)
