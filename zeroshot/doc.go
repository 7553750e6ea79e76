// Package zeroshot classifies images against labels chosen at run time, with no
// training: open a CLIP model, give it images and free-text labels, get each label's
// score, best first; the numbers Hugging Face's zero-shot-image-classification pipeline
// gives.
//
//	c, err := zeroshot.Open(dir, zeroshot.Options{}) // a model directory (hub.Resolve fetches one)
//	defer c.Close()
//	res, err := c.ClassifyFiles(ctx, []string{"cat.jpg"}, zeroshot.Request{Labels: []string{"cat", "dog"}})
//	// res[0]: [{Score: 0.98, Label: "cat"}, {Score: 0.02, Label: "dog"}]
//
// The same Classifier classifies decoded images (Classify, ClassifyBatch), streams
// collections of files (ClassifyEach) and embeds them (EmbedEach); LabelEmbeddings and
// Score split the work for one label set and many images. Processor is the manual flow of
// the tutorial (processor → clip.Model.Forward → Softmax). The examples run on a tiny
// model committed for the tests.
//
// This is the pipeline in Go, with what it lacks: label embeddings computed once and
// reused across images (in memory, optionally on disk), prompt ensembles, batches of
// images, and top-k.
//
// Pipeline semantics (transformers 4.54, parity-spec §5): each image is loaded as
// load_image does (EXIF orientation applied, converted to RGB) and preprocessed by the
// model's CLIPImageProcessor; each label is put into the hypothesis template
// (default "This is a photo of {}.", Python str.format rules, see Format); all label
// texts are tokenized together, padded to the longest; the scores are the softmax of
// logits_per_image over the labels, computed by libtorch as torch does, sorted by score
// with ties kept in label order. One label scores 1.0. Scores equal the pipeline's
// float32 values (widened to float64, as Python's .tolist() does).
//
// Which Python: Options.Parity (see Parity). "4.54" is transformers 4.54 on torch 2.1.0:
// the PIL image processor (package preprocess), eager attention. "5" is transformers 5 on
// torch 2.11 with its defaults: the torchvision image processor (package tvprocess),
// transparency composited onto white, SDPA attention. The default is the one pip would
// install beside the linked libtorch; Options.Backend and Options.Model.Attention
// override single choices, and Classifier.Profile says what is in force.
//
// Beyond the pipeline: label embeddings depend only on (model, templates, labels), so a
// Classifier computes them once per label set and reuses them for every image; N images
// × K labels costs N image forwards and one text pass. With several templates the label
// embedding is the prompt ensemble of the CLIP paper: each template's normalized
// embedding, averaged, normalized again (ImageNet80 holds the paper's 80 templates).
//
// Large label sets: the text pass runs in chunks (Options.TextBatch; automatic by
// default), each padded to the longest text of the whole set, so its memory does not
// grow with the number of labels and the embeddings are the one batch's (bit for bit
// where measured: see textpass.go and the README); scoring runs in slabs of labels.
// EmbedEach embeds collections of files as ClassifyEach classifies them.
//
// Batches: on CPU each image of a batch goes through the image tower alone and gets its
// logits alone (Options.Batching, BatchingPerImage), so its numbers are the pipeline's
// whatever else is in the batch; on CUDA a batch is one forward (BatchingBatched), which
// changes the last float bits. See Batching.
//
// Concurrency: a Classifier is safe for concurrent use by many goroutines; model calls
// run one at a time on the model's worker thread, preprocessing runs in the callers'
// goroutines. Results are plain values.
package zeroshot
