"""The tutorial race: two threads add to a global counter, with a lock
(`lock` argument) or without (the lost-update bug)."""
import sys
import threading

shared_data = 0
lock = threading.Lock()


def increment(n):
    global shared_data
    for _ in range(n):
        shared_data += 1


def increment_locked(n):
    global shared_data
    for _ in range(n):
        with lock:
            shared_data += 1


def main():
    target = increment_locked if sys.argv[1:] == ["lock"] else increment
    threads = [threading.Thread(target=target, args=(100000,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("done")


main()
