package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/zeroshot-clip/zeroshot/clip"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

func init() {
	register("version", "print versions, the device, the thread count and the parity profile in force", runVersion)
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
	if fs.NArg() > 0 {
		return exitUsage{fmt.Errorf("takes no arguments, got %q", fs.Args())}
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
	prof, err := zeroshot.ResolveProfile(zeroshot.ParityAuto, zeroshot.BackendAuto, clip.AttnAuto)
	if err != nil {
		return err
	}
	attn := prof.Attention.String()
	if prof.Attention == clip.AttnAuto {
		attn = "the model config's _attn_implementation, else " + clip.DefaultAttention(torch.Version()).String()
	}
	alpha := "dropped (convert(\"RGB\"), transformers 4)"
	if prof.AlphaOnWhite {
		alpha = "composited onto white (transformers 5's convert_to_rgb)"
	}
	fmt.Fprintf(stdout, "parity   %s (default for libtorch %s; --parity 4.54|5 picks the other)\n", prof.Parity, torch.Version())
	fmt.Fprintf(stdout, "  image processor %s\n", prof.Backend)
	fmt.Fprintf(stdout, "  attention       %s\n", attn)
	fmt.Fprintf(stdout, "  transparency    %s\n", alpha)
	return nil
}
