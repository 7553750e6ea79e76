package serve

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/source"
	"github.com/zeroshot-clip/zeroshot/tokenize"
	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// Errors the queue answers with.
var (
	// ErrOverloaded: the queue is full (HTTP 503 with Retry-After).
	ErrOverloaded = errors.New("server overloaded: the request queue is full, retry later")
	// ErrShuttingDown: the server is draining for shutdown (HTTP 503 with Retry-After).
	ErrShuttingDown = errors.New("server shutting down")
)

func isBodyLimit(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// status maps an error to the HTTP status the server answers with.
func status(err error) int {
	var (
		re *RequestError
		le *zeroshot.LabelError
		te *zeroshot.TemplateError
		ie *preprocess.ImageError
		tl *tokenize.TooLongError
		mb *http.MaxBytesError
		ae *AuthError
		se *source.Error
	)
	switch {
	case errors.As(err, &se):
		return fetchStatus(se.Kind)
	case errors.As(err, &ae):
		return http.StatusUnauthorized
	case errors.Is(err, ErrClientShare):
		return http.StatusTooManyRequests
	case errors.As(err, &re):
		if re.Status != 0 {
			return re.Status
		}
		return http.StatusBadRequest
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &le), errors.As(err, &te), errors.As(err, &tl):
		return http.StatusBadRequest
	case errors.As(err, &ie):
		if ie.Kind == preprocess.KindTooLarge {
			return http.StatusRequestEntityTooLarge
		}
		return http.StatusUnprocessableEntity // an empty file too: see emptyImage
	case errors.Is(err, ErrOverloaded), errors.Is(err, ErrShuttingDown):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		return 499 // the client went away (nginx's code); nobody reads it
	}
	return http.StatusInternalServerError
}

// fetchStatus is the answer to a request whose image URL could not be fetched: the
// client's mistake (a host not allowed, a bad URL, not an image, too large), or the
// other server's failure as a gateway reports it (502, 504).
func fetchStatus(k source.Kind) int {
	switch k {
	case source.KindNotAllowed, source.KindBadSource:
		return http.StatusBadRequest
	case source.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case source.KindNotImage:
		return http.StatusUnprocessableEntity
	case source.KindTimeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// message is what the error body says: the error itself for the client's mistakes,
// a fixed text for a timeout, and the error for the rest (it names no secrets: the
// server's errors are about the model and inputs).
func message(err error, code int) string {
	switch code {
	case http.StatusGatewayTimeout:
		var se *source.Error
		if errors.As(err, &se) {
			return se.Error()
		}
		return "request timed out before the model answered"
	case http.StatusRequestEntityTooLarge:
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return "request body over " + strconv.FormatInt(mb.Limit, 10) + " bytes"
		}
	}
	return err.Error()
}

// errorBody is the Inference API's error shape.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, err error) int {
	code := status(err)
	switch code {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
	case http.StatusUnauthorized:
		var ae *AuthError
		errors.As(err, &ae)
		w.Header().Set("WWW-Authenticate", ae.wwwAuthenticate())
	}
	var oe *openAIError
	if errors.As(err, &oe) {
		writeJSON(w, code, newOpenAIErrorBody(oe, message(err, code), code))
		return code
	}
	writeJSON(w, code, errorBody{Error: message(err, code)})
	return code
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"error":"cannot encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
