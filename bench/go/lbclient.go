package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"google.golang.org/grpc"
)

const (
	methodFetchMetadata = "/proto.API/FetchMetadata"
	methodPublish       = "/proto.API/Publish"
	methodPublishAsync  = "/proto.API/PublishAsync"
	methodSubscribe     = "/proto.API/Subscribe"
)

var lbClientName = "grpc-go " + grpc.Version + " (one request per DATA frame)"

func dial(address string) (*grpc.ClientConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, address,
		grpc.WithInsecure(),
		grpc.WithBlock(),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", address, err)
	}
	return conn, nil
}

// dialLeader connects to address, asks it for the stream's metadata and returns a connection
// to the leader of partition 0, as go-liftbridge does before publishing or subscribing.
func dialLeader(address, stream string) (*grpc.ClientConn, error) {
	conn, err := dial(address)
	if err != nil {
		return nil, err
	}
	leader, err := partitionLeader(conn, stream)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if sameAddress(leader, address) {
		return conn, nil
	}
	conn.Close()
	return dial(leader)
}

func partitionLeader(conn *grpc.ClientConn, stream string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := encodeFetchMetadataRequest([]string{stream})
	var resp []byte
	if err := conn.Invoke(ctx, methodFetchMetadata, &req, &resp); err != nil {
		return "", fmt.Errorf("FetchMetadata: %w", err)
	}
	md, err := decodeFetchMetadataResponse(resp)
	if err != nil {
		return "", fmt.Errorf("FetchMetadata response: %w", err)
	}
	for _, s := range md.streams {
		if s.name != stream {
			continue
		}
		if s.err != 0 {
			return "", fmt.Errorf("stream %q: FetchMetadata error %d (UNKNOWN_STREAM is 1)", stream, s.err)
		}
		p, ok := s.partitions[0]
		if !ok || p.leader == "" {
			return "", fmt.Errorf("stream %q: partition 0 has no leader", stream)
		}
		for _, b := range md.brokers {
			if b.id == p.leader {
				return net.JoinHostPort(b.host, strconv.Itoa(int(b.port))), nil
			}
		}
		return "", fmt.Errorf("stream %q: leader %q is not among the brokers of FetchMetadata", stream, p.leader)
	}
	return "", fmt.Errorf("stream %q: not in FetchMetadata's response", stream)
}

func sameAddress(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb {
		return a == b
	}
	if ha == hb {
		return true
	}
	ia, errA := net.LookupIP(ha)
	ib, errB := net.LookupIP(hb)
	if errA != nil || errB != nil {
		return false
	}
	for _, x := range ia {
		for _, y := range ib {
			if x.Equal(y) {
				return true
			}
		}
	}
	return false
}
