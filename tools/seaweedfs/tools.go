//go:build tools

// Package tools pins SeaweedFS (Apache-2.0), whose S3 server the S3 tests of package
// source/s3 run against: a real S3-compatible server on this machine, not a mock.
// A module of its own so that SeaweedFS's many dependencies stay out of the library's
// go.mod; built with `go build` from here (make s3-tools) into the cache.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
