package main

// Hand-written protobuf encoding of the Liftbridge messages the driver uses. Field numbers are
// those of proto/api.proto (equal to upstream liftbridge-api's api.proto).

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// AckPolicy values of api.proto.
const (
	ackLeader = 0
	ackAll    = 1
	ackNone   = 2
)

// startEarliest is StartPosition.EARLIEST.
const startEarliest = 2

type publishRequest struct {
	value         []byte
	stream        string
	partition     int32
	ackInbox      string
	correlationID string
	ackPolicy     int32
}

// encodePublishRequest: key 1, value 2, stream 3, partition 4, headers 5, ackInbox 6,
// correlationId 7, ackPolicy 8, expectedOffset 9.
func encodePublishRequest(buf []byte, r *publishRequest) []byte {
	buf = appendBytesField(buf, 2, r.value)
	buf = appendStringField(buf, 3, r.stream)
	buf = appendVarintField(buf, 4, uint64(r.partition))
	buf = appendStringField(buf, 6, r.ackInbox)
	buf = appendStringField(buf, 7, r.correlationID)
	buf = appendVarintField(buf, 8, uint64(r.ackPolicy))
	return buf
}

type ack struct {
	stream        string
	offset        int64
	ackInbox      string
	correlationID string
	ackPolicy     int32
	ackError      int32
}

// encodeAck: stream 1, partitionSubject 2, msgSubject 3, offset 4, ackInbox 5,
// correlationId 6, ackPolicy 7, receptionTimestamp 8, commitTimestamp 9, ackError 10.
func encodeAck(buf []byte, a *ack) []byte {
	buf = appendStringField(buf, 1, a.stream)
	buf = appendVarintField(buf, 4, uint64(a.offset))
	buf = appendStringField(buf, 5, a.ackInbox)
	buf = appendStringField(buf, 6, a.correlationID)
	buf = appendVarintField(buf, 7, uint64(a.ackPolicy))
	buf = appendVarintField(buf, 10, uint64(a.ackError))
	return buf
}

func decodeAck(b []byte) (ack, error) {
	var a ack
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, bytes []byte) error {
		switch num {
		case 1:
			a.stream = string(bytes)
		case 4:
			a.offset = int64(v)
		case 5:
			a.ackInbox = string(bytes)
		case 6:
			a.correlationID = string(bytes)
		case 7:
			a.ackPolicy = int32(v)
		case 10:
			a.ackError = int32(v)
		}
		return nil
	})
	return a, err
}

type publishResponse struct {
	ack           *ack
	asyncError    *asyncError
	correlationID string
}

type asyncError struct {
	code    int32
	message string
}

// encodePublishResponse: ack 1, asyncError 2, correlationId 3.
func encodePublishResponse(buf []byte, r *publishResponse) []byte {
	if r.ack != nil {
		buf = appendMessageField(buf, 1, encodeAck(nil, r.ack))
	}
	buf = appendStringField(buf, 3, r.correlationID)
	return buf
}

func decodePublishResponse(b []byte) (publishResponse, error) {
	var r publishResponse
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, bytes []byte) error {
		switch num {
		case 1:
			a, err := decodeAck(bytes)
			if err != nil {
				return fmt.Errorf("ack: %w", err)
			}
			r.ack = &a
		case 2:
			e := asyncError{}
			err := eachField(bytes, func(num protowire.Number, _ protowire.Type, v uint64, bytes []byte) error {
				switch num {
				case 1:
					e.code = int32(v)
				case 2:
					e.message = string(bytes)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("asyncError: %w", err)
			}
			r.asyncError = &e
		case 3:
			r.correlationID = string(bytes)
		}
		return nil
	})
	return r, err
}

type publishRequestFields struct {
	stream        string
	partition     int32
	ackInbox      string
	correlationID string
	ackPolicy     int32
}

// decodePublishRequest reads the fields the null server echoes (the value is skipped).
func decodePublishRequest(b []byte) (publishRequestFields, error) {
	var r publishRequestFields
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, bytes []byte) error {
		switch num {
		case 3:
			r.stream = string(bytes)
		case 4:
			r.partition = int32(v)
		case 6:
			r.ackInbox = string(bytes)
		case 7:
			r.correlationID = string(bytes)
		case 8:
			r.ackPolicy = int32(v)
		}
		return nil
	})
	return r, err
}

