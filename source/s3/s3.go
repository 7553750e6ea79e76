// Package s3 reads images from Amazon S3 and S3-compatible object stores (SeaweedFS,
// Ceph RGW, MinIO, R2, GCS's XML API…) as sources: s3://bucket/key is one object,
// s3://bucket/prefix/ every image object under the prefix, in key order.
//
// It goes through the AWS SDK for Go v2 with its standard configuration chain, as the
// aws CLI does: credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and
// AWS_SESSION_TOKEN), AWS_PROFILE and the shared config and credentials files (SSO
// included), web identity (Kubernetes service accounts, IRSA), the container and EC2
// instance metadata endpoints; the region from AWS_REGION or the profile (us-east-1 if
// none). Another S3-compatible server is named by AWS_ENDPOINT_URL_S3 (or
// AWS_ENDPOINT_URL, or endpoint_url in the profile); with such an endpoint requests are
// path-style (http://host/bucket/key), which every S3-compatible server accepts, unless
// ZEROSHOT_S3_ADDRESSING=virtual.
//
// A package of its own so that the AWS SDK is compiled only into programs that import
// it (the zeroshot command does); the zeroshot library does not.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/zeroshot-clip/zeroshot/preprocess"
	"github.com/zeroshot-clip/zeroshot/source"
)

// Scheme starts the sources this package reads.
const Scheme = "s3://"

// IsURI reports whether s is an s3:// URI.
func IsURI(s string) bool {
	return len(s) >= len(Scheme) && strings.EqualFold(s[:len(Scheme)], Scheme)
}

// ParseURI splits s3://bucket/key into its bucket and key ("" for the bucket itself).
func ParseURI(s string) (bucket, key string, err error) {
	if !IsURI(s) {
		return "", "", fmt.Errorf("%s: not an s3:// URI", s)
	}
	bucket, key, _ = strings.Cut(s[len(Scheme):], "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%s: no bucket (want s3://bucket/key or s3://bucket/prefix/)", s)
	}
	return bucket, key, nil
}

// Options configure a Store.
type Options struct {
	MaxBytes int64         // per object; 0: source.DefaultMaxBytes; < 0: none
	Timeout  time.Duration // per object read, retries included; 0: source.DefaultTimeout; < 0: none
	// Client overrides the client made from the standard chain (tests, special setups).
	Client *awss3.Client
}

// Store lists and reads objects. Safe for concurrent use.
type Store struct {
	client   *awss3.Client
	maxBytes int64
	timeout  time.Duration
}

// New makes a Store with the standard configuration chain (see the package comment).
// Credentials are not fetched until the first request.
func New(ctx context.Context, opts Options) (*Store, error) {
	st := &Store{client: opts.Client, maxBytes: opts.MaxBytes, timeout: opts.Timeout}
	if st.maxBytes == 0 {
		st.maxBytes = source.DefaultMaxBytes
	}
	switch {
	case st.timeout == 0:
		st.timeout = source.DefaultTimeout
	case st.timeout < 0:
		st.timeout = 0
	}
	if st.client != nil {
		return st, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3: AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	virtual := strings.EqualFold(os.Getenv("ZEROSHOT_S3_ADDRESSING"), "virtual")
	st.client = awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if o.BaseEndpoint != nil && !virtual {
			o.UsePathStyle = true
		}
		// Objects uploaded without checksums are the norm for photo collections: check
		// what the server sends when it sends one, and say nothing when it does not.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return st, nil
}

// Object is one object as a source.
type Object struct {
	Bucket, Key string
	st          *Store
}

// Object returns the source of s3://bucket/key, without a request.
func (st *Store) Object(uri string) (Object, error) {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return Object{}, err
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return Object{}, fmt.Errorf("%s: names a prefix, not an object", uri)
	}
	return Object{Bucket: bucket, Key: key, st: st}, nil
}

// Name is s3://bucket/key.
func (o Object) Name() string { return Scheme + o.Bucket + "/" + o.Key }

