package tokenize

import (
	"testing"
)

// labels1000 is the corpus's first group: "a photo of a {}." for the 1,000 ImageNet classes,
// the labels scripts/bench_tokenizer.py times Hugging Face's tokenizer on.
func labels1000(b *testing.B) []string {
	var labels []string
	for _, c := range corpus(b) {
		if c.Group == "imagenet_photo" {
			labels = append(labels, c.Text)
		}
	}
	if len(labels) != 1000 {
		b.Fatalf("%d labels", len(labels))
	}
	return labels
}

// BenchmarkEncodeBatch1000Labels: the pipeline's call (padding to the longest) on 1,000
// labels, with the per-word cache warm (as a long-lived tokenizer is; so is Hugging Face's).
func BenchmarkEncodeBatch1000Labels(b *testing.B) {
	tok, labels := clip(b), labels1000(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tok.EncodeBatch(labels, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeBatch1000LabelsCold: the same with an empty cache every time.
func BenchmarkEncodeBatch1000LabelsCold(b *testing.B) {
	tok, labels := *clip(b), labels1000(b)
	words := *tok.words
	tok.words = &words
	b.ReportAllocs()
	for b.Loop() {
		words.cache = newWordCache(wordCacheSize)
		if _, err := tok.EncodeBatch(labels, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load("../testdata/tokenizer/clip"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNFCTables: building isNFC's bit set, once, at the first non-Latin text.
func BenchmarkNFCTables(b *testing.B) {
	for b.Loop() {
		_ = buildNFCStable()
	}
}
