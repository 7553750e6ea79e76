package s3

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/s3test"
	"github.com/zeroshot-clip/zeroshot/source"
)

func isImage(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff":
		return true
	}
	return false
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "images", "files", name))
	require.NoError(t, err)
	return b
}

// Against a real S3-compatible server (SeaweedFS, started here): listings as a
// directory walk lists files, objects read byte for byte, and every failure an error
// naming the object and the reason; credentials through the standard chain.
func TestS3Store(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	srv.Bucket(t, "photos")
	jpg, png := fixture(t, "photo_chelsea.jpg"), fixture(t, "png_rgb.png")
	srv.Put(t, "photos", map[string][]byte{
		"cats/b.jpg":         jpg,
		"cats/a.PNG":         png,
		"cats/deep/c.jpg":    jpg,
		"cats/.thumbs/t.jpg": jpg,
		"cats/notes.txt":     []byte("not an image"),
		"cats2/d.jpg":        jpg,
		"page.jpg":           []byte("<html>moved</html>"),
		"big.png":            append(append([]byte{}, png...), make([]byte, 2<<20)...),
		"single":             png,
	}, 4)
	ctx := context.Background()
	st, err := New(ctx, Options{MaxBytes: 1 << 20})
	require.NoError(t, err)

	names := func(uri string) []string {
		srcs, err := st.Expand(ctx, uri, isImage)
		require.NoError(t, err, uri)
		return source.Names(srcs)
	}
	cats := []string{"s3://photos/cats/a.PNG", "s3://photos/cats/b.jpg", "s3://photos/cats/deep/c.jpg"}
	require.Equal(t, cats, names("s3://photos/cats/"))
	require.Equal(t, cats, names("s3://photos/cats"), "no such object: the prefix cats/ (not cats2/)")
	require.Equal(t, []string{"s3://photos/single"}, names("s3://photos/single"), "an object, whatever its name")
	require.Equal(t, append(append([]string{"s3://photos/big.png"}, cats...), "s3://photos/cats2/d.jpg", "s3://photos/page.jpg"), names("s3://photos"))

	for uri, msg := range map[string]string{
		"s3://photos/dogs/":   "s3://photos/dogs/: no image objects under s3://photos/dogs/",
		"s3://nosuchbucket/x": "s3://nosuchbucket/x: listing s3://nosuchbucket/x: HTTP 404 Not Found (NoSuchBucket",
		"s3:///x":             "s3:///x: no bucket",
	} {
		_, err := st.Expand(ctx, uri, isImage)
		require.ErrorContains(t, err, msg, uri)
	}

	read := func(uri string) ([]byte, error) {
		o, err := st.Object(uri)
		require.NoError(t, err)
		return o.Read(ctx)
	}
	b, err := read("s3://photos/cats/b.jpg")
	require.NoError(t, err)
	require.Equal(t, jpg, b)
	for uri, want := range map[string]struct {
		kind source.Kind
		msg  string
	}{
		"s3://photos/cats/missing.jpg": {source.KindStatus, "s3://photos/cats/missing.jpg: HTTP 404 Not Found (NoSuchKey"},
		"s3://photos/big.png":          {source.KindTooLarge, "over the limit of 1048576"},
		"s3://photos/page.jpg":         {source.KindNotImage, `not an image (Content-Type "`},
		"s3://photos/cats/notes.txt":   {source.KindNotImage, `the object starts "not an image"`},
	} {
		_, err := read(uri)
		var se *source.Error
		require.ErrorAs(t, err, &se, uri)
		require.Equal(t, want.kind, se.Kind, "%s: %v", uri, err)
		require.Contains(t, err.Error(), want.msg)
	}
	_, err = st.Object("s3://photos/cats/")
	require.ErrorContains(t, err, "names a prefix, not an object")

	// Wrong keys: the server's refusal, named.
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-0123456789")
	bad, err := New(ctx, Options{})
	require.NoError(t, err)
	_, err = bad.Expand(ctx, "s3://photos/cats/", isImage)
	require.ErrorContains(t, err, "HTTP 403 Forbidden")

	// The shared credentials file and a profile, as the aws CLI reads them.
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(creds, []byte("[test]\naws_access_key_id = "+s3test.AccessKey+"\naws_secret_access_key = "+s3test.SecretKey+"\n"), 0o600))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_PROFILE", "test")
	byProfile, err := New(ctx, Options{})
	require.NoError(t, err)
	srcs, err := byProfile.Expand(ctx, "s3://photos/cats/", isImage)
	require.NoError(t, err)
	b, err = srcs[0].Read(ctx)
	require.NoError(t, err)
	require.Equal(t, png, b)
}

func TestParseURI(t *testing.T) {
	for s, want := range map[string][2]string{
		"s3://b":          {"b", ""},
		"s3://b/":         {"b", ""},
		"S3://b/a/b.jpg":  {"b", "a/b.jpg"},
		"s3://b/prefix/":  {"b", "prefix/"},
		"s3://b/a b/c.jp": {"b", "a b/c.jp"},
	} {
		b, k, err := ParseURI(s)
		require.NoError(t, err, s)
		require.Equal(t, want, [2]string{b, k}, s)
	}
	for _, s := range []string{"s3://", "s3:///k", "http://b/k"} {
		_, _, err := ParseURI(s)
		require.Error(t, err, s)
	}
	require.True(t, IsURI("S3://x"))
	require.False(t, IsURI("s3:/x"))
}
