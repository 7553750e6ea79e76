package clip

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What transformers picks, as measured with both oracles (testdata/gen and the issue's
// note): 4.54 on torch 2.1.0 reads only "_attn_implementation" (and refuses sdpa there);
// 5.x reads "_attn_implementation", else "attn_implementation", and ignores the towers'
// own keys; with none, eager below torch 2.1.1 and SDPA from it on, on every device.
func TestResolveAttention(t *testing.T) {
	cfg := func(under, plain string) *Config {
		return &Config{AttnImplementation: under, AttnImplementationKwarg: plain}
	}
	for _, tt := range []struct {
		name  string
		req   AttnImplementation
		cfg   *Config
		torch string
		want  AttnImplementation
		from  string
	}{
		{"2.1.0 default", AttnAuto, cfg("", ""), "2.1.0", AttnEager, "default"},
		{"2.11 default", AttnAuto, cfg("", ""), "2.11.0", AttnSDPA, "default"},
		{"2.1.1 default", AttnAuto, cfg("", ""), "2.1.1+cu121", AttnSDPA, "default"},
		{"2.11 cuda wheel", AttnAuto, cfg("", ""), "2.11.0+cu130", AttnSDPA, "default"},
		{"config eager", AttnAuto, cfg("eager", ""), "2.11.0", AttnEager, "config"},
		{"config sdpa on 2.1.0", AttnAuto, cfg("sdpa", ""), "2.1.0", AttnSDPA, "config"},
		{"kwarg key on 2.11", AttnAuto, cfg("", "eager"), "2.11.0", AttnEager, "config"},
		{"kwarg key ignored on 2.1.0", AttnAuto, cfg("", "sdpa"), "2.1.0", AttnEager, "default"},
		{"underscore wins", AttnAuto, cfg("sdpa", "eager"), "2.11.0", AttnSDPA, "config"},
		{"option wins", AttnEager, cfg("sdpa", ""), "2.11.0", AttnEager, "option"},
		{"option over unknown", AttnSDPA, cfg("flash_attention_2", ""), "2.11.0", AttnSDPA, "option"},
	} {
		got, from, err := ResolveAttention(tt.req, tt.cfg, tt.torch)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
		assert.Equal(t, tt.from, from, tt.name)
	}
	_, _, err := ResolveAttention(AttnAuto, cfg("flash_attention_2", ""), "2.11.0")
	var ce *ConfigError
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.Equal(t, "_attn_implementation", ce.Field)
	assert.ErrorIs(t, err, ErrUnsupported)
}

func TestParseConfigAttention(t *testing.T) {
	c, err := ParseConfig([]byte(`{"_attn_implementation": "eager", "attn_implementation": null}`))
	require.NoError(t, err)
	assert.Equal(t, "eager", c.AttnImplementation)
	assert.Equal(t, "", c.AttnImplementationKwarg)
	c, err = ParseConfig([]byte(`{"attn_implementation": {"text_config": "eager"}}`))
	require.NoError(t, err)
	_, _, err = ResolveAttention(AttnAuto, c, "2.11.0")
	assert.Error(t, err, "a per-tower dict is not something this package can follow")
	for _, s := range []string{"", "auto", "eager", "SDPA"} {
		_, err := ParseAttnImplementation(s)
		assert.NoError(t, err, s)
	}
	_, err = ParseAttnImplementation("flash")
	assert.Error(t, err)
}

// A config naming an implementation this package lacks fails Load with the config's
// path, unless Options.Attention chooses; the choice is in Info.
func TestLoadAttentionFromConfig(t *testing.T) {
	skipWithoutFixtures(t)
	dir := t.TempDir()
	withConfigKey(t, "odd", dir, `"_attn_implementation": "flex_attention",`)
	_, err := Load(dir, Options{Threads: 1})
	var ce *ConfigError
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.Contains(t, err.Error(), "config.json")
	assert.Contains(t, err.Error(), "flex_attention")
	m, err := Load(dir, Options{Threads: 1, Attention: AttnEager})
	require.NoError(t, err)
	assert.Equal(t, AttnEager, m.Attention())
	assert.Equal(t, "option", m.Info().Attention)
	require.NoError(t, m.Close())

	withConfigKey(t, "odd", dir, `"_attn_implementation": "eager",`)
	m, err = Load(dir, Options{Threads: 1})
	require.NoError(t, err)
	assert.Equal(t, AttnEager, m.Attention())
	assert.Equal(t, "config", m.Info().Attention)
	require.NoError(t, m.Close())
}

// withConfigKey writes into dir the fixture's config.json with key (a JSON member and a
// comma) inserted first, and links its weights.
func withConfigKey(t *testing.T, name, dir, key string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(modelDir(name), ConfigFile))
	require.NoError(t, err)
	i := bytes.IndexByte(b, '{')
	require.GreaterOrEqual(t, i, 0)
	cfg := append(append(append([]byte{}, b[:i+1]...), key...), b[i+1:]...)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), cfg, 0o644))
	st := filepath.Join(dir, SafetensorsFile)
	if _, err := os.Lstat(st); err != nil {
		abs, err := filepath.Abs(filepath.Join(modelDir(name), SafetensorsFile))
		require.NoError(t, err)
		require.NoError(t, os.Symlink(abs, st))
	}
}
