package hub_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/zeroshot-clip/zeroshot/hub"
	"github.com/zeroshot-clip/zeroshot/hub/hubtest"
)

// fakeHub serves the committed tiny-l14 fixture as the Hub repo "tiny/l14" (hubtest: a
// fake Hub for tests). Against the real Hub, leave Options.Endpoint empty (HF_ENDPOINT,
// else https://huggingface.co).
func fakeHub() (*hubtest.Server, error) {
	repo, err := hubtest.LoadRepo("tiny/l14", filepath.Join("..", "testdata", "models", "tiny-l14"), "golden*")
	if err != nil {
		return nil, err
	}
	return hubtest.NewServer(repo), nil
}

// A model name as from_pretrained takes it: a local directory is used as it is; a Hub
// id is downloaded once into the huggingface_hub cache (same layout as Python's, so
// both share it), checksums verified, and later found there without the network.
func ExampleResolve() {
	srv, err := fakeHub()
	if err != nil {
		fmt.Println(err)
		return
	}
	cache, err := os.MkdirTemp("", "hub")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cache)
	opts := hub.Options{Endpoint: srv.URL, CacheDir: cache} // zero fields: HF_* environment, then Python's defaults
	ctx := context.Background()

	local := filepath.Join("..", "testdata", "models", "odd")
	dir, err := hub.Resolve(ctx, local, opts)
	fmt.Println(dir == local, err)

	dir, err = hub.Resolve(ctx, "tiny/l14", opts) // e.g. "openai/clip-vit-large-patch14"
	if err != nil {
		fmt.Println(err)
		return
	}
	rel, _ := filepath.Rel(cache, dir)
	fmt.Println(filepath.Dir(rel))
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	fmt.Println(strings.Join(names, " "))

	srv.Close() // no Hub any more: the cache answers
	opts.Offline = true
	again, err := hub.Resolve(ctx, "tiny/l14", opts)
	fmt.Println(again == dir, err)
	// Output:
	// true <nil>
	// models--tiny--l14/snapshots
	// config.json merges.txt model.safetensors preprocessor_config.json special_tokens_map.json tokenizer.json tokenizer_config.json vocab.json
	// true <nil>
}

// Only some files (a tokenizer, for `zeroshot tokenize`), an optional one marked with
// "?", and what was resolved: ResolveSnapshot describes the snapshot.
func ExampleResolveSnapshot() {
	srv, err := fakeHub()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	cache, err := os.MkdirTemp("", "hub")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cache)
	snap, err := hub.ResolveSnapshot(context.Background(), "tiny/l14", hub.Options{
		Endpoint: srv.URL, CacheDir: cache, Revision: "main",
		Files: []string{"tokenizer.json", "tokenizer_config.json", "added_tokens.json?"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var files []string
	for name := range snap.Files {
		files = append(files, name)
	}
	sort.Strings(files)
	fmt.Println(snap.Repo, snap.Revision, len(snap.Commit), "hex digits")
	fmt.Println("files:", files)
	fmt.Println("missing:", snap.Missing)
	// Output:
	// tiny/l14 main 40 hex digits
	// files: [tokenizer.json tokenizer_config.json]
	// missing: [added_tokens.json]
}
