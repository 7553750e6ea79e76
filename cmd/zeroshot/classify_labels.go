package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// parseLabelList splits --labels on commas, trimming spaces around each label; an
// empty item ("a,,b", a trailing comma) is an error, not silently dropped.
func parseLabelList(s string) ([]string, error) {
	parts := strings.Split(s, ",")
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = strings.TrimSpace(p)
		if out[i] == "" {
			return nil, fmt.Errorf("--labels %q: label %d is empty", s, i+1)
		}
	}
	return out, nil
}

// readLines reads a labels or templates file: one item per line, spaces around it
// trimmed; blank lines and lines starting with "#" are skipped; a UTF-8 BOM and CRLF
// line ends are accepted.
func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no lines (blank lines and # comments are skipped)", path)
	}
	return out, nil
}

// Above topKAutoLabels labels, --top-k defaults to topKAuto: a result per label and
// image is unreadable (and 4 MB of JSON per image at 100,000 labels). Up to it, the
// output is the pipeline's, all labels.
const (
	topKAutoLabels = 1000
	topKAuto       = 5
)

// labelSource are the flags that say what to classify against.
type labelSource struct {
	labels, labelsFile  string
	template, templates string
	allowDuplicates     bool
	topK                int
	topKSet             bool // --top-k was given (0 then means all labels)
}

// request builds the zeroshot.Request, checking what can be checked before the model is
// loaded: exactly one label source, at most one template source, templates with one {}.
// Duplicate, empty and over-long labels are checked against the tokenizer later (also a
// usage error).
func (s labelSource) request() (zeroshot.Request, error) {
	req := zeroshot.Request{TopK: s.topK, AllowDuplicates: s.allowDuplicates}
	var err error
	switch {
	case s.labels != "" && s.labelsFile != "":
		return req, fmt.Errorf("--labels and --labels-file are exclusive")
	case s.labels != "":
		req.Labels, err = parseLabelList(s.labels)
	case s.labelsFile != "":
		req.Labels, err = readLines(s.labelsFile)
		if err != nil {
			err = fmt.Errorf("--labels-file: %w", err)
		}
	default:
		return req, fmt.Errorf("no labels: give --labels a,b,c or --labels-file FILE")
	}
	if err != nil {
		return req, err
	}
	if s.topK < 0 {
		return req, fmt.Errorf("--top-k %d: want 0 (all labels) or more", s.topK)
	}
	if !s.topKSet && len(req.Labels) > topKAutoLabels {
		req.TopK = topKAuto
	}
	switch {
	case s.template != "" && s.templates != "":
		return req, fmt.Errorf("--template and --templates are exclusive")
	case s.template != "":
		req.Template = s.template
		req.Templates = nil
	case s.templates != "":
		if req.Templates, err = templateSet(s.templates); err != nil {
			return req, err
		}
	}
	for _, t := range append([]string{req.Template}, req.Templates...) {
		if t == "" {
			continue
		}
		if _, err := zeroshot.Format(t, "x"); err != nil {
			return req, err
		}
	}
	return req, nil
}

// templateSet is a built-in ensemble (imagenet80, simple7) or a file of templates.
func templateSet(name string) ([]string, error) {
	if t, err := zeroshot.Templates(name); err == nil {
		return t, nil
	}
	if _, err := os.Stat(name); err != nil {
		return nil, fmt.Errorf("--templates %q: not a built-in set (imagenet80, simple7) nor a readable file", name)
	}
	t, err := readLines(name)
	if err != nil {
		return nil, fmt.Errorf("--templates: %w", err)
	}
	return t, nil
}
