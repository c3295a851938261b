"""An upstream-style Liftbridge client made only from a .proto file and Python's grpcio.

Usage: python3 python_client.py PROTO_FILE HOST:PORT STREAM [deadlines | pipelined COUNT WINDOW]

It generates stubs from PROTO_FILE with grpc_tools.protoc into a temp dir, then, like any
Liftbridge client would: creates STREAM, publishes three messages with ack policy ALL,
fetches metadata, subscribes from the earliest offset up to the latest, and prints one JSON
object with what it saw. With `deadlines`, it instead creates STREAM and calls Publish,
PublishToSubject and Subscribe with fractional and very large timeouts, printing what each
returned. With `pipelined`, it creates STREAM and sends COUNT PublishAsync requests on one call
with up to WINDOW awaiting their ack (grpcio sends each in its own HTTP/2 DATA frame), then
prints every response in arrival order. Protobuf and gRPC here share no code with lb's
TypeScript.
"""
import importlib
import json
import os
import shutil
import sys
import tempfile
import threading

import grpc
from grpc_tools import protoc


def generate(proto_file, out_dir):
    src_dir = os.path.join(out_dir, "src")
    os.makedirs(src_dir)
    shutil.copy(proto_file, os.path.join(src_dir, "api.proto"))
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    args = ["protoc", f"-I{src_dir}", f"-I{include}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}", os.path.join(src_dir, "api.proto")]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    sys.path.insert(0, out_dir)
    return importlib.import_module("api_pb2"), importlib.import_module("api_pb2_grpc")


# Seconds: not whole milliseconds, and far beyond 2**31 ms (grpcio sends these as "1235m",
# "1501m" and hours).
DEADLINE_TIMEOUTS = [1.2345678, 1.5000001, 3e9]


def deadlines(pb, api, stream):
    api.CreateStream(pb.CreateStreamRequest(subject=stream, name=stream), timeout=10)
    seen = []
    for timeout in DEADLINE_TIMEOUTS:
        entry = {"timeout": timeout}
        try:
            resp = api.Publish(pb.PublishRequest(stream=stream, value=b"d", ackPolicy=pb.LEADER),
                               timeout=timeout)
            entry["publish"] = int(resp.ack.offset)
            resp = api.PublishToSubject(pb.PublishToSubjectRequest(subject=stream, value=b"d",
                                                                   ackPolicy=pb.LEADER),
                                        timeout=timeout)
            entry["publishToSubject"] = int(resp.ack.offset)
            req = pb.SubscribeRequest(stream=stream, startPosition=pb.EARLIEST,
                                      stopPosition=pb.STOP_LATEST)
            entry["subscribed"] = 0
            try:
                for _ in api.Subscribe(req, timeout=timeout):
                    entry["subscribed"] += 1
            except grpc.RpcError as err:
                entry["subscribeEnd"] = err.code().name
        except grpc.RpcError as err:
            entry["error"] = f"{err.code().name}: {err.details()}"
        seen.append(entry)
    print(json.dumps(seen))


def pipelined(pb, api, stream, count, window):
    api.CreateStream(pb.CreateStreamRequest(subject=stream, name=stream), timeout=10)
    credits = threading.Semaphore(window)

    def requests():
        for i in range(count):
            credits.acquire()
            yield pb.PublishRequest(stream=stream, value=f"py-{i}".encode(),
                                    correlationId=f"py-{i}", ackPolicy=pb.LEADER)

    acks = []
    responses = api.PublishAsync(requests(), timeout=60)
    for resp in responses:
        acks.append({"correlationId": resp.correlationId, "offset": int(resp.ack.offset),
                     "error": resp.asyncError.message if resp.HasField("asyncError") else None})
        credits.release()
        if len(acks) == count:
            responses.cancel()
            break
    print(json.dumps(acks))


def main():
    proto_file, address, stream = sys.argv[1:4]
    out_dir = tempfile.mkdtemp(prefix="lb-pyclient-")
    try:
        pb, rpc = generate(proto_file, out_dir)
        channel = grpc.insecure_channel(address)
        api = rpc.APIStub(channel)
        if sys.argv[4:] == ["deadlines"]:
            deadlines(pb, api, stream)
            return
        if sys.argv[4:5] == ["pipelined"]:
            pipelined(pb, api, stream, int(sys.argv[5]), int(sys.argv[6]))
            return
        api.CreateStream(pb.CreateStreamRequest(subject=f"{stream}.subject", name=stream,
                                                partitions=1, replicationFactor=1), timeout=10)
        acks = []
        for i in range(3):
            resp = api.Publish(pb.PublishRequest(stream=stream, key=f"k{i}".encode(),
                                                 value=f"python {i}".encode(),
                                                 headers={"lang": b"python"},
                                                 correlationId=f"py-{i}",
                                                 ackPolicy=pb.ALL), timeout=10)
            acks.append({"offset": int(resp.ack.offset), "correlationId": resp.ack.correlationId,
                         "stream": resp.ack.stream})
        md = api.FetchMetadata(pb.FetchMetadataRequest(streams=[stream]), timeout=10)
        brokers = [{"id": b.id, "host": b.host, "port": b.port} for b in md.brokers]
        partition = md.streamMetadata[0].partitions[0]
        req = pb.SubscribeRequest(stream=stream, partition=0, startPosition=pb.EARLIEST,
                                  stopPosition=pb.STOP_LATEST)
        messages, handshake, end_code = [], None, None
        try:
            for msg in api.Subscribe(req, timeout=10):
                if handshake is None:
                    handshake = msg.offset == 0 and msg.value == b"" and msg.stream == ""
                    if handshake:
                        continue
                messages.append({"offset": int(msg.offset), "key": msg.key.decode(),
                                 "value": msg.value.decode(), "stream": msg.stream,
                                 "lang": msg.headers["lang"].decode(),
                                 "timestamp": int(msg.timestamp)})
        except grpc.RpcError as err:
            end_code = err.code().name
        print(json.dumps({"acks": acks, "brokers": brokers,
                          "highWatermark": int(partition.highWatermark),
                          "handshake": handshake, "messages": messages, "end": end_code}))
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
