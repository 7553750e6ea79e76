// Package tokenize is CLIP's text tokenizer: the token ids of Hugging Face's
// CLIPTokenizerFast (the tokenizers library, which the zero-shot pipeline uses), exactly,
// in plain Go.
//
// Load reads a model's tokenizer files: tokenizer.json, or else vocab.json and merges.txt;
// tokenizer_config.json (model_max_length) and special_tokens_map.json. A text becomes ids
// in these steps, each as the tokenizers crate does it:
//
//	added tokens   "<|endoftext|>" (normalized: false) is matched in the raw text,
//	               "<|startoftext|>" (normalized: true) in the normalized text;
//	normalize      Unicode NFC; each run of White_Space → " "; each character lowercased
//	               (Rust's char::to_lowercase: "İ" → "i̇", a final Σ → σ);
//	split          's 't 're 've 'm 'll 'd, runs of letters, single numbers, runs of other
//	               characters; whitespace is dropped;
//	BPE            on each piece's UTF-8 bytes (the byte-level alphabet), "</w>" on the last;
//	wrap           <|startoftext|> ids <|endoftext|>.
//
// Character data is the tokenizers wheel's, not Go's (Unicode 15.0): its regex engine and
// lowercasing are at Unicode 16.0 (tables_unicode.go has the differences) and its NFC at
// Unicode 9.0 (nfc.go).
//
// Encode and EncodeAll give the ids of texts with no length limit (the
// `zeroshot tokenize` command). EncodeBatch gives the model's input: ids padded (to the
// longest text, as the pipeline does, or to model_max_length) with attention masks. A text
// longer than model_max_length (77 for CLIP: the text model has 77 positions) is an error,
// *TooLongError, unless Options.Truncate is set; truncation keeps the end-of-text token, as
// Hugging Face's truncation=True does. Decode turns ids back into text as
// CLIPTokenizerFast.decode does.
//
// Input that is not valid UTF-8 is read as Python reads bytes.decode("utf-8", "replace"):
// each maximal ill-formed subsequence becomes one U+FFFD (Python's tokenizer only ever gets
// a str, so that is the string Hugging Face's ids are compared on).
//
// It is built on github.com/sugarme/tokenizer (v0.3.0): the BPE model (vocabulary and
// merges loading, merge ranks, unknown token, end-of-word suffix, reverse vocabulary), the
// byte-level alphabet, and encodings with their right padding come from there. The library
// cannot run CLIP's tokenizer.json as is, and these pieces are replaced here, each with a test
// of the library's behaviour in library_test.go: the NFC, Replace and Lowercase normalizers,
// the Split pre-tokenizer, the BPE word merge, the RobertaProcessing post-processor and the
// ByteLevel decoder.
//
// It does not compute offsets or word ids, encode pairs of sequences, pad on the left, or
// run tokenizers other than CLIP's: Load rejects a tokenizer.json whose pipeline differs
// rather than tokenize differently. Nor does it do the slow CLIPTokenizer's ftfy and HTML
// clean-up, which the pipeline's fast tokenizer does not do either.
//
// A *Tokenizer is safe for concurrent use by multiple goroutines: after Load it is read-only
// but for a bounded, lock-protected cache of the BPE of each word.
package tokenize
