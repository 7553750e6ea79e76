//go:build tools

// Package tools pins the notebook kernels' Go programs (make notebook, make gophernotes):
// GoNB and goimports, which GoNB runs on every cell. A module of its own, so that their
// dependencies stay out of the library's go.mod; built with `go build` from here because
// `go install MODULE@VERSION` also asks the proxy for the module's version list, which
// some proxies refuse.
package tools

import (
	_ "github.com/janpfeifer/gonb"
	_ "golang.org/x/tools/cmd/goimports"
)
