package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
)

const nullBrokerID = "null"

// nullAPI is a Liftbridge API that stores nothing: the reference a client's rate is compared
// with, since it costs the server as little as grpc-go allows.
type nullAPI struct {
	host        string
	port        int32
	size        int
	replayCount int
	offset      int64
}

func nullServer(o *options) (*result, error) {
	server, api, lis, err := startNullServer(o)
	if err != nil {
		return nil, err
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(lis) }()

	line, _ := json.Marshal(map[string]string{"listening": net.JoinHostPort(api.host, strconv.Itoa(int(api.port)))})
	fmt.Println(string(line))

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-signals:
		server.Stop()
		return nil, nil
	case err := <-served:
		return nil, fmt.Errorf("serve: %w", err)
	}
}

// startNullServer listens on --listen and returns the server, not yet serving.
func startNullServer(o *options) (*grpc.Server, *nullAPI, net.Listener, error) {
	lis, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	addr := lis.Addr().(*net.TCPAddr)
	api := &nullAPI{host: addr.IP.String(), port: int32(addr.Port), size: o.size, replayCount: o.replayCount}
	server := grpc.NewServer(grpc.CustomCodec(rawCodec{}))
	server.RegisterService(api.serviceDesc(), api)
	return server, api, lis, nil
}

func (a *nullAPI) serviceDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "proto.API",
		HandlerType: (*interface{})(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "FetchMetadata", Handler: unary(a.fetchMetadata)},
			{MethodName: "Publish", Handler: unary(a.publish)},
		},
		Streams: []grpc.StreamDesc{
			{StreamName: "PublishAsync", Handler: a.publishAsync, ServerStreams: true, ClientStreams: true},
			{StreamName: "Subscribe", Handler: a.subscribe, ServerStreams: true},
		},
	}
}

// unary adapts a []byte → []byte function to grpc-go's method handler.
func unary(fn func(req []byte) ([]byte, error)) func(interface{}, context.Context, func(interface{}) error, grpc.UnaryServerInterceptor) (interface{}, error) {
	return func(_ interface{}, _ context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
		var req []byte
		if err := dec(&req); err != nil {
			return nil, err
		}
		resp, err := fn(req)
		if err != nil {
			return nil, err
		}
		return &resp, nil
	}
}

// fetchMetadata names this server the leader of partition 0 of every stream asked for.
func (a *nullAPI) fetchMetadata(req []byte) ([]byte, error) {
	streams, err := decodeFetchMetadataRequest(req)
	if err != nil {
		return nil, err
	}
	resp := fetchMetadataResponse{brokers: []broker{{id: nullBrokerID, host: a.host, port: a.port}}}
	for _, s := range streams {
		resp.streams = append(resp.streams, streamMetadata{
			name:       s,
			partitions: map[int32]partitionMetadata{0: {id: 0, leader: nullBrokerID}},
		})
	}
	return encodeFetchMetadataResponse(&resp), nil
}

// ackFor acks req at once with the next offset; nil for AckPolicy NONE.
func (a *nullAPI) ackFor(req []byte) (*publishResponse, error) {
	r, err := decodePublishRequest(req)
	if err != nil {
		return nil, err
	}
	if r.ackPolicy == ackNone {
		return nil, nil
	}
	return &publishResponse{
		ack: &ack{
			stream:        r.stream,
			offset:        atomic.AddInt64(&a.offset, 1) - 1,
			ackInbox:      r.ackInbox,
			correlationID: r.correlationID,
			ackPolicy:     r.ackPolicy,
		},
		correlationID: r.correlationID,
	}, nil
}

func (a *nullAPI) publish(req []byte) ([]byte, error) {
	resp, err := a.ackFor(req)
	if err != nil || resp == nil {
		return []byte{}, err
	}
	return encodePublishResponse(nil, resp), nil
}

func (a *nullAPI) publishAsync(_ interface{}, stream grpc.ServerStream) error {
	for {
		var req []byte
		if err := stream.RecvMsg(&req); err != nil {
			return nil
		}
		resp, err := a.ackFor(req)
		if err != nil {
			return err
		}
		if resp == nil {
			continue
		}
		// A fresh buffer each time: grpc-go writes what SendMsg queued later.
		out := encodePublishResponse(nil, resp)
		if err := stream.SendMsg(&out); err != nil {
			return err
		}
	}
}

// subscribe sends the empty handshake, --replay-count synthetic messages, then waits.
func (a *nullAPI) subscribe(_ interface{}, stream grpc.ServerStream) error {
	var req []byte
	if err := stream.RecvMsg(&req); err != nil {
		return err
	}
	name, err := decodeSubscribeStream(req)
	if err != nil {
		return err
	}
	handshake := []byte{}
	if err := stream.SendMsg(&handshake); err != nil {
		return err
	}
	value := make([]byte, a.size)
	now := time.Now().UnixNano()
	for i := 0; i < a.replayCount; i++ {
		msg := encodeMessage(int64(i), value, now, name)
		if err := stream.SendMsg(&msg); err != nil {
			return err
		}
	}
	<-stream.Context().Done()
	return nil
}
