package serve

import (
	"net/http"
	"strings"
)

// The paths the API answers on. Clients are pointed at a server by a base URL and
// build the rest themselves: Hugging Face's InferenceClient posts the task payload to
// exactly the URL it is given as the model (an Inference Endpoint's root, a base URL
// ending in /v1, the hosted API's /models/<id>), OpenAI's client posts to
// <base_url>/embeddings. So the classification payload is taken at each of those, and
// a trailing slash never matters.

type route struct {
	method string
	name   string
	fn     func(http.ResponseWriter, *http.Request, clientKey) (int, error)
}

// taskSuffix is how the hosted API names a task after a model id.
const taskSuffix = "/pipeline/zero-shot-image-classification"

func (s *Server) routes(path string) (route, bool) {
	switch p := strings.TrimRight(path, "/"); p {
	case "", "/v1", "/v1/zero-shot-image-classification":
		return route{http.MethodPost, "classify", s.classify}, true
	case "/v1/embeddings", "/embeddings":
		return route{http.MethodPost, "embeddings", s.embeddings}, true
	case "/v1/models", "/models":
		return route{http.MethodGet, "models", s.models}, true
	case "/healthz":
		return route{http.MethodGet, "healthz", s.healthz}, true
	case "/readyz":
		return route{http.MethodGet, "readyz", s.readyz}, true
	case "/metrics":
		return route{http.MethodGet, "metrics", s.metricsHandler}, true
	default:
		if isModelPath(p) {
			return route{http.MethodPost, "classify", s.classify}, true
		}
	}
	return route{}, false
}

// isModelPath: the hosted API's model URL, /models/<id> (or the router's
// /hf-inference/models/<id>), optionally with /pipeline/zero-shot-image-classification.
// The id may hold slashes (openai/clip-vit-large-patch14) and is not checked: the
// server has one model, and its answers are that model's.
func isModelPath(p string) bool {
	p = strings.TrimPrefix(p, "/hf-inference")
	id, ok := strings.CutPrefix(p, "/models/")
	if !ok {
		return false
	}
	id = strings.TrimSuffix(id, taskSuffix)
	return id != "" && id[0] != '/' && !strings.Contains(id, "/pipeline/")
}
