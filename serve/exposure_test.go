package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080":          true,
		"127.1.2.3:0":             true,
		"127.255.255.254:1":       true,
		"[::1]:8080":              true,
		"[::1%lo]:0":              true,
		"[::ffff:127.0.0.1]:0":    true,
		"localhost:8080":          true,
		"LocalHost:0":             true,
		":8080":                   false, // every interface
		"0.0.0.0:8080":            false,
		"[::]:8080":               false,
		"128.0.0.1:0":             false,
		"10.0.0.5:8080":           false,
		"192.0.2.1:0":             false,
		"[2001:db8::1]:0":         false,
		"[::ffff:10.0.0.1]:0":     false,
		"example.com:0":           false,
		"localhost.example.com:0": false,
		"my-laptop:0":             false, // a host name could resolve to anything
	} {
		got, err := IsLoopback(addr)
		assert.NoError(t, err, addr)
		assert.Equal(t, want, got, addr)
	}
	for _, bad := range []string{"127.0.0.1", "localhost", "", "[::1"} {
		_, err := IsLoopback(bad)
		assert.Error(t, err, bad)
	}
}
