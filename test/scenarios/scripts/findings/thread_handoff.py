"""Plain Python state handed from one thread to another, ordered in every
mode: no race to report.

queue: the producer fills a dict, then puts it on a queue; the consumer gets it
event: the writer sets an attribute, then an Event; the reader waits for it
join:  a worker appends to a list; the main thread reads it after join()
"""
import queue
import sys
import threading

mode = sys.argv[1]


class Box:
    pass


box = Box()
box.value = 0
results = []
q = queue.Queue()
done = threading.Event()


def producer():
    data = {"total": 0}
    for i in range(100):
        data["total"] = data["total"] + i
    q.put(data)


def consumer():
    data = q.get()
    data["total"] = data["total"] * 2
    print("total", data["total"])


def writer():
    box.value = 42
    done.set()


def reader():
    done.wait()
    box.value = box.value + 1
    print("value", box.value)


def worker():
    for i in range(10):
        results.append(i)


if mode == "queue":
    threads = [threading.Thread(target=producer), threading.Thread(target=consumer)]
elif mode == "event":
    threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
else:
    threads = [threading.Thread(target=worker)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if mode == "join":
    results.append(len(results))
    print("results", results[-1])
