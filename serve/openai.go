package serve

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
)

// OpenAI's embeddings API, so that OpenAI's client and the tools built on it
// (LangChain, LlamaIndex, vector databases' importers) can use the server for CLIP
// text embeddings. It shares POST /v1/embeddings with the server's own schema
// ({"images", "texts"}): a JSON body with "input" is OpenAI's, and is answered in
// OpenAI's shape, errors included.

// OpenAIParams are the fields of an embeddings request in OpenAI's shape beyond its
// texts ("input").
type OpenAIParams struct {
	// Model is what the client asked for. It is not checked (the server has one
	// model); the answer names the model that answered.
	Model string
	// Base64 is encoding_format "base64": each embedding as the base64 of its
	// little-endian float32 bytes (OpenAI's client asks for it when the caller names no
	// format, and decodes it). Otherwise "float": a JSON array of numbers.
	Base64 bool
	// Dimensions is "dimensions", nil when not given. CLIP's embeddings are not
	// shortened: any value but the model's own is refused.
	Dimensions *int
}

// decodeOpenAIEmbed decodes a body that has "input"; mixing in the server's own
// fields is refused.
func decodeOpenAIEmbed(in *embedJSON) (*EmbedRequest, error) {
	if len(in.Images) > 0 || len(in.Texts) > 0 || len(in.Inputs) > 0 {
		return nil, openAIBad("input", `"input" (OpenAI's shape) cannot be combined with "images", "texts" or "inputs" (this server's shape): send one or the other`)
	}
	texts, err := openAIInput(in.Input)
	if err != nil {
		return nil, err
	}
	p := &OpenAIParams{Dimensions: in.Dimensions}
	if in.Model != nil {
		p.Model = *in.Model
	}
	if f := in.EncodingFormat; f != nil {
		switch *f {
		case "float":
		case "base64":
			p.Base64 = true
		default:
			return nil, openAIBad("encoding_format", fmt.Sprintf(`"encoding_format" %q: "float" or "base64"`, *f))
		}
	}
	if d := in.Dimensions; d != nil && *d < 1 {
		return nil, openAIBad("dimensions", fmt.Sprintf(`"dimensions" %d: must be at least 1`, *d))
	}
	return &EmbedRequest{Texts: texts, OpenAI: p}, nil
}

// openAIInput reads "input": a string or an array of strings. Token ids (an array of
// integers, or of arrays of them) are refused: they are another tokenizer's ids
// (tiktoken's, as LangChain's OpenAIEmbeddings sends by default), and CLIP has its own.
func openAIInput(raw json.RawMessage) ([]string, error) {
	if string(raw) == "null" {
		return nil, openAIBad("input", `"input" is null: send a string or an array of strings`)
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, openAIBad("input", `"input" must be a string or an array of strings`)
	}
	if len(list) == 0 {
		return nil, openAIBad("input", `"input" is an empty array: send at least one text`)
	}
	texts := make([]string, len(list))
	for i, item := range list {
		if err := json.Unmarshal(item, &texts[i]); err == nil && string(item) != "null" {
			continue
		}
		if c := item[0]; c == '[' || c == '-' || '0' <= c && c <= '9' {
			return nil, openAIBad("input", `"input" holds token ids: this server embeds texts with CLIP's own tokenizer, `+
				`send the texts themselves (with LangChain's OpenAIEmbeddings: check_embedding_ctx_length=False)`)
		}
		return nil, openAIBad("input", fmt.Sprintf(`"input"[%d] must be a string`, i))
	}
	return texts, nil
}

// openAIError is an error of a request in OpenAI's shape: it is answered as OpenAI
// answers, {"error": {"message", "type", "param", "code"}}, so that OpenAI's client
// fills its exception's param and type.
type openAIError struct {
	err   error
	param string
}

func (e *openAIError) Error() string { return e.err.Error() }
func (e *openAIError) Unwrap() error { return e.err }

func openAIBad(param, reason string) error {
	return &openAIError{err: &RequestError{Reason: reason}, param: param}
}

// asOpenAI marks err (nil stays nil) as a request in OpenAI's shape.
func asOpenAI(err error) error {
	var oe *openAIError
	if err == nil || errors.As(err, &oe) {
		return err
	}
	return &openAIError{err: err}
}

type openAIErrorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func newOpenAIErrorBody(oe *openAIError, msg string, code int) openAIErrorBody {
	var b openAIErrorBody
	b.Error.Message = msg
	b.Error.Type = "invalid_request_error"
	if code >= 500 {
		b.Error.Type = "server_error"
	}
	if oe.param != "" {
		b.Error.Param = &oe.param
	}
	return b
}

// The answer, in OpenAI's CreateEmbeddingResponse shape.
type openAIEmbedding struct {
	Object    string `json:"object"` // "embedding"
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"` // []float32, or a base64 string
}

type openAIUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

type openAIEmbedResponse struct {
	Object string            `json:"object"` // "list"
	Data   []openAIEmbedding `json:"data"`
	Model  string            `json:"model"`
	Usage  openAIUsage       `json:"usage"`
}

// writeOpenAIEmbeddings answers with rows (one per text, in order). Usage counts the
// tokens the text tower read: each text's CLIP tokens, start and end tokens included,
// padding not (as self-hosted OpenAI-compatible servers count, e.g. Hugging Face's
// text-embeddings-inference).
func (s *Server) writeOpenAIEmbeddings(w http.ResponseWriter, p *OpenAIParams, texts []string, rows [][]float32) {
	out := openAIEmbedResponse{Object: "list", Model: s.opts.ModelName, Data: make([]openAIEmbedding, len(rows))}
	for i, row := range rows {
		var e any = row
		if p.Base64 {
			e = float32Base64(row)
		}
		out.Data[i] = openAIEmbedding{Object: "embedding", Index: i, Embedding: e}
	}
	for _, ids := range s.c.Tokenizer.EncodeAll(texts) {
		out.Usage.PromptTokens += len(ids)
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	writeJSON(w, http.StatusOK, out)
}

// float32Base64 is OpenAI's base64 encoding: little-endian float32 bytes.
func float32Base64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// checkDimensions refuses a "dimensions" other than the model's.
func checkDimensions(p *OpenAIParams, dim int) error {
	if p.Dimensions == nil || *p.Dimensions == dim {
		return nil
	}
	return openAIBad("dimensions", fmt.Sprintf(`"dimensions" %d: this model's embeddings have %d dimensions and are not shortened; `+
		`omit "dimensions" or send %d`, *p.Dimensions, dim, dim))
}

// models answers GET /v1/models as OpenAI's API does, with the one model served.
func (s *Server) models(w http.ResponseWriter, r *http.Request, _ clientKey) (int, error) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []map[string]any{{
		"id": s.opts.ModelName, "object": "model", "created": s.metrics.started.Unix(), "owned_by": "zeroshot",
	}}})
	return http.StatusOK, nil
}
