package clip

import (
	"fmt"
	"strconv"
	"strings"
)

// AttnImplementation is CLIPAttention's implementation, transformers'
// config._attn_implementation: the same maths, other kernels, so other bits.
type AttnImplementation int

const (
	// AttnAuto picks what transformers picks (ResolveAttention): the config's
	// _attn_implementation when it names one, else eager on libtorch 2.1.0 (transformers
	// 4.54: its SDPA path needs torch >= 2.1.1) and SDPA on newer ones (transformers 5:
	// SDPA on every device).
	AttnAuto AttnImplementation = iota
	// AttnEager is eager_attention_forward: matmul · scale + mask, softmax in float32, matmul.
	AttnEager
	// AttnSDPA is sdpa_attention_forward: at::scaled_dot_product_attention, called as
	// transformers 5 calls it (boolean mask or none, is_causal, the Python scale).
	AttnSDPA
)

func (a AttnImplementation) String() string {
	switch a {
	case AttnAuto:
		return "auto"
	case AttnEager:
		return "eager"
	case AttnSDPA:
		return "sdpa"
	}
	return fmt.Sprintf("AttnImplementation(%d)", int(a))
}

// ParseAttnImplementation accepts "auto" (or ""), "eager" and "sdpa", as
// transformers spells them in attn_implementation.
func ParseAttnImplementation(s string) (AttnImplementation, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return AttnAuto, nil
	case "eager":
		return AttnEager, nil
	case "sdpa":
		return AttnSDPA, nil
	}
	return AttnAuto, fmt.Errorf("clip: unknown attention implementation %q (want auto, eager or sdpa)", s)
}

// DefaultAttention is what transformers picks with no attn_implementation anywhere,
// on libtorch torchVersion ("2.1.0", "2.11.0", "2.11.0+cu130"): eager below torch
// 2.1.1 (transformers 4.54 on 2.1.0; the newest transformers for it), SDPA from 2.1.1
// on (transformers >= 4.36 there, and 5.x always, on CPU and CUDA alike).
func DefaultAttention(torchVersion string) AttnImplementation {
	if versionLess(torchVersion, [3]int{2, 1, 1}) {
		return AttnEager
	}
	return AttnSDPA
}

// ResolveAttention decides the implementation for a model of config cfg on libtorch
// torchVersion, with the caller's choice req: req if it is not AttnAuto, else the
// config's attention key when it names one (what from_pretrained reads: on torch
// 2.1.0, where transformers 4.54 is the reference, only "_attn_implementation"; on
// newer ones, as transformers 5, "_attn_implementation" or else "attn_implementation"),
// else DefaultAttention. A config naming an implementation this package has not
// (flash_attention_2, flex_attention, ...) is a *ConfigError unless req overrides it.
// The second result says where the choice came from: "option", "config" or "default".
func ResolveAttention(req AttnImplementation, cfg *Config, torchVersion string) (AttnImplementation, string, error) {
	switch req {
	case AttnEager, AttnSDPA:
		return req, "option", nil
	case AttnAuto:
	default:
		return AttnAuto, "", fmt.Errorf("clip: %v: not an attention implementation", req)
	}
	key, v := "_attn_implementation", cfg.AttnImplementation
	if v == "" && !versionLess(torchVersion, [3]int{2, 1, 1}) {
		key, v = "attn_implementation", cfg.AttnImplementationKwarg
	}
	switch v {
	case "":
		return DefaultAttention(torchVersion), "default", nil
	case "eager":
		return AttnEager, "config", nil
	case "sdpa":
		return AttnSDPA, "config", nil
	}
	return AttnAuto, "", &ConfigError{Field: key, Err: ErrUnsupported,
		Reason: fmt.Sprintf("%q: this package has eager and sdpa (choose one with clip.Options.Attention or --attention)", v)}
}

// versionLess reports whether version (major.minor.patch, any "+local" or
// pre-release suffix ignored) is below min. An unparsable version is not below.
func versionLess(version string, min [3]int) bool {
	version, _, _ = strings.Cut(version, "+")
	parts := strings.SplitN(version, ".", 3)
	var v [3]int
	for i := range v {
		if i >= len(parts) {
			break
		}
		s := parts[i]
		if j := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
			s = s[:j]
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return false
		}
		v[i] = n
	}
	for i := range v {
		if v[i] != min[i] {
			return v[i] < min[i]
		}
	}
	return false
}
