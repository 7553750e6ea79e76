package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zeroshot-clip/zeroshot/source"
)

// ClassifyRequest is a decoded POST /v1/zero-shot-image-classification.
type ClassifyRequest struct {
	Image    []byte   // the image file's bytes (any format preprocess.Decode reads)
	ImageURL string   // instead of Image, an http(s) URL to fetch (only with Limits.URLs)
	Labels   []string // parameters.candidate_labels
	Template string   // parameters.hypothesis_template; "" means the pipeline's default
	TopK     int      // parameters.top_k (an extension; 0: all labels, as the pipeline)
}

// EmbedRequest is a decoded POST /v1/embeddings.
type EmbedRequest struct {
	Images [][]byte
	// ImageURLs, with Limits.URLs, is nil or one entry per image: an http(s) URL to
	// fetch, whose Images entry is nil, or "" for an image sent inline.
	ImageURLs []string
	Texts     []string
	// OpenAI is set for a request in OpenAI's shape ("input"): texts only, answered
	// in OpenAI's shape.
	OpenAI *OpenAIParams
}

// embedJSON is the JSON body of POST /v1/embeddings: this server's fields, and
// OpenAI's (Input set: a request in OpenAI's shape).
type embedJSON struct {
	Images []string        `json:"images"`
	Texts  []string        `json:"texts"`
	Inputs json.RawMessage `json:"inputs"`

	Input          json.RawMessage `json:"input"`
	Model          *string         `json:"model"`
	EncodingFormat *string         `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
	User           *string         `json:"user"` // accepted, not used
}

// Limits bound what a request may carry; the zero value means no bound.
type Limits struct {
	MaxLabels     int // candidate labels per request
	MaxLabelBytes int // bytes per label or text
	MaxImages     int // images per embeddings request
	MaxTexts      int // texts per embeddings request
	// URLs takes http(s) URLs where an image goes (ImageURL, ImageURLs), for a server
	// that fetches them from the hosts it allows; otherwise they are refused.
	URLs bool
}

// RequestError is a request the server cannot use as sent: HTTP 400 (or Status, when set).
type RequestError struct {
	Status int // 0 means 400
	Reason string
}

func (e *RequestError) Error() string { return e.Reason }

func badRequest(format string, a ...any) error {
	return &RequestError{Reason: fmt.Sprintf(format, a...)}
}

// The content types the endpoints take.
const (
	ctJSON      = "application/json"
	ctMultipart = "multipart/form-data"
)

// mediaType returns the media type of a Content-Type header, "" for none; an
// unparsable header is a 415.
func mediaType(contentType string) (string, map[string]string, error) {
	if strings.TrimSpace(contentType) == "" {
		return "", nil, nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", nil, &RequestError{Status: 415, Reason: fmt.Sprintf("bad Content-Type %q: %v", contentType, err)}
	}
	return mt, params, nil
}

// DecodeClassify decodes a classification request from its Content-Type, body and URL
// query. It takes
//
//   - JSON (application/json, or no Content-Type): the Hugging Face Inference API's shape
//     {"inputs": "<base64 image>", "parameters": {"candidate_labels": [...],
//     "hypothesis_template": "...", "top_k": N}}; candidate_labels may also be one
//     comma-separated string; "inputs" may be a data: URL;
//   - multipart/form-data: the image as the file part "image" (or "inputs", or "file"),
//     candidate_labels as repeated fields or one comma-separated field (or a JSON array),
//     hypothesis_template and top_k as fields, or a "parameters" field holding the JSON
//     object above;
//   - a raw image body (image/*, application/octet-stream) with the parameters in the
//     URL query (candidate_labels=a,b&hypothesis_template=...).
//
// Errors are *RequestError (400, or 415 for an unknown Content-Type) unless reading
// body fails (then that error, e.g. *http.MaxBytesError).
func DecodeClassify(contentType string, body io.Reader, query url.Values, lim Limits) (*ClassifyRequest, error) {
	mt, params, err := mediaType(contentType)
	if err != nil {
		return nil, err
	}
	var req *ClassifyRequest
	switch {
	case mt == "" || mt == ctJSON || strings.HasSuffix(mt, "+json"):
		req, err = decodeClassifyJSON(body, lim.URLs)
	case mt == ctMultipart:
		req, err = decodeClassifyMultipart(body, params["boundary"], lim.URLs)
	case strings.HasPrefix(mt, "image/") || mt == "application/octet-stream":
		req, err = decodeClassifyRaw(body, query)
	default:
		return nil, &RequestError{Status: 415, Reason: fmt.Sprintf("Content-Type %s is not accepted: send application/json, multipart/form-data or the image itself", mt)}
	}
	if err != nil {
		return nil, err
	}
	if err := req.check(lim); err != nil {
		return nil, err
	}
	return req, nil
}

type classifyJSON struct {
	Inputs     any `json:"inputs"` // any: decoded in one pass, the type checked after
	Image      any `json:"image"`  // the older Inference Endpoints shape
	Parameters *struct {
		CandidateLabels    json.RawMessage `json:"candidate_labels"`
		HypothesisTemplate *string         `json:"hypothesis_template"`
		TopK               *int            `json:"top_k"`
	} `json:"parameters"`
}

func decodeClassifyJSON(body io.Reader, urls bool) (*ClassifyRequest, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	var in classifyJSON
	if err := strictJSON(b, &in); err != nil {
		return nil, err
	}
	raw := in.Inputs
	if raw == nil {
		raw = in.Image
	}
	if raw == nil {
		return nil, badRequest(`missing "inputs" (the image, base64-encoded)`)
	}
	s, ok := raw.(string)
	if !ok {
		return nil, badRequest(`"inputs" must be a string: the image, base64-encoded`)
	}
	img, u, err := decodeImageOrURL(s, "inputs", urls)
	if err != nil {
		return nil, err
	}
	req := &ClassifyRequest{Image: img, ImageURL: u}
	if in.Parameters == nil {
		return nil, badRequest(`missing "parameters" with "candidate_labels"`)
	}
	if req.Labels, err = labelsJSON(in.Parameters.CandidateLabels); err != nil {
		return nil, err
	}
	if t := in.Parameters.HypothesisTemplate; t != nil {
		req.Template = *t
	}
	if k := in.Parameters.TopK; k != nil {
		req.TopK = *k
	}
	return req, nil
}

// strictJSON unmarshals one JSON value and says what is wrong in a client's terms.
func strictJSON(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return badRequest("empty request body: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return badRequest("invalid JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				return badRequest("the request body must be a JSON object, not %s", te.Value)
			}
			return badRequest("%q must not be %s", field, te.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return badRequest("invalid JSON: unexpected end of input")
		default:
			return badRequest("invalid JSON: %v", err)
		}
	}
	if dec.More() {
		return badRequest("invalid JSON: data after the request object")
	}
	return nil
}

// labelsJSON reads candidate_labels: an array of strings, or one comma-separated string.
func labelsJSON(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, badRequest(`missing "parameters.candidate_labels"`)
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return splitLabels(s), nil
	}
	return nil, badRequest(`"candidate_labels" must be an array of strings`)
}

// splitLabels splits a comma-separated label list, trimming spaces; an empty item stays
// (as "") so that the label check names it.
func splitLabels(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// decodeImageOrURL is decodeImageString, but with urls an http(s) URL is returned as
// it is, to be fetched.
func decodeImageOrURL(s, field string, urls bool) ([]byte, string, error) {
	if t := strings.TrimSpace(s); urls && source.IsURL(t) {
		return nil, t, nil
	}
	img, err := decodeImageString(s, field)
	return img, "", err
}

// decodeImageString decodes base64 (standard or URL alphabet, padded or not, line
// breaks allowed), with an optional data: URL prefix. URLs are refused: the server
// fetches nothing.
func decodeImageString(s, field string) ([]byte, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, emptyImage(fmt.Sprintf("%q", field), "send the image, base64-encoded")
	}
	lower := strings.ToLower(t[:min(len(t), 8)])
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https:/") {
		return nil, badRequest("%q is a URL: this server does not fetch URLs (serve --fetch-allow), send the image base64-encoded", field)
	}
	if strings.HasPrefix(lower, "data:") {
		comma := strings.IndexByte(t, ',')
		if comma < 0 || !strings.HasSuffix(strings.ToLower(t[:comma]), ";base64") {
			return nil, badRequest("%q is a data: URL without ;base64 data", field)
		}
		t = t[comma+1:]
	}
	b, err := source.Base64(t) // as load_image and Hugging Face's clients write it
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return nil, badRequest("%q is not valid base64 (at byte %d)", field, int64(ce))
		}
		return nil, badRequest("%q is not valid base64: %v", field, err)
	}
	if len(b) == 0 {
		return nil, emptyImage(fmt.Sprintf("%q", field), "its base64 decodes to nothing")
	}
	return b, nil
}

// emptyImage is an image that is there but holds 0 bytes: like any other file that
// does not decode as an image (a truncated one, a text file), 422; a request without
// an image at all is a 400.
func emptyImage(what, hint string) error {
	return &RequestError{Status: http.StatusUnprocessableEntity, Reason: what + " is an empty image (0 bytes): " + hint}
}

// Multipart parts: at most this many, and non-file fields at most this big; the body
// limit bounds files.
const (
	maxParts      = 1024
	maxFieldBytes = 1 << 20
)

// multipartForm reads a multipart body into files (by field name, in order) and values.
func multipartForm(body io.Reader, boundary string) (files map[string][][]byte, values map[string][]string, err error) {
	if boundary == "" {
		return nil, nil, badRequest("multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(body, boundary)
	files, values = map[string][][]byte{}, map[string][]string{}
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isBodyLimit(err) {
				return nil, nil, err
			}
			return nil, nil, badRequest("bad multipart body: %v", err)
		}
		if n >= maxParts {
			return nil, nil, badRequest("more than %d multipart parts", maxParts)
		}
		name := p.FormName()
		if name == "" {
			p.Close()
			continue
		}
		if p.FileName() != "" || isFilePart(p.Header) {
			b, err := io.ReadAll(p)
			if err != nil {
				if isBodyLimit(err) {
					return nil, nil, err
				}
				return nil, nil, badRequest("bad multipart part %q: %v", name, err)
			}
			files[name] = append(files[name], b)
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
		if err != nil {
			if isBodyLimit(err) {
				return nil, nil, err
			}
			return nil, nil, badRequest("bad multipart field %q: %v", name, err)
		}
		if len(b) > maxFieldBytes {
			return nil, nil, badRequest("multipart field %q is over %d bytes", name, maxFieldBytes)
		}
		values[name] = append(values[name], string(b))
	}
	return files, values, nil
}

// isFilePart: a part without a file name but with a non-text Content-Type is a file.
func isFilePart(h textproto.MIMEHeader) bool {
	ct := h.Get("Content-Type")
	return ct != "" && !strings.HasPrefix(ct, "text/plain")
}

func decodeClassifyMultipart(body io.Reader, boundary string, urls bool) (*ClassifyRequest, error) {
	files, values, err := multipartForm(body, boundary)
	if err != nil {
		return nil, err
	}
	req := &ClassifyRequest{}
	var found int
	for _, name := range []string{"image", "inputs", "file"} {
		for _, f := range files[name] {
			req.Image = f
			found++
		}
		// A base64 image sent as a text field.
		for _, v := range values[name] {
			img, u, err := decodeImageOrURL(v, name, urls)
			if err != nil {
				return nil, err
			}
			req.Image, req.ImageURL = img, u
			found++
		}
	}
	switch {
	case found == 0:
		return nil, badRequest(`multipart request without an "image" file part`)
	case found > 1:
		return nil, badRequest("multipart request with %d images: this endpoint classifies one image per request", found)
	case len(req.Image) == 0 && req.ImageURL == "":
		return nil, emptyImage(`the "image" part`, "send the image file's content")
	}
	if ps := values["parameters"]; len(ps) > 0 {
		var p struct {
			CandidateLabels    json.RawMessage `json:"candidate_labels"`
			HypothesisTemplate *string         `json:"hypothesis_template"`
			TopK               *int            `json:"top_k"`
		}
		if err := strictJSON([]byte(ps[0]), &p); err != nil {
			return nil, badRequest(`field "parameters": %v`, err)
		}
		if len(p.CandidateLabels) > 0 {
			if req.Labels, err = labelsJSON(p.CandidateLabels); err != nil {
				return nil, err
			}
		}
		if p.HypothesisTemplate != nil {
			req.Template = *p.HypothesisTemplate
		}
		if p.TopK != nil {
			req.TopK = *p.TopK
		}
	}
	if err := formParams(req, values); err != nil {
		return nil, err
	}
	return req, nil
}

// formParams reads candidate_labels, hypothesis_template and top_k from form fields
// or URL query values.
func formParams(req *ClassifyRequest, values map[string][]string) error {
	for _, key := range []string{"candidate_labels", "candidate_labels[]"} {
		for _, v := range values[key] {
			if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
				var list []string
				if err := json.Unmarshal([]byte(t), &list); err != nil {
					return badRequest(`"candidate_labels" starts with '[' but is not a JSON array of strings`)
				}
				req.Labels = append(req.Labels, list...)
				continue
			}
			if len(values[key]) == 1 {
				req.Labels = append(req.Labels, splitLabels(v)...)
			} else {
				req.Labels = append(req.Labels, v)
			}
		}
	}
	if t := values["hypothesis_template"]; len(t) > 0 {
		req.Template = t[len(t)-1]
	}
	if k := values["top_k"]; len(k) > 0 {
		n, err := strconv.Atoi(strings.TrimSpace(k[len(k)-1]))
		if err != nil {
			return badRequest(`"top_k" must be an integer`)
		}
		req.TopK = n
	}
	return nil
}

func decodeClassifyRaw(body io.Reader, query url.Values) (*ClassifyRequest, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, emptyImage("the request body", "send the image file's content")
	}
	req := &ClassifyRequest{Image: b}
	if err := formParams(req, query); err != nil {
		return nil, err
	}
	return req, nil
}

func (r *ClassifyRequest) check(lim Limits) error {
	if len(r.Labels) == 0 {
		return badRequest(`no candidate labels: "parameters.candidate_labels" must list at least one`)
	}
	if lim.MaxLabels > 0 && len(r.Labels) > lim.MaxLabels {
		return badRequest("%d candidate labels: at most %d per request", len(r.Labels), lim.MaxLabels)
	}
	for i, l := range r.Labels {
		if err := checkText(l, lim.MaxLabelBytes); err != nil {
			return badRequest("label %d: %v", i+1, err)
		}
	}
	if !utf8.ValidString(r.Template) {
		return badRequest("hypothesis_template is not valid UTF-8")
	}
	if r.TopK < 0 {
		return badRequest(`"top_k" must be >= 0`)
	}
	return nil
}

func checkText(s string, maxBytes int) error {
	if maxBytes > 0 && len(s) > maxBytes {
		return fmt.Errorf("%d bytes, at most %d", len(s), maxBytes)
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	return nil
}

// DecodeEmbed decodes an embeddings request:
//
//   - JSON: {"images": ["<base64>", ...], "texts": ["...", ...]} (either may be absent,
//     not both; "inputs" is taken as texts when it is an array of strings or one string);
//   - JSON in OpenAI's shape: {"input": "..." or ["...", ...], "model": "...",
//     "encoding_format": "float"|"base64", "dimensions": N} (texts only; Request.OpenAI
//     set, and its errors are *openAIError, answered in OpenAI's error shape);
//   - multipart/form-data: file parts "image" (repeated) and fields "text" (repeated).
func DecodeEmbed(contentType string, body io.Reader, lim Limits) (*EmbedRequest, error) {
	mt, params, err := mediaType(contentType)
	if err != nil {
		return nil, err
	}
	req := &EmbedRequest{}
	switch {
	case mt == "" || mt == ctJSON || strings.HasSuffix(mt, "+json"):
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		var in embedJSON
		if err := strictJSON(b, &in); err != nil {
			return nil, err
		}
		if in.Input != nil {
			if req, err = decodeOpenAIEmbed(&in); err != nil {
				return nil, err
			}
			break
		}
		for i, s := range in.Images {
			img, u, err := decodeImageOrURL(s, fmt.Sprintf("images[%d]", i), lim.URLs)
			if err != nil {
				return nil, err
			}
			req.addImage(img, u)
		}
		req.Texts = in.Texts
		if len(in.Inputs) > 0 && string(in.Inputs) != "null" {
			var list []string
			var one string
			switch {
			case json.Unmarshal(in.Inputs, &list) == nil:
				req.Texts = append(req.Texts, list...)
			case json.Unmarshal(in.Inputs, &one) == nil:
				req.Texts = append(req.Texts, one)
			default:
				return nil, badRequest(`"inputs" must be a string or an array of strings (texts)`)
			}
		}
	case mt == ctMultipart:
		files, values, err := multipartForm(body, params["boundary"])
		if err != nil {
			return nil, err
		}
		for _, name := range []string{"image", "images", "image[]", "images[]"} {
			for _, f := range files[name] {
				req.addImage(f, "")
			}
			for _, v := range values[name] {
				img, u, err := decodeImageOrURL(v, name, lim.URLs)
				if err != nil {
					return nil, err
				}
				req.addImage(img, u)
			}
		}
		for _, name := range []string{"text", "texts", "text[]", "texts[]"} {
			req.Texts = append(req.Texts, values[name]...)
		}
	default:
		return nil, &RequestError{Status: 415, Reason: fmt.Sprintf("Content-Type %s is not accepted: send application/json or multipart/form-data", mt)}
	}
	if err := req.check(lim); err != nil {
		if req.OpenAI != nil {
			return nil, &openAIError{err: err, param: "input"}
		}
		return nil, err
	}
	return req, nil
}

// addImage appends an image sent inline (u "") or by URL.
func (req *EmbedRequest) addImage(img []byte, u string) {
	if u != "" && req.ImageURLs == nil {
		req.ImageURLs = make([]string, len(req.Images))
	}
	req.Images = append(req.Images, img)
	if req.ImageURLs != nil {
		req.ImageURLs = append(req.ImageURLs, u)
	}
}

func (req *EmbedRequest) check(lim Limits) error {
	switch {
	case len(req.Images) == 0 && len(req.Texts) == 0:
		return badRequest(`nothing to embed: send "images" (base64) and/or "texts"`)
	case lim.MaxImages > 0 && len(req.Images) > lim.MaxImages:
		return badRequest("%d images: at most %d per request", len(req.Images), lim.MaxImages)
	case lim.MaxTexts > 0 && len(req.Texts) > lim.MaxTexts:
		return badRequest("%d texts: at most %d per request", len(req.Texts), lim.MaxTexts)
	}
	for i, img := range req.Images {
		if len(img) == 0 && (req.ImageURLs == nil || req.ImageURLs[i] == "") {
			return emptyImage(fmt.Sprintf("image %d", i+1), "send the image file's content")
		}
	}
	for i, t := range req.Texts {
		if err := checkText(t, lim.MaxLabelBytes); err != nil {
			return badRequest("text %d: %v", i+1, err)
		}
	}
	return nil
}
