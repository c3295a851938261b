"""Benchmark driver: Python grpcio talking to a Liftbridge API (see bench/README.md).

Usage: /usr/bin/python3 lb_driver.py MODE --address HOST:PORT --stream NAME [--size BYTES]
       [--window N] [--ack leader|all|none] [--warmup-ms MS] [--measure-ms MS] [--count N]

MODE is lb-publish-async (PublishAsync, --window requests in flight, fed through grpcio's
request iterator: one request per HTTP/2 DATA frame), lb-publish (unary Publish, one at a time)
or lb-subscribe (Subscribe from the earliest offset until --count messages arrived). Stubs are
generated from proto/api.proto with grpc_tools at start, as test/compat/python_client.py does.
Prints one JSON line; on failure one line on stderr and a non-zero exit.
"""
import importlib
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time

import grpc
from google.protobuf.internal import api_implementation
from grpc_tools import protoc

PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto", "api.proto")
MODES = ("lb-publish-async", "lb-publish", "lb-subscribe")
FLAGS = {"address": None, "stream": None, "subject": None, "size": 100, "window": 1000,
         "ack": "leader", "warmup-ms": 1000, "measure-ms": 5000, "count": None}
INT_FLAGS = ("size", "window", "warmup-ms", "measure-ms", "count")


class UsageError(Exception):
    pass


def parse_args(argv):
    if not argv or argv[0] not in MODES:
        raise UsageError(f"mode is {argv[0] if argv else ''!r}, expected one of {', '.join(MODES)}")
    args = dict(FLAGS, mode=argv[0])
    rest = argv[1:]
    if len(rest) % 2:
        raise UsageError(f"expected --flag value pairs, got {' '.join(rest)}")
    for name, value in zip(rest[::2], rest[1::2]):
        key = name[2:] if name.startswith("--") else None
        if key not in FLAGS:
            raise UsageError(f"unknown flag {name}")
        if key in INT_FLAGS:
            try:
                value = int(value)
            except ValueError:
                raise UsageError(f"--{key} is {value!r}, expected an integer") from None
            if value < (0 if key in ("size", "warmup-ms") else 1):
                raise UsageError(f"--{key} is {value}, expected a positive integer")
        args[key] = value
    for required in ("address", "stream"):
        if not args[required]:
            raise UsageError(f"--{required} is required")
    if args["ack"] not in ("leader", "all", "none"):
        raise UsageError(f"--ack is {args['ack']!r}, expected leader, all or none")
    if args["mode"] == "lb-subscribe" and not args["count"]:
        raise UsageError("--count is required for lb-subscribe")
    return args


def generate(out_dir):
    src_dir = os.path.join(out_dir, "src")
    os.makedirs(src_dir)
    shutil.copy(PROTO, os.path.join(src_dir, "api.proto"))
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    if protoc.main(["protoc", f"-I{src_dir}", f"-I{include}", f"--python_out={out_dir}",
                    f"--grpc_python_out={out_dir}", os.path.join(src_dir, "api.proto")]) != 0:
        raise RuntimeError(f"protoc failed on {PROTO}")
    sys.path.insert(0, out_dir)
    return importlib.import_module("api_pb2"), importlib.import_module("api_pb2_grpc")


def percentiles(samples):
    """Nearest-rank p50/p99/p99.9 in microseconds, as bench/stats.ts computes them."""
    if not samples:
        return None
    samples.sort()
    n = len(samples)

    def rank(q):
        return samples[min(n, max(1, math.ceil(q * n))) - 1]
    return {"p50": rank(0.5), "p99": rank(0.99), "p999": rank(0.999)}


class Clock:
    def __init__(self, args):
        self.start = time.monotonic()
        self.measure_from = self.start + args["warmup-ms"] / 1000
        self.measure_until = self.measure_from + args["measure-ms"] / 1000


