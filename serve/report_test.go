package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/serve/loadtest"
)

// TestSecurityReport measures, on the tiny-l14 fixture model and in one process, (1)
// what authentication and TLS cost in requests per second, and (2) what the
// per-client share gives a polite client while another floods the server. Every
// configuration runs once per round, in an order rotated each round, so that the
// machine's drift falls on all of them alike; medians over the rounds are reported.
// Client and server share the machine (and the TLS work of both sides is on it).
//
//	ZEROSHOT_SECURITY_REPORT=1 go test ./serve -run '^TestSecurityReport$' -v -timeout 30m
//	(make serve-report; ZEROSHOT_SECURITY_REPORT_ROUNDS=5, ZEROSHOT_SECURITY_REPORT_SECONDS=4;
//	ZEROSHOT_SECURITY_REPORT=overhead or =fairness for one part)
func TestSecurityReport(t *testing.T) {
	part := os.Getenv("ZEROSHOT_SECURITY_REPORT")
	if part == "" {
		t.Skip("set ZEROSHOT_SECURITY_REPORT=1 (make serve-report) to measure")
	}
	rounds, secs := envInt("ZEROSHOT_SECURITY_REPORT_ROUNDS", 5), envInt("ZEROSHOT_SECURITY_REPORT_SECONDS", 4)
	each := time.Duration(secs) * time.Second
	dir := t.TempDir()
	token := randomToken(t)
	tokenFile := filepath.Join(dir, "tokens")
	writeTokens(t, tokenFile, token)
	certFile, keyFile, pool := testCert(t, dir, 1)
	img := readFile(t, "testdata", "pipeline", "chelsea.png")
	body := classifyBody(img, []string{"cat", "dog", "fox", "owl"}, "")

	var b strings.Builder
	if part != "fairness" {
		reportOverhead(t, &b, rounds, each, body, tokenFile, token, certFile, keyFile, pool)
	}
	if part != "overhead" {
		reportFairness(t, &b, rounds, each, body)
	}
	t.Log(b.String())
}

type overheadConfig struct {
	name        string
	auth, tls   bool
	newConnEach bool
}

// reportOverhead: the same server options but for Tokens and TLS, 4 clients in a
// closed loop with keep-alive (and one row paying a handshake per request).
func reportOverhead(t *testing.T, b *strings.Builder, rounds int, each time.Duration, body []byte, tokenFile, token, certFile, keyFile string, pool *x509.CertPool) {
	configs := []overheadConfig{
		{"plain HTTP", false, false, false},
		{"auth", true, false, false},
		{"TLS", false, true, false},
		{"auth + TLS", true, true, false},
		{"auth + TLS, new connection per request", true, true, true},
	}
	urls := make([]string, len(configs))
	for i, c := range configs {
		opts := Options{}
		if c.auth {
			tk, err := LoadTokens(tokenFile)
			require.NoError(t, err)
			opts.Tokens = tk
		}
		if c.tls {
			cert, err := LoadCertificate(certFile, keyFile)
			require.NoError(t, err)
			opts.TLS = cert
		}
		s, _ := newLogged(t, opts)
		urls[i] = startLive(t, s, pool).base + "/v1/zero-shot-image-classification"
	}
	// A photo (decoding and the forward dominate) and a 470-byte image (HTTP's own
	// costs dominate: the worst case for the relative overhead).
	small := classifyBody(readFile(t, "testdata", "pipeline", "gradient.png"), []string{"cat", "dog", "fox", "owl"}, "")
	for _, w := range []struct {
		name string
		body []byte
	}{{"chelsea.png, 240 kB", body}, {"gradient.png, 470 B", small}} {
		overheadRuns(t, b, w.name, w.body, rounds, each, configs, urls, token, pool)
	}
}

func overheadRuns(t *testing.T, b *strings.Builder, workload string, body []byte, rounds int, each time.Duration, configs []overheadConfig, urls []string, token string, pool *x509.CertPool) {
	const clients = 4
	rps := make([][]float64, len(configs))
	p50 := make([][]time.Duration, len(configs))
	ratio := make([][]float64, len(configs)) // to plain HTTP in the same round
	for r := 0; r < rounds; r++ {
		got := make([]float64, len(configs))
		for k := range configs {
			i := (k + r) % len(configs)
			c := configs[i]
			cfg := loadtest.Config{URL: urls[i], ContentType: "application/json", Body: body, Clients: clients,
				Duration: each, Warmup: 2 * clients, NewConnections: c.newConnEach}
			if c.auth {
				cfg.Header = http.Header{"Authorization": {"Bearer " + token}}
			}
			if c.tls {
				cfg.TLS = &tls.Config{RootCAs: pool}
			}
			res, err := loadtest.Run(context.Background(), cfg)
			require.NoError(t, err)
			require.Equal(t, res.Sent, res.Codes[200], "%s: %s", c.name, res.CodesString())
			got[i] = res.OKPerSec
			rps[i] = append(rps[i], res.OKPerSec)
			p50[i] = append(p50[i], res.P50)
		}
		for i := range configs {
			ratio[i] = append(ratio[i], got[i]/got[0])
		}
		t.Logf("overhead round %d/%d, %s: %v req/s", r+1, rounds, workload, fmtFloats(got))
	}
	fmt.Fprintf(b, "\nOverhead on tiny-l14 (POST classify, %s × 4 labels; %d clients, closed loop; %d rounds × %v each, order rotated per round):\n\n", workload, clients, rounds, each)
	fmt.Fprintf(b, "| configuration | req/s (median) | min–max | vs plain HTTP, same round (median) | p50 ms (median) |\n|---|---|---|---|---|\n")
	for i, c := range configs {
		fmt.Fprintf(b, "| %s | %.1f | %.1f–%.1f | %.3f | %.2f |\n", c.name, median(rps[i]), minF(rps[i]), maxF(rps[i]), median(ratio[i]),
			float64(medianD(p50[i]).Microseconds())/1000)
	}
}

