package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
)

// ClassifyRequest is one image and the labels to score it against.
type ClassifyRequest struct {
	Image  []byte   // the image file's bytes (JPEG, PNG, GIF, WebP, …), sent as they are
	Labels []string // candidate labels, at least one
	// Template is the hypothesis template; "" is the pipeline's "This is a photo of {}.".
	Template string
	TopK     int // > 0: only the TopK best labels
}

// Result is one label's score, as the server (and Hugging Face's pipeline) gives it.
type Result struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

// Classify scores the image against the labels: every label (or the TopK best),
// best first, scores summing to 1.
func (c *Client) Classify(ctx context.Context, req ClassifyRequest) ([]Result, error) {
	params := map[string]any{"candidate_labels": req.Labels}
	if req.Template != "" {
		params["hypothesis_template"] = req.Template
	}
	if req.TopK > 0 {
		params["top_k"] = req.TopK
	}
	pj, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("zeroshot client: %w", err)
	}
	// Multipart, the image as it is: no base64 (a third more bytes, and a quarter less
	// room under the server's body limit); the parameters as one JSON field, so a label
	// holding a comma stays one label.
	ct, body, err := multipartBody([][]byte{req.Image}, map[string][]string{"parameters": {string(pj)}})
	if err != nil {
		return nil, err
	}
	b, err := c.do(ctx, request{http.MethodPost, "/v1/zero-shot-image-classification", ct, body})
	if err != nil {
		return nil, err
	}
	var res []Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("zeroshot client: the classification answer: %w", err)
	}
	return res, nil
}

// EmbedRequest is images and texts to embed (either may be empty, not both).
type EmbedRequest struct {
	Images [][]byte // image files' bytes
	Texts  []string // embedded as they are (no template)
}

// Embeddings are the model's L2-normalized embeddings, one row per input, in order:
// the float32 values the server computed, exactly.
type Embeddings struct {
	Model  string      `json:"model"`
	Dim    int         `json:"dim"`
	Images [][]float32 `json:"image_embeds"`
	Texts  [][]float32 `json:"text_embeds"`
}

// Embed embeds images and texts in one request.
func (c *Client) Embed(ctx context.Context, req EmbedRequest) (*Embeddings, error) {
	ct, body, err := multipartBody(req.Images, map[string][]string{"text": req.Texts})
	if err != nil {
		return nil, err
	}
	b, err := c.do(ctx, request{http.MethodPost, "/v1/embeddings", ct, body})
	if err != nil {
		return nil, err
	}
	var e Embeddings
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("zeroshot client: the embeddings answer: %w", err)
	}
	return &e, nil
}

// multipartBody is images as file parts "image" and fields, in order.
func multipartBody(images [][]byte, fields map[string][]string) (string, []byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i, img := range images {
		fw, err := mw.CreateFormFile("image", fmt.Sprintf("image%d", i+1))
		if err != nil {
			return "", nil, fmt.Errorf("zeroshot client: %w", err)
		}
		fw.Write(img) // a bytes.Buffer: no error
	}
	for name, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(name, v); err != nil {
				return "", nil, fmt.Errorf("zeroshot client: %w", err)
			}
		}
	}
	if err := mw.Close(); err != nil {
		return "", nil, fmt.Errorf("zeroshot client: %w", err)
	}
	return mw.FormDataContentType(), buf.Bytes(), nil
}