def publish_async(pb, api, args, request):
    window = threading.Semaphore(args["window"])
    sent_at = {}
    stop = threading.Event()
    clock = Clock(args)

    def requests():
        counter = 0
        while True:
            window.acquire()
            if stop.is_set():
                return
            counter += 1
            req = request(str(counter))
            sent_at[req.correlationId] = time.monotonic()
            yield req

    call = api.PublishAsync(requests())
    measured, errors, latencies = 0, 0, []
    try:
        for response in call:
            now = time.monotonic()
            t0 = sent_at.pop(response.correlationId, None)
            window.release()
            if t0 is None:
                continue
            if now > clock.measure_until:
                break
            if t0 >= clock.measure_from:
                measured += 1
                latencies.append((now - t0) * 1e6)
                if response.HasField("asyncError") or response.ack.ackError != pb.Ack.OK:
                    errors += 1
    finally:
        stop.set()
        window.release()
        call.cancel()
    return measured, errors, latencies


def publish_sync(pb, api, args, request):
    clock = Clock(args)
    measured, errors, latencies, counter = 0, 0, [], 0
    while True:
        counter += 1
        t0 = time.monotonic()
        response = api.Publish(request(str(counter)), timeout=10)
        now = time.monotonic()
        if now > clock.measure_until:
            break
        if t0 >= clock.measure_from:
            measured += 1
            latencies.append((now - t0) * 1e6)
            if response.ack.ackError != pb.Ack.OK:
                errors += 1
    return measured, errors, latencies


def subscribe(pb, api, args):
    count = args["count"]
    start = time.monotonic()
    call = api.Subscribe(pb.SubscribeRequest(stream=args["stream"], partition=0,
                                             startPosition=pb.EARLIEST))
    received = -1  # the first message is the empty handshake
    try:
        for _ in call:
            received += 1
            if received == count:
                return time.monotonic() - start
    except grpc.RpcError as err:
        raise RuntimeError(f"Subscribe ended after {received} of {count}: "
                           f"{err.code().name} {err.details()}") from None
    finally:
        call.cancel()
    raise RuntimeError(f"Subscribe ended after {received} of {count} messages")


def run(args):
    out_dir = tempfile.mkdtemp(prefix="lb-bench-py-")
    try:
        pb, rpc = generate(out_dir)
        channel = grpc.insecure_channel(args["address"])
        grpc.channel_ready_future(channel).result(timeout=10)
        api = rpc.APIStub(channel)
        client = (f"Python grpcio {grpc.__version__}, protobuf {api_implementation.Type()} "
                  "(one request per DATA frame)")
        if args["mode"] == "lb-subscribe":
            seconds = subscribe(pb, api, args)
            return {"messages": args["count"], "seconds": seconds, "latencyUs": None,
                    "errors": 0, "client": client}
        value = b"a" * args["size"]
        ack_policy = {"leader": pb.LEADER, "all": pb.ALL, "none": pb.NONE}[args["ack"]]

        def request(correlation_id):
            return pb.PublishRequest(stream=args["stream"], partition=0, value=value,
                                     correlationId=correlation_id, ackPolicy=ack_policy)
        timed = publish_async if args["mode"] == "lb-publish-async" else publish_sync
        measured, errors, latencies = timed(pb, api, args, request)
        channel.close()
        return {"messages": measured, "seconds": args["measure-ms"] / 1000,
                "latencyUs": percentiles(latencies), "errors": errors, "client": client}
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def main():
    try:
        print(json.dumps(run(parse_args(sys.argv[1:]))), flush=True)
    except UsageError as err:
        print(f"lb_driver.py: {err}", file=sys.stderr)
        sys.exit(2)
    except grpc.RpcError as err:
        print(f"lb_driver.py: {err.code().name}: {err.details()}", file=sys.stderr)
        sys.exit(1)
    except Exception as err:  # noqa: BLE001 - one line on stderr for the harness
        print(f"lb_driver.py: {type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
