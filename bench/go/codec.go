package main

import "fmt"

// rawCodec moves already-encoded protobuf bytes through grpc-go unchanged, so the driver needs
// no generated code: messages are *[]byte, encoded and decoded by hand in wire.go. Forced on
// calls with grpc.ForceCodec, it leaves the content-subtype unset, so requests carry
// content-type application/grpc exactly as a generated grpc-go client's do.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T, want *[]byte", v)
	}
	return *b, nil
}

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T, want *[]byte", v)
	}
	// grpc-go may reuse the receive buffer after Unmarshal returns.
	*b = append((*b)[:0], data...)
	return nil
}

func (rawCodec) Name() string   { return "proto" }
func (rawCodec) String() string { return "proto" }