// encodeSubscribeRequest: stream 1, partition 2, startPosition 3 (the rest unset).
func encodeSubscribeRequest(stream string, partition int32, startPosition int32) []byte {
	var buf []byte
	buf = appendStringField(buf, 1, stream)
	buf = appendVarintField(buf, 2, uint64(partition))
	buf = appendVarintField(buf, 3, uint64(startPosition))
	return buf
}

func decodeSubscribeStream(b []byte) (string, error) {
	var stream string
	err := eachField(b, func(num protowire.Number, _ protowire.Type, _ uint64, bytes []byte) error {
		if num == 1 {
			stream = string(bytes)
		}
		return nil
	})
	return stream, err
}

// encodeMessage: offset 1, key 2, value 3, timestamp 4, stream 5, partition 6, subject 7.
func encodeMessage(offset int64, value []byte, timestamp int64, stream string) []byte {
	var buf []byte
	buf = appendVarintField(buf, 1, uint64(offset))
	buf = appendBytesField(buf, 3, value)
	buf = appendVarintField(buf, 4, uint64(timestamp))
	buf = appendStringField(buf, 5, stream)
	return buf
}

// message holds every field of a Liftbridge Message, as generated code would decode it.
type message struct {
	offset        int64
	key           []byte
	value         []byte
	timestamp     int64
	stream        string
	partition     int32
	subject       string
	replySubject  string
	headers       map[string][]byte
	ackInbox      string
	correlationID string
	ackPolicy     int32
}

// decodeMessage: offset 1, key 2, value 3, timestamp 4, stream 5, partition 6, subject 7,
// replySubject 8, headers 9 (map<string, bytes>: key 1, value 2), ackInbox 10,
// correlationId 11, ackPolicy 12. Bytes are copied out of b.
func decodeMessage(b []byte) (message, error) {
	var m message
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v uint64, bytes []byte) error {
		switch num {
		case 1:
			m.offset = int64(v)
		case 2:
			m.key = append([]byte(nil), bytes...)
		case 3:
			m.value = append([]byte(nil), bytes...)
		case 4:
			m.timestamp = int64(v)
		case 5:
			m.stream = string(bytes)
		case 6:
			m.partition = int32(v)
		case 7:
			m.subject = string(bytes)
		case 8:
			m.replySubject = string(bytes)
		case 9:
			var key string
			var value []byte
			err := eachField(bytes, func(num protowire.Number, _ protowire.Type, _ uint64, bytes []byte) error {
				switch num {
				case 1:
					key = string(bytes)
				case 2:
					value = append([]byte(nil), bytes...)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("headers entry: %w", err)
			}
			if m.headers == nil {
				m.headers = map[string][]byte{}
			}
			m.headers[key] = value
		case 10:
			m.ackInbox = string(bytes)
		case 11:
			m.correlationID = string(bytes)
		case 12:
			m.ackPolicy = int32(v)
		}
		return nil
	})
	return m, err
}

// encodeFetchMetadataRequest: streams 1 (repeated string).
func encodeFetchMetadataRequest(streams []string) []byte {
	var buf []byte
	for _, s := range streams {
		buf = protowire.AppendTag(buf, 1, protowire.BytesType)
		buf = protowire.AppendString(buf, s)
	}
	return buf
}

type broker struct {
	id   string
	host string
	port int32
}

type partitionMetadata struct {
	id     int32
	leader string
}

type streamMetadata struct {
	name       string
	err        int32
	partitions map[int32]partitionMetadata
}

type fetchMetadataResponse struct {
	brokers []broker
	streams []streamMetadata
}

