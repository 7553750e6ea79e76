// Package s3test runs a real S3-compatible server on this machine for tests: SeaweedFS's
// (Apache-2.0; built from the module proxy by make s3-tools into the cache), not a mock.
// Tests that need it skip when the binary is missing, unless ZEROSHOT_S3_TEST=1 (make
// s3-test, CI) makes its absence a failure.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// Credentials of the server's one identity (SeaweedFS takes an admin identity from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
const (
	AccessKey = "zeroshot-test-key"
	SecretKey = "zeroshot-test-secret-0123456789"
)

// Binary finds the weed binary: $ZEROSHOT_WEED, else the newest
// $CACHE_DIR/seaweedfs-*/bin/weed (CACHE_DIR: as the Makefile's, ~/.cache/zeroshot-clip).
func Binary() (string, error) {
	if p := os.Getenv("ZEROSHOT_WEED"); p != "" {
		return p, nil
	}
	cache := os.Getenv("CACHE_DIR")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "zeroshot-clip")
	}
	matches, _ := filepath.Glob(filepath.Join(cache, "seaweedfs-*", "bin", "weed"))
	if len(matches) == 0 {
		return "", fmt.Errorf("no SeaweedFS in %s (make s3-tools builds it; or set ZEROSHOT_WEED)", cache)
	}
	sort.Slice(matches, func(i, j int) bool {
		a, _ := os.Stat(matches[i])
		b, _ := os.Stat(matches[j])
		return a.ModTime().After(b.ModTime())
	})
	return matches[0], nil
}

// Server is a running SeaweedFS with its S3 gateway on 127.0.0.1.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT
	Dir      string // its data and log
	client   *awss3.Client
}

// Start starts a server for t (stopped at its end), or skips t without the binary.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("ZEROSHOT_S3_TEST") == "1" {
			t.Fatalf("ZEROSHOT_S3_TEST=1: %v", err)
		}
		t.Skipf("no S3 server: %v", err)
	}
	dir := t.TempDir()
	ports := freePorts(t, 8)
	args := []string{"server", "-dir=" + dir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		fmt.Sprint("-master.port=", ports[0]), fmt.Sprint("-master.port.grpc=", ports[1]),
		fmt.Sprint("-volume.port=", ports[2]), fmt.Sprint("-volume.port.grpc=", ports[3]),
		"-filer", fmt.Sprint("-filer.port=", ports[4]), fmt.Sprint("-filer.port.grpc=", ports[5]),
		"-s3", fmt.Sprint("-s3.port=", ports[6]), fmt.Sprint("-s3.port.grpc=", ports[7]),
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
		"-master.volumeSizeLimitMB=64", "-volume.max=32"}
	logf, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+AccessKey, "AWS_SECRET_ACCESS_KEY="+SecretKey)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", ports[6]), Dir: dir}
	s.client = awss3.New(awss3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	// Ready when a bucket can be made and an object written.
	ctx := context.Background()
	deadline := time.Now().Add(90 * time.Second)
	for {
		_, err := s.client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("ready")})
		if err == nil {
			_, err = s.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("ready"), Key: aws.String("x"), Body: bytes.NewReader([]byte("x"))})
		}
		if err == nil {
			break
		}
		select {
		case werr := <-done:
			t.Fatalf("SeaweedFS exited (%v) before it was ready: %s", werr, tail(filepath.Join(dir, "weed.log")))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("SeaweedFS not ready after 90 s: %v\n%s", err, tail(filepath.Join(dir, "weed.log")))
		}
		time.Sleep(300 * time.Millisecond)
	}
	return s
}

// Env sets the standard AWS variables for t (restored at its end) so that the
// zeroshot command's standard chain reaches this server: the endpoint, the keys, a
// region, and no shared files or instance metadata of the machine.
func (s *Server) Env(t testing.TB) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": s.Endpoint, "AWS_ACCESS_KEY_ID": AccessKey, "AWS_SECRET_ACCESS_KEY": SecretKey,
		"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_SESSION_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
}

// Client is an S3 client of this server, for setting up buckets.
func (s *Server) Client() *awss3.Client { return s.client }

// Bucket makes a bucket.
func (s *Server) Bucket(t testing.TB, name string) {
	t.Helper()
	if _, err := s.client.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// Put writes objects (key → body) into bucket, workers at a time.
func (s *Server) Put(t testing.TB, bucket string, objects map[string][]byte, workers int) {
	t.Helper()
	keys := make(chan string)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() {
			for k := range keys {
				_, err := s.client.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k),
					Body: bytes.NewReader(objects[k])})
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("put %s: %w", k, err))
					mu.Unlock()
				}
			}
		})
	}
	for k := range objects {
		keys <- k
	}
	close(keys)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var out []int
	var ls []net.Listener
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return strings.TrimSpace(string(b))
}