// reportFairness: the default queue (64 places, share 32), one client flooding with 96
// requests at once (resending 1 ms after a refusal), one polite client (one request at
// a time, 20 ms apart); with the share and without (ClientShare -1); on the tiny model
// as it is (decoding dominates) and with its forward held to at least 50 ms per batch
// (the model dominates, as a full-size one does).
func reportFairness(t *testing.T, b *strings.Builder, rounds int, each time.Duration, body []byte) {
	type fair struct{ flood, flood200, success, okP50, okP99, p99 []float64 }
	type config struct {
		name  string
		share int
		slow  time.Duration
	}
	configs := []config{
		{"tiny-l14, without share", -1, 0},
		{"tiny-l14, with share (32 of 64)", 0, 0},
		{"forward ≥ 50 ms per batch, without share", -1, 50 * time.Millisecond},
		{"forward ≥ 50 ms per batch, with share (32 of 64)", 0, 50 * time.Millisecond},
	}
	results := make([]fair, len(configs))
	for r := 0; r < rounds; r++ {
		for k := range configs {
			i := (k + r) % len(configs)
			c := configs[i]
			res := runReportFairness(t, c.share, c.slow, body, each)
			f := &results[i]
			f.flood = append(f.flood, float64(res.Flood.Sent)/res.Flood.Elapsed.Seconds())
			f.flood200 = append(f.flood200, res.Flood.OKPerSec)
			f.success = append(f.success, 100*res.Polite.Success())
			f.okP50 = append(f.okP50, ms(res.Polite.OKP50))
			f.okP99 = append(f.okP99, ms(res.Polite.OKP99))
			f.p99 = append(f.p99, ms(res.Polite.P99))
			t.Logf("fairness round %d/%d, %s: %s", r+1, rounds, c.name, fairnessLine(res))
		}
	}
	fmt.Fprintf(b, "\nFairness (queue 64, batches of 8; flooder: 96 requests at once, resending 1 ms after a refusal; polite: 1 at a time, 20 ms apart; %d rounds × %v, order rotated):\n\n", rounds, each)
	fmt.Fprintf(b, "| configuration | flooder req/s sent | flooder 200s/s | polite success %% (median, min) | polite 200s p50 ms | polite 200s p99 ms (median, max) | polite p99 ms, all answers |\n|---|---|---|---|---|---|---|\n")
	for i, c := range configs {
		f := results[i]
		fmt.Fprintf(b, "| %s | %.0f | %.1f | %.1f, %.1f | %.1f | %.1f, %.1f | %.1f |\n", c.name, median(f.flood), median(f.flood200), median(f.success), minF(f.success),
			median(f.okP50), median(f.okP99), maxF(f.okP99), median(f.p99))
	}
}

// runReportFairness is runFairness on the default queue with a 96-request flood.
func runReportFairness(t *testing.T, share int, slow time.Duration, body []byte, d time.Duration) *loadtest.FairnessResult {
	t.Helper()
	fTok, pTok := randomToken(t), randomToken(t)
	p := filepath.Join(t.TempDir(), "tokens")
	writeTokens(t, p, fTok, pTok)
	tokens, err := LoadTokens(p)
	require.NoError(t, err)
	s, _ := newLogged(t, Options{ClientShare: share, Tokens: tokens})
	if slow > 0 {
		slowForward(s, slow)
	}
	l := startLive(t, s, nil)
	r, err := loadtest.RunFairness(context.Background(), loadtest.Fairness{
		Flood: loadtest.Config{URL: l.base + "/v1/zero-shot-image-classification", ContentType: "application/json", Body: body,
			Clients: 96, Duration: d, RefusedPause: time.Millisecond, Header: http.Header{"Authorization": {"Bearer " + fTok}}},
		Polite: loadtest.Config{Pause: 20 * time.Millisecond, Header: http.Header{"Authorization": {"Bearer " + pTok}}},
	})
	require.NoError(t, err)
	return r
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianD(v []time.Duration) time.Duration {
	f := make([]float64, len(v))
	for i, d := range v {
		f[i] = float64(d)
	}
	return time.Duration(median(f))
}

func minF(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxF(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func fmtFloats(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.1f", x)
	}
	return strings.Join(parts, " ")
}
