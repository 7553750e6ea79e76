// Command zeroshot-load load-tests a zeroshot server on the loopback: closed loop at
// each --clients count, then open loop at --overload × the best sustained rate, probing
// /healthz throughout; it prints a Markdown table. Bounded: --duration per step, and
// it refuses any host but 127.0.0.1/localhost.
//
//	zeroshot serve --model testdata/models/tiny-l14 --addr 127.0.0.1:8080 &
//	zeroshot-load --url http://127.0.0.1:8080 --image testdata/pipeline/chelsea.png
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/zeroshot-clip/zeroshot/serve/loadtest"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	image := flag.String("image", "testdata/pipeline/chelsea.png", "image to classify")
	labels := flag.String("labels", "cat,dog,fox,owl", "comma-separated candidate labels")
	clients := flag.String("clients", "1,4,16", "closed-loop client counts, comma-separated")
	each := flag.Duration("duration", 10*time.Second, "duration of each step (at most 2m)")
	overload := flag.Float64("overload", 2, "open-loop rate as a multiple of the best sustained rate (0: skip)")
	flag.Parse()
	if *each > 2*time.Minute {
		fail(fmt.Errorf("--duration %v: at most 2m per step", *each))
	}
	if err := loadtest.CheckLoopback(*base); err != nil {
		fail(err)
	}
	img, err := os.ReadFile(*image)
	if err != nil {
		fail(err)
	}
	var counts []int
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			fail(fmt.Errorf("--clients: bad count %q (1 to 1024)", s))
		}
		counts = append(counts, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if code, err := loadtest.Get(strings.TrimRight(*base, "/")+"/readyz", 5*time.Second); err != nil || code != 200 {
		fail(fmt.Errorf("server at %s not ready: %d %v", *base, code, err))
	}
	body := loadtest.ClassifyBody(img, strings.Split(*labels, ","), "")
	rep, err := loadtest.Acceptance(ctx, *base, body, counts, *each, *overload)
	if err != nil {
		fail(err)
	}
	fmt.Print(rep.Table())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "zeroshot-load:", err)
	os.Exit(1)
}
