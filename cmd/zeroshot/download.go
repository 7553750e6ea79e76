package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"
)

func init() {
	register("download", "fetch a model from the Hugging Face Hub into its cache", runDownload)
}

func runDownload(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("download", "download [--revision R] [MODEL]\n\nDownloads MODEL (default openai/clip-vit-large-patch14) into the Hugging Face Hub cache,\nverifying checksums, and prints the snapshot directory.", stderr)
	var m modelFlags
	m.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
	case 1:
		m.model = fs.Arg(0)
	default:
		return exitUsage{fmt.Errorf("one model at a time, got %d", fs.NArg())}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	dir, err := m.resolve(ctx, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, dir)
	return nil
}
