// Command zeroshot-load load-tests a zeroshot server on the loopback: closed loop at
// each --clients count, then open loop at --overload × the best sustained rate, probing
// /healthz throughout; it prints a Markdown table. Bounded: --duration per step, and
// it refuses any host but 127.0.0.1/localhost.
//
//	zeroshot serve --model testdata/models/tiny-l14 --addr 127.0.0.1:8080 &
//	zeroshot-load --url http://127.0.0.1:8080 --image testdata/pipeline/chelsea.png
//
// Against a server with tokens and TLS: --token-file (its first token is sent) and
// --cacert (the PEM certificate to trust), with an https:// --url.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
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
	tokenFile := flag.String("token-file", "", "send the first token of this file as Authorization: Bearer")
	caCert := flag.String("cacert", "", "trust this PEM certificate (a self-signed server's) for https")
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
	req := loadtest.Config{ContentType: "application/json", Body: loadtest.ClassifyBody(img, strings.Split(*labels, ","), "")}
	if *tokenFile != "" {
		tok, err := firstToken(*tokenFile)
		if err != nil {
			fail(err)
		}
		req.Header = http.Header{"Authorization": {"Bearer " + tok}}
	}
	if *caCert != "" {
		pem, err := os.ReadFile(*caCert)
		if err != nil {
			fail(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fail(fmt.Errorf("--cacert %s: no PEM certificate in it", *caCert))
		}
		req.TLS = &tls.Config{RootCAs: pool}
	}
	if code, err := loadtest.Get(strings.TrimRight(*base, "/")+"/readyz", 5*time.Second, req.TLS); err != nil || code != 200 {
		fail(fmt.Errorf("server at %s not ready: %d %v", *base, code, err))
	}
	rep, err := loadtest.Acceptance(ctx, *base, req, counts, *each, *overload)
	if err != nil {
		fail(err)
	}
	fmt.Print(rep.Table())
}

// firstToken is the first line of a token file that is not blank or a comment.
func firstToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(strings.TrimPrefix(string(b), "\xef\xbb\xbf"), "\n") {
		if tok := strings.TrimSpace(line); tok != "" && !strings.HasPrefix(tok, "#") {
			return tok, nil
		}
	}
	return "", fmt.Errorf("--token-file %s: no token in it", path)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "zeroshot-load:", err)
	os.Exit(1)
}
