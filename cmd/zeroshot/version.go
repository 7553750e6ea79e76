package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

func init() {
	register("version", "print versions, the device and the thread count", runVersion)
}

func moduleVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	threads, err := torch.Threads()
	if err != nil {
		return err
	}
	device := "cpu"
	if torch.CUDAAvailable() {
		device = fmt.Sprintf("cuda (%d devices available; cpu is the default)", torch.CUDADevices())
	}
	fmt.Fprintf(stdout, "zeroshot %s\n", moduleVersion())
	fmt.Fprintf(stdout, "module   github.com/zeroshot-clip/zeroshot\n")
	fmt.Fprintf(stdout, "libtorch %s\n", torch.Version())
	fmt.Fprintf(stdout, "go       %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "device   %s\n", device)
	fmt.Fprintf(stdout, "threads  %d\n", threads)
	return nil
}
