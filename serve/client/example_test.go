package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/zeroshot-clip/zeroshot/serve/client"
)

func ExampleClient_Classify() {
	c, err := client.New(serverURL, client.Options{Token: token})
	if err != nil {
		log.Fatal(err)
	}
	img, err := os.ReadFile(filepath.Join("..", "..", "examples", "chelsea.png"))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Classify(context.Background(), client.ClassifyRequest{Image: img, Labels: []string{"cat", "dog", "fox", "owl"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res {
		fmt.Printf("%s %.3f\n", r.Label, r.Score)
	}
	// Output:
	// cat 0.345
	// dog 0.285
	// fox 0.208
	// owl 0.162
}

func ExampleClient_Embed() {
	c, err := client.New(serverURL, client.Options{Token: token})
	if err != nil {
		log.Fatal(err)
	}
	img, err := os.ReadFile(filepath.Join("..", "..", "examples", "chelsea.png"))
	if err != nil {
		log.Fatal(err)
	}
	e, err := c.Embed(context.Background(), client.EmbedRequest{Images: [][]byte{img}, Texts: []string{"a cat", "a dog"}})
	if err != nil {
		log.Fatal(err)
	}
	// Normalized embeddings: the cosine similarity of an image and a text is their dot product.
	for i, text := range []string{"a cat", "a dog"} {
		fmt.Printf("%q: %d floats, |v| = %.3f\n", text, len(e.Texts[i]), norm(e.Texts[i]))
	}
	fmt.Printf("image: %d floats, |v| = %.3f\n", len(e.Images[0]), norm(e.Images[0]))
	// Output:
	// "a cat": 64 floats, |v| = 1.000
	// "a dog": 64 floats, |v| = 1.000
	// image: 64 floats, |v| = 1.000
}

// The server's refusals are *client.Error values: its status and message.
func ExampleError() {
	c, err := client.New(serverURL, client.Options{Token: "not-the-token-0123456789"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Embed(context.Background(), client.EmbedRequest{Texts: []string{"a cat"}})
	var se *client.Error
	if errors.As(err, &se) {
		fmt.Println(se.StatusCode, se.Message)
	}
	// Output:
	// 401 invalid bearer token
}

// A server on HTTPS with a certificate of its own (self-signed, or a private CA's).
func ExampleOptions_tls() {
	c, err := client.New(tlsServerURL, client.Options{Token: token, TLS: tlsConfig()})
	if err != nil {
		log.Fatal(err)
	}
	img, err := os.ReadFile(filepath.Join("..", "..", "examples", "chelsea.png"))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Classify(context.Background(), client.ClassifyRequest{Image: img, Labels: []string{"a tabby cat", "a car"}, Template: "a photo of {}"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %.2f\n", res[0].Label, res[0].Score)
	// Output:
	// a tabby cat 0.78
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
