"""Client of echo_server.py: sends N numbers to HOST:PORT (argv), one at a
time, reads each answer, then sends None."""
import sys
from multiprocessing.connection import Client

if __name__ == '__main__':
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with Client((host, port), authkey=b'secret') as conn:
        total = 0
        for i in range(n):
            conn.send(i)
            total += conn.recv()
        conn.send(None)
    print('total', total, flush=True)
