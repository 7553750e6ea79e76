// Package serve puts a zero-shot classifier behind HTTP: image classification and CLIP
// embeddings over one zeroshot.Classifier, in the request and answer shapes of Hugging
// Face's Inference API (and OpenAI's, for text embeddings), with batching, a bounded
// queue, bearer tokens and TLS. It is the `zeroshot serve` command as a library: mount
// Server.Handler on your own http.Server, or let Serve run it.
//
//	c, err := zeroshot.Open(dir, zeroshot.Options{})
//	s := serve.New(c, serve.Options{})
//	defer s.Close()
//	err = s.Serve(ctx, listener, 30*time.Second) // or http.Handle("/", s.Handler())
//
// Clients: Hugging Face's InferenceClient, OpenAI's client (embeddings), curl, and the
// Go client of package serve/client.
//
// # API
//
//	POST /v1/zero-shot-image-classification
//
// takes the Hugging Face Inference API's request for the task,
//
//	{"inputs": "<base64 image>", "parameters": {"candidate_labels": ["cat", "dog"],
//	 "hypothesis_template": "This is a photo of {}.", "top_k": 2}}
//
// (top_k is an extension; "inputs" may be a data: URL; an http(s) URL is refused and
// nothing is fetched unless Options.Fetch allows its host: zeroshot serve --fetch-allow),
// or a multipart/form-data upload (file part "image"; fields
// candidate_labels, repeated or comma-separated, hypothesis_template, top_k), or the
// image itself as the body (image/*, application/octet-stream) with the parameters in
// the query string. It answers as the pipeline does: [{"score": 0.98, "label": "cat"},
// …], sorted by score, with the pipeline's numbers. The same request is taken where
// Hugging Face's InferenceClient posts it when given the server as the model or
// base_url: POST /, /v1, and the hosted API's /models/<id> (the id is not checked: the
// server has one model). A trailing slash never matters, on any path.
//
// The body limit (MaxBodyBytes, 20 MiB) bounds the image: as base64 in JSON, the way
// Hugging Face's clients send it, at most 3/4 of it (15 MiB less the JSON around it:
// 15,728,589 bytes for two labels); as a multipart upload (the Go client, curl -F) or
// the raw body, the limit less the framing (20,971,128 and 20,971,520 bytes).
//
//	POST /v1/embeddings
//
// takes {"images": ["<base64>", …], "texts": ["…", …]} (or multipart: file parts
// "image", fields "text") and answers {"model", "dim", "image_embeds": [[…]],
// "text_embeds": [[…]]}: the model's L2-normalized image_embeds / text_embeds (texts
// are embedded as they are, no template). A JSON body with "input" is OpenAI's
// embeddings request instead, for OpenAI's client (base_url ending in /v1; POST
// /embeddings is taken too) and the tools built on it: "input" a string or a list of
// strings (token ids are refused: CLIP has its own tokenizer), "model" (not checked;
// the answer names the server's), "encoding_format" "float" or "base64" (little-endian
// float32, what OpenAI's client asks for by default), "dimensions" refused unless it is
// the model's. It answers {"object": "list", "data": [{"object": "embedding", "index",
// "embedding"}], "model", "usage": {"prompt_tokens", "total_tokens"}} (CLIP tokens,
// start and end included) with the same floats as the server's own shape, and its
// errors in OpenAI's shape, {"error": {"message", "type", "param", "code"}}; refusals
// that come before the body is read (401, 413, 429, 503) keep the server's shape, which
// OpenAI's client raises as the right exception with the message in its .body. Images
// have only the server's own shape.
//
//	GET /v1/models  OpenAI's model list: the one model
//	GET /healthz    200 while the process serves
//	GET /readyz     200 while it takes work, 503 while it drains for shutdown
//	GET /metrics    Prometheus text format: zeroshot_http_requests_total{endpoint,code},
//	                zeroshot_http_request_duration_seconds (histogram), zeroshot_batch_size
//	                (histogram), zeroshot_batch_forward_seconds, zeroshot_queue_wait_seconds,
//	                zeroshot_queue_depth, zeroshot_queue_decoding, zeroshot_queue_capacity,
//	                zeroshot_queue_clients, zeroshot_queue_client_share,
//	                zeroshot_rejected_total{reason}, zeroshot_requests_in_flight, zeroshot_ready,
//	                process_resident_memory_bytes, process_start_time_seconds, go_goroutines;
//	                with Tokens also zeroshot_auth_total{outcome} and zeroshot_auth_tokens; with
//	                TLS zeroshot_tls_certificate_expiry_seconds; after a first Reload
//	                zeroshot_reloads_total{what,result} and zeroshot_reload_ok{what}
//
// Errors are JSON, {"error": "…"}, as the Inference API's: 400 for a bad request
// (JSON, base64, labels: none, empty, duplicated, over the model's 77 tokens, too
// many; templates), 404/405 for a wrong path or method, 413 for a body over
// MaxBodyBytes or an image over MaxPixels (a decompression bomb, refused from its
// header), 415 for an unknown Content-Type, 422 for an image that does not decode
// (corrupt, truncated, empty, not an image; a request without an image is a 400), 503 with Retry-After when the queue is full or
// the server is shutting down, 504 when a request's Timeout passes first, 500 for a
// model failure; 401 (with WWW-Authenticate: Bearer) without a valid token, 429 with
// Retry-After beyond the client's share of the queue.
//
// # Who may call it
//
// With Options.Tokens (LoadTokens: a file of one token per line) every request but
// GET /healthz and /readyz (and /metrics with MetricsPublic) must carry
// "Authorization: Bearer <token>"; it is checked before the path is even looked up,
// and before admission, so refusals cost no queue place and reveal no endpoint. Only
// SHA-256 digests of the tokens are held, compared in constant time with every one;
// no error, log line, metric or answer contains a token. With Options.TLS
// (LoadCertificate) Serve speaks HTTPS only: TLS 1.2 with ECDHE and AEAD suites, or
// TLS 1.3. Server.Reload (SIGHUP in the command) reads both again; each is swapped at
// once and only when valid, so a missing or half-written file keeps what is in force
// (logged, and zeroshot_reload_ok 0) rather than opening the server or locking every
// client out. IsLoopback says whether an address needs tokens at all (the command
// refuses any other without them).
//
// A client, its token (or, without tokens, its IP address), may hold at most
// ClientShare of the queue's MaxQueue places (default half): beyond it, 429 while
// others are still admitted. Queued images and decoder slots are then handed out
// client by client in turn, so one client's many images do not stand in front of
// another's few. Behind a reverse proxy every client has the proxy's address: with
// TrustedProxies (never by default) a request from one of them is the client's its
// X-Forwarded-For (or, with UseForwarded, Forwarded) names, the rightmost address that
// is not itself a trusted proxy, so a client's own header changes nothing.
//
// Package serve/client is a Go client (plain net/http, no libtorch): Classify, Embed,
// a token, TLS, retries of 429 and 503 after Retry-After, cancellation.
//
// # Batching, queue, memory
//
// A request is first admitted if the queue has room (MaxQueue images admitted and not
// yet in a forward; otherwise 503 at once, before its body is even read, so shedding
// costs little), then read (bounded by MaxBodyBytes) and parsed, its label embeddings
// are taken from the Classifier's LRU cache
// (computed once per label set and template, concurrent requests for a new set share
// one computation), its image is decoded and preprocessed (Decoders at a time, in the
// request's goroutine), and it is queued. One batcher goroutine takes what is queued,
// up to MaxBatch images (waiting up to BatchWindow only while other admitted images
// are still decoding, so a lone client never waits), and runs them through
// Classifier.ImageEmbeds on the model's worker thread (one forward for the batch under
// zeroshot.BatchingBatched, the CUDA default; one per image on CPU, so that an answer's
// bits do not depend on what else is being served); each request is then scored against its label
// embeddings (Classifier.Score: batch-1 logits and softmax, the pipeline's ops).
//
// Memory is bounded: bodies by MaxBodyBytes, decoded images by MaxPixels × Decoders,
// queued pixel_values by MaxQueue, label embeddings by the Classifier's LabelCacheSize
// × MaxLabels × projection_dim floats. The model frees every tensor of a call before it
// returns (see clip), so a long-running server neither leaks C memory nor depends on
// the Go GC for it.
//
// Numbers: on CPU (zeroshot.BatchingPerImage, the Classifier's default there) every
// image goes through the tower alone, so every answer is bit-identical to the
// pipeline's whatever the load. Under zeroshot.BatchingBatched (the CUDA default) a
// batched image forward can differ from a one-image forward in the last float bits
// (other GEMM shapes), so under concurrent load scores may differ from the pipeline's
// by up to about 1e-6: measured on the fixture models with batched forwards on CPU
// (TestBatchDrift, 63 images at every position of batches of 2–8, AVX2 EPYC), at most
// 8.1e-7 in a score and 2.1e-7 in an embedding, no label order changed; a full-size
// ViT-L/14 with random weights (make fixtures-full; 16 images, ZEROSHOT_DRIFT_MODEL=DIR)
// moved scores by at most 2.4e-7. The trained weights and CUDA are not measured here.
// With MaxBatch 1 every answer is bit-identical to the pipeline's.
//
// # Concurrency and shutdown
//
// A Server is safe for concurrent use. Serve shuts down gracefully when its context
// ends (SIGINT/SIGTERM in the command): it logs "shutting down", /readyz turns 503, the
// listener closes, requests in flight finish, queued images are still run, then the
// batcher stops.
package serve
