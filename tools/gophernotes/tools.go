//go:build tools

// Package tools pins what `make gophernotes` builds (see build.sh): gophernotes v0.7.5's
// kernel with the gomacro that gophernotes' development branch requires, and their
// dependencies, checksummed in go.sum. gophernotes' main package is copied next to this
// go.mod, patched, and built there.
package tools

import (
	_ "github.com/cosmos72/gomacro/ast2"
	_ "github.com/cosmos72/gomacro/base"
	_ "github.com/cosmos72/gomacro/base/reflect"
	_ "github.com/cosmos72/gomacro/fast"
	_ "github.com/cosmos72/gomacro/go/parser"
	_ "github.com/cosmos72/gomacro/imports"
	_ "github.com/cosmos72/gomacro/xreflect"
	_ "github.com/go-zeromq/zmq4"
	_ "github.com/gofrs/uuid"
	_ "github.com/gopherdata/gophernotes/imports"
)