// Broker: id 1, host 2, port 3. StreamMetadata: name 1, subject 2, error 3,
// partitions 4 (map<int32, PartitionMetadata>: key 1, value 2). PartitionMetadata: id 1, leader 2.
func encodeFetchMetadataResponse(r *fetchMetadataResponse) []byte {
	var buf []byte
	for _, b := range r.brokers {
		var m []byte
		m = appendStringField(m, 1, b.id)
		m = appendStringField(m, 2, b.host)
		m = appendVarintField(m, 3, uint64(b.port))
		buf = appendMessageField(buf, 1, m)
	}
	for _, s := range r.streams {
		var m []byte
		m = appendStringField(m, 1, s.name)
		m = appendStringField(m, 2, s.name)
		m = appendVarintField(m, 3, uint64(s.err))
		for id, p := range s.partitions {
			var pm []byte
			pm = appendVarintField(pm, 1, uint64(p.id))
			pm = appendStringField(pm, 2, p.leader)
			var entry []byte
			entry = appendVarintField(entry, 1, uint64(id))
			entry = appendMessageField(entry, 2, pm)
			m = appendMessageField(m, 4, entry)
		}
		buf = appendMessageField(buf, 2, m)
	}
	return buf
}

func decodeFetchMetadataRequest(b []byte) ([]string, error) {
	var streams []string
	err := eachField(b, func(num protowire.Number, _ protowire.Type, _ uint64, bytes []byte) error {
		if num == 1 {
			streams = append(streams, string(bytes))
		}
		return nil
	})
	return streams, err
}

func decodeFetchMetadataResponse(b []byte) (fetchMetadataResponse, error) {
	var r fetchMetadataResponse
	err := eachField(b, func(num protowire.Number, _ protowire.Type, _ uint64, bytes []byte) error {
		switch num {
		case 1:
			var br broker
			err := eachField(bytes, func(num protowire.Number, _ protowire.Type, v uint64, bytes []byte) error {
				switch num {
				case 1:
					br.id = string(bytes)
				case 2:
					br.host = string(bytes)
				case 3:
					br.port = int32(v)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("broker: %w", err)
			}
			r.brokers = append(r.brokers, br)
		case 2:
			s, err := decodeStreamMetadata(bytes)
			if err != nil {
				return fmt.Errorf("streamMetadata: %w", err)
			}
			r.streams = append(r.streams, s)
		}
		return nil
	})
	return r, err
}

func decodeStreamMetadata(b []byte) (streamMetadata, error) {
	s := streamMetadata{partitions: map[int32]partitionMetadata{}}
	err := eachField(b, func(num protowire.Number, _ protowire.Type, v uint64, bytes []byte) error {
		switch num {
		case 1:
			s.name = string(bytes)
		case 3:
			s.err = int32(v)
		case 4:
			var key int32
			var p partitionMetadata
			err := eachField(bytes, func(num protowire.Number, _ protowire.Type, v uint64, bytes []byte) error {
				switch num {
				case 1:
					key = int32(v)
				case 2:
					return eachField(bytes, func(num protowire.Number, _ protowire.Type, v uint64, bytes []byte) error {
						switch num {
						case 1:
							p.id = int32(v)
						case 2:
							p.leader = string(bytes)
						}
						return nil
					})
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("partitions entry: %w", err)
			}
			s.partitions[key] = p
		}
		return nil
	})
	return s, err
}

func appendVarintField(buf []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return buf
	}
	buf = protowire.AppendTag(buf, num, protowire.VarintType)
	return protowire.AppendVarint(buf, v)
}

func appendStringField(buf []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return buf
	}
	buf = protowire.AppendTag(buf, num, protowire.BytesType)
	return protowire.AppendString(buf, s)
}

func appendBytesField(buf []byte, num protowire.Number, b []byte) []byte {
	if len(b) == 0 {
		return buf
	}
	buf = protowire.AppendTag(buf, num, protowire.BytesType)
	return protowire.AppendBytes(buf, b)
}

// appendMessageField writes an embedded message, even an empty one (presence matters).
func appendMessageField(buf []byte, num protowire.Number, m []byte) []byte {
	buf = protowire.AppendTag(buf, num, protowire.BytesType)
	return protowire.AppendBytes(buf, m)
}

// eachField calls fn for every field of b: varint fields get v, length-delimited ones bytes;
// fixed-width and group fields are skipped.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, bytes []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			if err := fn(num, typ, v, nil); err != nil {
				return err
			}
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			if err := fn(num, typ, 0, v); err != nil {
				return err
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return nil
}
