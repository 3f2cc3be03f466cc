#!/usr/bin/python3
"""stomp.py 8 (Debian's python3-stomp) on the workloads of issue 6, for comparison.

Run by the .NET bench against the same minimal peer (or broker); prints one line
    BENCH <workload> stomp.py msgs_per_s=<n> cpu_s_per_M=<n> alloc_B_per_msg=NA [...]
CPU is this process's user+system time (stomp.py's receiver thread included).
"""
import argparse
import resource
import sys
import threading
import time

import stomp

BODY = "x" * 100


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Listener(stomp.ConnectionListener):
    def __init__(self, count=0):
        self.count = count
        self.received = 0
        self.done = threading.Event()
        self.receipts = {}
        self.receipt_event = threading.Event()
        self.last_receipt = None
        self.error = None

    def on_message(self, frame):
        self.received += 1
        if self.received == self.count:
            self.done.set()

    def on_receipt(self, frame):
        self.last_receipt = frame.headers.get("receipt-id")
        self.receipt_event.set()

    def on_error(self, frame):
        self.error = frame.body
        self.done.set()
        self.receipt_event.set()


def connect(args, listener):
    # vhost: stomp.py would otherwise send the host name as the "host" header, which
    # RabbitMQ takes for a virtual host and refuses.
    conn = stomp.Connection12([(args.host, args.port)], heartbeats=(0, 0), auto_content_length=True, vhost="/")
    conn.set_listener("bench", listener)
    conn.connect(args.login, args.passcode, wait=True)
    return conn


def report(workload, count, wall, cpu, extra=""):
    print("BENCH %s stomp.py msgs_per_s=%.0f cpu_s_per_M=%.3f alloc_B_per_msg=NA%s"
          % (workload, count / wall, cpu / count * 1e6, extra), flush=True)


def publish(args):
    listener = Listener()
    conn = connect(args, listener)
    wall, cpu = time.perf_counter(), cpu_seconds()
    send = conn.send
    for _ in range(args.count):
        send(args.destination, BODY)
    # DISCONNECT with a receipt: stomp.py waits for the RECEIPT before it returns.
    conn.disconnect(receipt="bye")
    report(args.workload, args.count, time.perf_counter() - wall, cpu_seconds() - cpu)


def consume(args):
    listener = Listener(args.count)
    conn = connect(args, listener)
    wall, cpu = time.perf_counter(), cpu_seconds()
    conn.subscribe(args.destination, id="bench", ack="auto", headers={"x-count": str(args.count)})
    listener.done.wait()
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    conn.disconnect(receipt="bye")
    if listener.error:
        sys.exit("ERROR frame: %s" % listener.error)
    report(args.workload, args.count, wall, cpu)


def roundtrip(args):
    listener = Listener()
    conn = connect(args, listener)
    latencies = []
    event = listener.receipt_event
    wall, cpu = time.perf_counter(), cpu_seconds()
    for i in range(args.count):
        event.clear()
        started = time.perf_counter()
        conn.send(args.destination, BODY, receipt="r%d" % i)
        event.wait()
        latencies.append(time.perf_counter() - started)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    conn.disconnect(receipt="bye")
    latencies.sort()
    p50 = latencies[int(0.50 * len(latencies))] * 1e6
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1e6
    report(args.workload, args.count, wall, cpu, " p50_us=%.1f p99_us=%.1f" % (p50, p99))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=1000000)
    parser.add_argument("--destination", default="/queue/bench")
    parser.add_argument("--login", default=None)
    parser.add_argument("--passcode", default=None)
    args = parser.parse_args()
    kind = args.workload.split("-")[-1]
    {"publish": publish, "consume": consume, "roundtrip": roundtrip}[kind](args)


if __name__ == "__main__":
    main()
