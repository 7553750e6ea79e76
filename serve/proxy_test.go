package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/serve/loadtest"
)

// A real reverse proxy in front: Debian's nginx (apt-get install nginx-light; .ci/run
// installs it), run by the test with a configuration of its own, as deployments set it
// up: X-Forwarded-For appended with $proxy_add_x_forwarded_for, Forwarded appended
// likewise, the body limit raised to the server's.

// nginxPath is $ZEROSHOT_NGINX, else nginx on PATH or in /usr/sbin; "" if none.
func nginxPath() string {
	if p := os.Getenv("ZEROSHOT_NGINX"); p != "" {
		return p
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	return ""
}

const nginxConf = `%s
worker_processes 1;
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[2]s/body;
  proxy_temp_path %[2]s/proxy;
  fastcgi_temp_path %[2]s/fastcgi;
  uwsgi_temp_path %[2]s/uwsgi;
  scgi_temp_path %[2]s/scgi;
  client_max_body_size 20m;
  map $http_forwarded $proxy_add_forwarded {
    ""      "for=$remote_addr";
    default "$http_forwarded, for=$remote_addr";
  }
  server {
    listen 127.0.0.1:%[3]d;
    location / {
      proxy_pass http://%[4]s;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Forwarded $proxy_add_forwarded;
    }
  }
}
`

// startNginx runs nginx in front of upstream (host:port) and returns its base URL.
func startNginx(t testing.TB, upstream string) string {
	t.Helper()
	bin := nginxPath()
	if bin == "" {
		t.Skip("nginx is not installed (apt-get install nginx-light, or ZEROSHOT_NGINX=path): the reverse-proxy tests need a real one")
	}
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		ln, err := net.Listen("tcp", src+":0")
		if err != nil {
			t.Skipf("cannot use %s as a source address here: %v", src, err)
		}
		ln.Close()
	}
	dir, err := os.MkdirTemp("", "zeroshot-nginx")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	// nginx's workers drop to an unprivileged user when it runs as root: they must be
	// able to use the temporary directories.
	require.NoError(t, os.Chmod(dir, 0o755))
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(dir, "nginx.conf")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, user, dir, port, upstream)), 0o644))
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT) // graceful
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 20*time.Second, 20*time.Millisecond, "nginx did not come up: %s", out)
	if b, err := exec.Command(bin, "-v").CombinedOutput(); err == nil {
		t.Logf("proxy: %s", strings.TrimSpace(string(b)))
	}
	return base
}

// Behind nginx, without tokens, two clients (127.0.0.2 and 127.0.0.3) are two clients
// only when nginx is a trusted proxy; a client's own X-Forwarded-For does not make it
// another. Step by step with the forward held shut, as TestClientShare (no timing).
func TestClientsBehindProxy(t *testing.T) {
	img := readFile(t, "testdata", "pipeline", "gradient.png")
	body := classifyBody(img, []string{"red", "green"}, "")
	const classify = "/v1/zero-shot-image-classification"
	for _, mode := range []string{"untrusted", "X-Forwarded-For", "Forwarded"} {
		t.Run(mode, func(t *testing.T) {
			opts := Options{MaxQueue: 4, MaxBatch: 1, ClientShare: 2}
			if mode != "untrusted" {
				opts.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
				opts.UseForwarded = mode == "Forwarded"
			}
			s, _ := newLogged(t, opts)
			gate, entered := gateForward(s)
			l := startLive(t, s, nil)
			proxied := *l
			proxied.base = startNginx(t, l.addr)
			a, b := newSender(t, &proxied, "", "127.0.0.2"), newSender(t, &proxied, "", "127.0.0.3")
			admitted := []<-chan answer{a.goPost(classify, body)}
			<-entered // in the forward: it holds no place
			for i := 0; i < 2; i++ {
				admitted = append(admitted, a.goPost(classify, body))
			}
			require.Eventually(t, func() bool { return len(s.admit) == 2 }, 10*time.Second, time.Millisecond)
			r := <-a.goPost(classify, body)
			assert.Equal(t, 429, r.code, "a is over its share: %s", r.body)
			assert.Equal(t, "1", r.retry, "nginx passes Retry-After on")
			r = a.postHeader(t, classify, body, http.Header{"X-Forwarded-For": {"127.0.0.77"}, "Forwarded": {"for=127.0.0.77"}})
			assert.Equal(t, 429, r.code, "a's own header does not make it another client: %s", r.body)
			if mode == "untrusted" {
				r = <-b.goPost(classify, body)
				assert.Equal(t, 429, r.code, "untrusted, every client is nginx: b shares a's places: %s", r.body)
			} else {
				admitted = append(admitted, b.goPost(classify, body))
				require.Eventually(t, func() bool { return len(s.admit) == 3 }, 10*time.Second, time.Millisecond, "b is admitted")
				assert.Equal(t, 2, s.ledger.clients())
			}
			close(gate)
			for i, c := range admitted {
				r := <-c
				assert.Equal(t, 200, r.code, "admitted request %d: %s", i, r.body)
			}
		})
	}
}

// postHeader sends one request with extra headers and waits for the answer.
func (c *sender) postHeader(t *testing.T, path string, body []byte, h http.Header) answer {
	req, err := http.NewRequest("POST", c.l.base+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
}

// Fairness measured through nginx: a flooding client and a polite one, from their own
// addresses, with nginx trusted and not. Trusted, the flooder holds at most its share
// and every polite request is served (the share leaves it a place: counts, not
// timing); untrusted, both are nginx and share one share (logged).
func TestFairnessThroughProxy(t *testing.T) {
	img := readFile(t, "testdata", "pipeline", "gradient.png")
	body := classifyBody(img, []string{"red", "green"}, "")
	d := time.Duration(envInt("ZEROSHOT_PROXY_FAIRNESS_MS", 1500)) * time.Millisecond
	results := map[bool]*loadtest.FairnessResult{}
	for _, trusted := range []bool{false, true} {
		opts := Options{MaxQueue: 8, MaxBatch: 2}
		if trusted {
			opts.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		}
		s, _ := newLogged(t, opts)
		slowForward(s, 20*time.Millisecond)
		l := startLive(t, s, nil)
		base := startNginx(t, l.addr)
		r, err := loadtest.RunFairness(context.Background(), loadtest.Fairness{
			Flood: loadtest.Config{URL: base + "/v1/zero-shot-image-classification", ContentType: "application/json", Body: body,
				Clients: 16, Duration: d, RefusedPause: time.Millisecond, Source: "127.0.0.2"},
			Polite: loadtest.Config{Pause: 20 * time.Millisecond, Source: "127.0.0.3"},
		})
		require.NoError(t, err)
		results[trusted] = r
		t.Logf("through nginx, trusted=%v: %s", trusted, fairnessLine(r))
	}
	with := results[true]
	assert.Positive(t, with.Polite.Sent)
	assert.Equal(t, with.Polite.Sent, with.Polite.Codes[200], "trusted: every polite request is served: %s", with.Polite.CodesString())
	assert.Positive(t, with.Flood.Codes[429], "trusted: the flooder is held to its share")
	assert.Zero(t, with.Flood.Codes[503]+with.Polite.Codes[503], "trusted: the queue never fills")
}
