package hub

import (
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// These mirror huggingface_hub.constants (0.36.2). Each function reads the environment on
// every call (Python reads it once at import), so tests can change it with t.Setenv.
//
// As in Python, a variable that is set to the empty string counts as set (os.getenv returns
// "" rather than the default), except where Python uses `a or b`.

// DefaultEndpoint is the Hub used when neither Options.Endpoint nor HF_ENDPOINT is set.
const DefaultEndpoint = "https://huggingface.co"

// DefaultRevision is the branch used when Options.Revision is empty.
const DefaultRevision = "main"

// DefaultModel is the model the CLI resolves when --model is not given.
const DefaultModel = "openai/clip-vit-large-patch14"

// HFHome returns $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface,
// with ~ and $VARS expanded (constants.HF_HOME).
func HFHome() string {
	home, ok := os.LookupEnv("HF_HOME")
	if !ok {
		xdg, ok := os.LookupEnv("XDG_CACHE_HOME")
		if !ok {
			xdg = filepath.Join(expandUser("~"), ".cache")
		}
		home = filepath.Join(xdg, "huggingface")
	}
	return expandVars(expandUser(home))
}

// DefaultCacheDir returns the hub cache directory (constants.HF_HUB_CACHE): $HF_HUB_CACHE,
// else the legacy $HUGGINGFACE_HUB_CACHE, else HFHome()/hub; ~ and $VARS expanded.
func DefaultCacheDir() string {
	dir, ok := os.LookupEnv("HF_HUB_CACHE")
	if !ok {
		dir, ok = os.LookupEnv("HUGGINGFACE_HUB_CACHE")
		if !ok {
			dir = filepath.Join(HFHome(), "hub")
		}
	}
	return expandVars(expandUser(dir))
}

// EndpointFromEnv returns $HF_ENDPOINT (default https://huggingface.co) without trailing
// slashes (constants.ENDPOINT). HUGGINGFACE_CO_STAGING is not supported.
func EndpointFromEnv() string {
	ep, ok := os.LookupEnv("HF_ENDPOINT")
	if !ok {
		ep = DefaultEndpoint
	}
	return strings.TrimRight(ep, "/")
}

// OfflineFromEnv reports whether HF_HUB_OFFLINE (or, when that is unset or empty,
// TRANSFORMERS_OFFLINE) is one of 1, ON, YES, TRUE in any case (constants.HF_HUB_OFFLINE).
func OfflineFromEnv() bool {
	v := os.Getenv("HF_HUB_OFFLINE")
	if v == "" {
		v = os.Getenv("TRANSFORMERS_OFFLINE")
	}
	return isTrue(v)
}

// TokenFromEnv returns the token huggingface_hub would send implicitly: none when
// HF_HUB_DISABLE_IMPLICIT_TOKEN is true; else $HF_TOKEN, else $HUGGING_FACE_HUB_TOKEN, else
// the contents of $HF_TOKEN_PATH (default HFHome()/token). Newlines are removed and
// surrounding space trimmed; "" means no token.
func TokenFromEnv() string {
	if isTrue(os.Getenv("HF_HUB_DISABLE_IMPLICIT_TOKEN")) {
		return ""
	}
	return tokenFromEnvOrFile()
}

func tokenFromEnvOrFile() string {
	v := os.Getenv("HF_TOKEN")
	if v == "" {
		v = os.Getenv("HUGGING_FACE_HUB_TOKEN")
	}
	if t := cleanToken(v); t != "" {
		return t
	}
	return cleanToken(readTokenFile())
}

// TokenPath returns $HF_TOKEN_PATH, else HFHome()/token (constants.HF_TOKEN_PATH).
func TokenPath() string {
	p, ok := os.LookupEnv("HF_TOKEN_PATH")
	if !ok {
		p = filepath.Join(HFHome(), "token")
	}
	return expandVars(expandUser(p))
}

func readTokenFile() string {
	b, err := os.ReadFile(TokenPath())
	if err != nil {
		return ""
	}
	return string(b)
}

func cleanToken(t string) string {
	t = strings.ReplaceAll(t, "\r", "")
	t = strings.ReplaceAll(t, "\n", "")
	return strings.TrimSpace(t)
}

// isTrue is constants._is_true: value.upper() in {"1", "ON", "YES", "TRUE"}.
func isTrue(v string) bool {
	switch strings.ToUpper(v) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// envSeconds is `_as_int(os.environ.get(name)) or def` (an unparsable value, which makes
// Python fail at import, falls back to the default here).
func envSeconds(name string, def int) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(os.Getenv(name)))
	if err != nil || n == 0 {
		n = def
	}
	return time.Duration(n) * time.Second
}

// FromEnv returns Options filled the way huggingface_hub fills its defaults from the
// environment: Revision "main", CacheDir DefaultCacheDir(), Endpoint EndpointFromEnv(),
// Token TokenFromEnv(), Offline OfflineFromEnv(), and the HF_HUB_ETAG_TIMEOUT /
// HF_HUB_DOWNLOAD_TIMEOUT timeouts (10 s each by default). Resolve applies the same
// defaults to zero fields, so FromEnv is only needed to inspect or override them.
func FromEnv() Options {
	return Options{
		Revision:        DefaultRevision,
		CacheDir:        DefaultCacheDir(),
		Endpoint:        EndpointFromEnv(),
		Token:           TokenFromEnv(),
		Offline:         OfflineFromEnv(),
		EtagTimeout:     envSeconds("HF_HUB_ETAG_TIMEOUT", 10),
		DownloadTimeout: envSeconds("HF_HUB_DOWNLOAD_TIMEOUT", 10),
	}
}

// expandUser is os.path.expanduser (posix): "~" and "~/x" use $HOME (else the passwd
// entry), "~name/x" the passwd entry of name; anything else is returned unchanged.
func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		i = len(p)
	}
	var home string
	if i == 1 {
		if h, ok := os.LookupEnv("HOME"); ok {
			home = h
		} else if u, err := user.Current(); err == nil {
			home = u.HomeDir
		} else {
			return p
		}
	} else {
		u, err := user.Lookup(p[1:i])
		if err != nil {
			return p
		}
		home = u.HomeDir
	}
	if r := strings.TrimRight(home, "/") + p[i:]; r != "" {
		return r
	}
	return "/"
}

var varRE = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

// expandVars is os.path.expandvars (posix): $NAME and ${NAME} are replaced when NAME is set
// and left as they are otherwise.
func expandVars(p string) string {
	if !strings.Contains(p, "$") {
		return p
	}
	return varRE.ReplaceAllStringFunc(p, func(m string) string {
		name := m[1:]
		if strings.HasPrefix(name, "{") {
			name = name[1 : len(name)-1]
		}
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return m
	})
}
