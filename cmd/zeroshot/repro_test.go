package main

import (
	"testing"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
)

func TestMain(m *testing.M) { golden.Main(m) }
