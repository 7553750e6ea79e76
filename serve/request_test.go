package serve

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeImageString(t *testing.T) {
	data := []byte("\x89PNG\r\n\x1a\n\x00\x01\x02\xfe\xff")
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(data),
		base64.RawStdEncoding.EncodeToString(data),
		base64.URLEncoding.EncodeToString(data),
		base64.RawURLEncoding.EncodeToString(data),
		"data:image/png;base64," + base64.StdEncoding.EncodeToString(data),
		"  " + base64.StdEncoding.EncodeToString(data)[:8] + "\r\n" + base64.StdEncoding.EncodeToString(data)[8:] + "\n",
	} {
		got, err := decodeImageString(s, "inputs")
		require.NoError(t, err, s)
		assert.Equal(t, data, got, s)
	}
	for _, s := range []string{"", "   ", "http://x/y.png", "HTTPS://x", "data:image/png,abc", "a", "!!!!", "QQ=Q"} {
		_, err := decodeImageString(s, "inputs")
		var re *RequestError
		assert.ErrorAs(t, err, &re, "%q", s)
	}
}

func TestDecodeClassifyShapes(t *testing.T) {
	img := base64.StdEncoding.EncodeToString([]byte("GIF89a"))
	req, err := DecodeClassify("application/json", strings.NewReader(
		`{"inputs":"`+img+`","parameters":{"candidate_labels":" cat , dog ","hypothesis_template":"{} here","top_k":1},"options":{"wait_for_model":true}}`), nil, Limits{})
	require.NoError(t, err)
	assert.Equal(t, []string{"cat", "dog"}, req.Labels)
	assert.Equal(t, "{} here", req.Template)
	assert.Equal(t, 1, req.TopK)
	assert.Equal(t, []byte("GIF89a"), req.Image)

	q, _ := url.ParseQuery("candidate_labels=a&candidate_labels=b,c&top_k=2")
	req, err = DecodeClassify("image/gif", strings.NewReader("GIF89a"), q, Limits{})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b,c"}, req.Labels, "repeated fields are one label each")
	assert.Equal(t, 2, req.TopK)

	_, err = DecodeClassify("application/json", strings.NewReader(`{"inputs":"`+img+`","parameters":{"candidate_labels":["a","b","c"]}}`), nil, Limits{MaxLabels: 2})
	assert.ErrorContains(t, err, "at most 2")
	_, err = DecodeClassify("application/json", strings.NewReader(`{"inputs":"`+img+`","parameters":{"candidate_labels":["a"]}} {}`), nil, Limits{})
	assert.ErrorContains(t, err, "after the request object")
	_, err = DecodeClassify("text/plain", strings.NewReader(""), nil, Limits{})
	assert.Equal(t, 415, status(err))
	_, err = DecodeClassify("multipart/form-data; boundary=\"", strings.NewReader(""), nil, Limits{})
	assert.Equal(t, 415, status(err))
}

func TestDecodeEmbed(t *testing.T) {
	img := base64.StdEncoding.EncodeToString([]byte("GIF89a"))
	req, err := DecodeEmbed("application/json", strings.NewReader(`{"images":["`+img+`"],"texts":["a"],"inputs":["b","c"]}`), Limits{})
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte("GIF89a")}, req.Images)
	assert.Equal(t, []string{"a", "b", "c"}, req.Texts)
	req, err = DecodeEmbed("", strings.NewReader(`{"inputs":"one text"}`), Limits{})
	require.NoError(t, err)
	assert.Equal(t, []string{"one text"}, req.Texts)
	_, err = DecodeEmbed("application/json", strings.NewReader(`{"images":["`+img+`","`+img+`"]}`), Limits{MaxImages: 1})
	assert.ErrorContains(t, err, "at most 1")
	_, err = DecodeEmbed("application/json", strings.NewReader(`{"inputs":3}`), Limits{})
	assert.Equal(t, 400, status(err))
}
