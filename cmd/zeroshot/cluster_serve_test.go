package main

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examples/k8s/serve-*.yaml: every flag of the container's args is one of zeroshot
// serve's; the CPU Deployment's args, run here (its address, token file and model made
// local), answer the probes' paths, refuse a request without the token, classify with
// it, and drain cleanly on the signal Kubernetes sends.
func TestKubernetesServe(t *testing.T) {
	flags := helpFlags(t, "serve")
	deployments := map[string][]string{}
	for _, f := range []string{"serve-cpu.yaml", "serve-gpu.yaml"} {
		d := readManifest(t, filepath.Join(examplesDir, "k8s", f), "Deployment")
		c := d.Spec.Template.Spec.Containers[0]
		require.Equal(t, []string{"zeroshot"}, c.Command, f)
		require.Equal(t, "serve", c.Args[0], f)
		for _, a := range c.Args[1:] {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			assert.Contains(t, flags, name, "%s: --%s is not a flag of zeroshot serve", f, name)
		}
		deployments[f] = c.Args[1:]
	}

	tokens := filepath.Join(t.TempDir(), "tokens.txt")
	const token = "k8s-example-token-0123456789abcdef"
	require.NoError(t, os.WriteFile(tokens, []byte(token+"\n"), 0o600))
	var args []string
	for _, a := range deployments["serve-cpu.yaml"] {
		switch name, _, _ := strings.Cut(a, "="); name {
		case "--addr":
			a = "--addr=127.0.0.1:0"
		case "--token-file":
			a = "--token-file=" + tokens
		case "--model":
			a = "--model=" + tinyModel
		}
		args = append(args, a)
	}
	addr, stop := startServe(t, args...)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, path)
	}
	img, err := os.ReadFile(chelsea)
	require.NoError(t, err)
	classify := func(auth string) int {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		fw, err := w.CreateFormFile("image", "chelsea.png")
		require.NoError(t, err)
		fw.Write(img)
		require.NoError(t, w.WriteField("candidate_labels", "cat,dog"))
		require.NoError(t, w.Close())
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/zero-shot-image-classification", &body)
		require.NoError(t, err)
		req.Header.Set("Content-Type", w.FormDataContentType())
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 401, classify(""))
	assert.Equal(t, 200, classify(token))
	code, stderr := stop()
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "shut down cleanly")
}