// Read gets the object: its bytes, which must be an image no larger than the Store's
// MaxBytes. Errors are *source.Error naming the object.
func (o Object) Read(ctx context.Context) ([]byte, error) {
	parent := ctx
	if o.st.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.st.timeout)
		defer cancel()
	}
	out, err := o.st.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: &o.Bucket, Key: &o.Key})
	if err != nil {
		return nil, o.st.fail(parent, ctx, o.Name(), err)
	}
	defer out.Body.Close()
	limit := o.st.maxBytes
	if limit >= 0 && out.ContentLength != nil && *out.ContentLength > limit {
		return nil, &source.Error{Source: o.Name(), Kind: source.KindTooLarge,
			Reason: fmt.Sprintf("%d bytes, over the limit of %d", *out.ContentLength, limit)}
	}
	r := io.Reader(out.Body)
	if limit >= 0 {
		r = io.LimitReader(out.Body, limit+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, o.st.fail(parent, ctx, o.Name(), err)
	}
	switch {
	case limit >= 0 && int64(len(b)) > limit:
		return nil, &source.Error{Source: o.Name(), Kind: source.KindTooLarge, Reason: fmt.Sprintf("more than %d bytes, the limit", limit)}
	case len(b) == 0:
		return nil, &source.Error{Source: o.Name(), Kind: source.KindNotImage, Reason: "an empty object"}
	case preprocess.Sniff(b) == "":
		ct := ""
		if out.ContentType != nil {
			ct = *out.ContentType
		}
		return nil, &source.Error{Source: o.Name(), Kind: source.KindNotImage,
			Reason: fmt.Sprintf("not an image (Content-Type %q; the object starts %q)", ct, head(b))}
	}
	return b, nil
}

// fail turns an SDK error into a *source.Error (or the caller's own ctx error).
func (st *Store) fail(parent, ctx context.Context, name string, err error) error {
	if parent.Err() != nil {
		return parent.Err()
	}
	if ctx.Err() != nil {
		return &source.Error{Source: name, Kind: source.KindTimeout, Reason: fmt.Sprintf("no complete answer within %s", st.timeout), Err: err}
	}
	e := &source.Error{Source: name, Kind: source.KindRead, Reason: err.Error(), Err: err}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.Kind, e.Status = source.KindStatus, re.HTTPStatusCode()
		e.Reason = fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
		var api smithy.APIError
		if errors.As(err, &api) {
			e.Reason += fmt.Sprintf(" (%s: %s)", api.ErrorCode(), api.ErrorMessage())
		}
	}
	return e
}

// Expand lists what uri names, as a directory argument is walked: s3://bucket/key is
// that object (whatever its name) if it exists; s3://bucket, s3://bucket/prefix/ and
// s3://bucket/key when no object has that key (then as key/) are every object under
// the prefix whose name has an image extension (isImage), skipping names with a part
// that starts with "." below the prefix, sorted by key (byte order). Nothing to
// classify is an error naming uri.
func (st *Store) Expand(ctx context.Context, uri string, isImage func(name string) bool) ([]source.Source, error) {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	prefix := key
	if key != "" && !strings.HasSuffix(key, "/") {
		first, err := st.list(ctx, uri, bucket, key, 1)
		if err != nil {
			return nil, err
		}
		if len(first) == 1 && first[0] == key {
			return []source.Source{Object{Bucket: bucket, Key: key, st: st}}, nil
		}
		prefix = key + "/"
	}
	keys, err := st.list(ctx, uri, bucket, prefix, 0)
	if err != nil {
		return nil, err
	}
	var out []source.Source
	for _, k := range keys {
		if hidden(strings.TrimPrefix(k, prefix)) || strings.HasSuffix(k, "/") || !isImage(path.Base(k)) {
			continue
		}
		out = append(out, Object{Bucket: bucket, Key: k, st: st})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no image objects under %s%s/%s", uri, Scheme, bucket, prefix)
	}
	return out, nil
}

// list returns the keys under prefix in key order: all of them, or the first max.
func (st *Store) list(ctx context.Context, uri, bucket, prefix string, max int32) ([]string, error) {
	in := &awss3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix}
	if max > 0 {
		in.MaxKeys = &max
	}
	var keys []string
	p := awss3.NewListObjectsV2Paginator(st.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			e := st.fail(ctx, ctx, uri, err)
			var se *source.Error
			if errors.As(e, &se) {
				se.Reason = "listing " + Scheme + bucket + "/" + prefix + ": " + se.Reason
			}
			return nil, e
		}
		for _, o := range page.Contents {
			if o.Key != nil {
				keys = append(keys, *o.Key)
			}
		}
		if max > 0 {
			break
		}
	}
	sort.Strings(keys) // S3 lists in UTF-8 byte order already; other servers may not
	return keys, nil
}

// hidden: a name with a part that starts with ".", as a directory walk skips.
func hidden(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

func head(b []byte) string {
	const n = 24
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
