package source

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
)

// Data is an image inside a data: URL (RFC 2397): data:[<media type>][;base64],<data>.
// With ;base64 the data is base64 (standard or URL alphabet, padded or not, line breaks
// allowed), as load_image decodes "data:image/…;base64,…"; without it, percent-encoded
// bytes. The media type is not trusted: the decoder sniffs the bytes.
type Data string

// Name is the data: URL itself (messages shorten it).
func (d Data) Name() string { return string(d) }

// Read decodes the URL's data.
func (d Data) Read(context.Context) ([]byte, error) {
	b, err := decodeData(string(d))
	if err != nil {
		return nil, err
	}
	return b, nil
}

func decodeData(s string) ([]byte, error) {
	bad := func(reason string, err error) error {
		return &Error{Source: s, Kind: KindBadSource, Reason: reason, Err: err}
	}
	if !IsData(s) {
		return nil, bad("not a data: URL", nil)
	}
	head, payload, ok := strings.Cut(s[len("data:"):], ",")
	if !ok {
		return nil, bad("a data: URL without a comma before its data", nil)
	}
	if !strings.HasSuffix(strings.ToLower(head), ";base64") {
		b, err := url.PathUnescape(payload)
		if err != nil {
			return nil, bad("bad percent-encoding: "+err.Error(), err)
		}
		if len(b) == 0 {
			return nil, bad("a data: URL with no data", nil)
		}
		return []byte(b), nil
	}
	b, err := Base64(payload)
	if err != nil {
		return nil, bad(err.Error(), err)
	}
	if len(b) == 0 {
		return nil, bad("a data: URL with no data", nil)
	}
	return b, nil
}

// Base64 decodes base64 as load_image and Hugging Face's clients write it: the standard
// or the URL alphabet, with or without padding, white space (line breaks) ignored.
func Base64(s string) ([]byte, error) {
	if strings.ContainsAny(s, " \t\r\n") {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, s)
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	return enc.DecodeString(s)
}
