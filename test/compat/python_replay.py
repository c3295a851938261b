"""Replays a partition with Python grpcio and checks every message, as an upstream client sees it.

Usage: python3 python_replay.py PROTO_FILE HOST:PORT STREAM PARTITION COUNT

Subscribes to STREAM/PARTITION from the earliest offset to COUNT - 1, through stubs generated
from PROTO_FILE (see python_client.py), and checks message i: offset i, the value
test/helpers/replay.ts publishes (`m{i}:` then filler, every 997th larger than 64 KiB), the
stream, the partition and the `subject` header. Prints one JSON object: the count, whether the
handshake came first, the first message that differed (or null) and the status the call ended
with.
"""
import json
import shutil
import sys
import tempfile

import grpc

from python_client import generate

LARGE_VALUE_BYTES = 70000


def replay_value(i):
    return (f"m{i}:" + "x" * (LARGE_VALUE_BYTES if i % 997 == 0 else i % 300)).encode()


def main():
    proto_file, address, stream = sys.argv[1:4]
    partition, count = int(sys.argv[4]), int(sys.argv[5])
    out_dir = tempfile.mkdtemp(prefix="lb-pyreplay-")
    try:
        pb, rpc = generate(proto_file, out_dir)
        channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", -1)])
        api = rpc.APIStub(channel)
        req = pb.SubscribeRequest(stream=stream, partition=partition, startPosition=pb.EARLIEST,
                                  stopPosition=pb.STOP_OFFSET, stopOffset=count - 1)
        seen = {"count": 0, "handshake": None, "firstWrong": None, "end": None}
        subject = f"{stream}.{partition}" if partition else stream
        try:
            for m in api.Subscribe(req, timeout=120):
                if seen["handshake"] is None:
                    seen["handshake"] = m.offset == 0 and not m.value and not m.stream
                    if seen["handshake"]:
                        continue
                i = seen["count"]
                ok = (m.offset == i and m.value == replay_value(i) and m.stream == stream
                      and m.partition == partition and m.headers.get("subject") == subject.encode())
                if not ok and seen["firstWrong"] is None:
                    seen["firstWrong"] = {"index": i, "offset": m.offset, "stream": m.stream,
                                          "partition": m.partition, "valueBytes": len(m.value)}
                seen["count"] += 1
        except grpc.RpcError as err:
            seen["end"] = err.code().name
        print(json.dumps(seen))
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
