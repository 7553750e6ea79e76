// Package hub gets a model directory from the name you would give from_pretrained:
//
//	dir, err := hub.Resolve(ctx, "openai/clip-vit-large-patch14", hub.Options{})
//	c, err := zeroshot.Open(dir, zeroshot.Options{})
//
// A local directory is used as it is; anything else is a Hugging Face Hub repo id,
// looked up in and downloaded into the huggingface_hub cache (same layout, same
// environment variables, compatible with caches written by Python's huggingface_hub
// 0.36), so Python and Go share one copy. Downloads are checked against the Hub's
// checksums and resume where they stopped; once cached, a model needs no network
// (Options.Offline, HF_HUB_OFFLINE). Gated and private repos take a token (HF_TOKEN).
// Failures wrap sentinels for errors.Is (ErrRepoNotFound, ErrGatedRepo, ErrNotCached,
// ErrChecksumMismatch, …) in typed errors that name the repo, the file and the URL.
//
// Package hub/hubtest is a fake Hub for tests; the examples run against it.
package hub
