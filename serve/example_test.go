package serve_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/zeroshot-clip/zeroshot/serve"
	"github.com/zeroshot-clip/zeroshot/serve/client"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// The examples serve tiny-l14, a random CLIP committed for the tests; scores are
// printed to three decimals (libtorch's last bits differ between CPUs).
var (
	model   = filepath.Join("..", "testdata", "models", "tiny-l14")
	chelsea = filepath.Join("..", "examples", "chelsea.png")
)

// A zero-shot classification server in your own program: a Classifier, a Server over
// it, its Handler on any http.Server (here httptest's). The request is Hugging Face's
// Inference API's for the task, as curl or HF's InferenceClient send it.
func Example() {
	c, err := zeroshot.Open(model, zeroshot.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	s := serve.New(c, serve.Options{})
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	img, err := os.ReadFile(chelsea)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := json.Marshal(map[string]any{
		"inputs":     base64.StdEncoding.EncodeToString(img),
		"parameters": map[string]any{"candidate_labels": []string{"cat", "dog", "fox", "owl"}, "top_k": 2},
	})
	resp, err := http.Post(ts.URL+"/v1/zero-shot-image-classification", "application/json", bytes.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var res []struct {
		Score float64 `json:"score"`
		Label string  `json:"label"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status)
	for _, r := range res {
		fmt.Printf("%.3f %s\n", r.Score, r.Label)
	}
	// Output:
	// 200 OK
	// 0.345 cat
	// 0.285 dog
}

// The Go client (package serve/client: plain net/http, no libtorch) against a server:
// classification and embeddings.
func Example_client() {
	c, err := zeroshot.Open(model, zeroshot.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	s := serve.New(c, serve.Options{})
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	cl, err := client.New(ts.URL, client.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err := os.ReadFile(chelsea)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	res, err := cl.Classify(ctx, client.ClassifyRequest{Image: img, Labels: []string{"a tabby cat", "a car"}, Template: "a photo of {}"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %.3f\n", res[0].Label, res[0].Score)
	emb, err := cl.Embed(ctx, client.EmbedRequest{Images: [][]byte{img}, Texts: []string{"a cat", "a dog"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("dim %d: %d image, %d text embeddings\n", emb.Dim, len(emb.Images), len(emb.Texts))
	// Output:
	// a tabby cat 0.780
	// dim 64: 1 image, 2 text embeddings
}

// Serve runs the server on a listener until its context ends, then shuts down
// gracefully: /readyz turns 503, requests in flight finish, queued images are run.
// The zeroshot serve command adds flags, signals, tokens and TLS around this.
func ExampleServer_Serve() {
	c, err := zeroshot.Open(model, zeroshot.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	s := serve.New(c, serve.Options{MaxBatch: 8, Timeout: 30 * time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a loopback address: no token needed
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, 5*time.Second) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/readyz")
	if err != nil {
		fmt.Println(err)
	} else {
		resp.Body.Close()
		fmt.Println("readyz:", resp.StatusCode)
	}
	stop() // SIGINT/SIGTERM in the command
	fmt.Println("stopped:", <-done)
	// Output:
	// readyz: 200
	// stopped: <nil>
}
