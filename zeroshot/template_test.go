package zeroshot

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected values are what Python's str.format gives (or whether it raises).
func TestFormatLikePython(t *testing.T) {
	ok := []struct{ tmpl, label, want string }{
		{DefaultTemplate, "cat", "This is a photo of cat."},
		{"{}", "a {b} c", "a {b} c"},
		{"{{literal}} {}", "x", "{literal} x"},
		{"{0} and {0}", "owl", "owl and owl"},
		{"a photo of a {}.", "", "a photo of a ."},
		{"}}{}{{", "y", "}y{"},
	}
	for _, c := range ok {
		got, err := Format(c.tmpl, c.label)
		require.NoError(t, err, c.tmpl)
		assert.Equal(t, c.want, got, c.tmpl)
	}
	bad := []string{
		"{} and {}",      // IndexError in Python
		"{name}",         // KeyError
		"a } b {}",       // ValueError: Single '}'
		"a { b",          // ValueError: unclosed
		"{} {0}",         // ValueError: cannot switch numbering
		"no placeholder", // accepted by Python, rejected here
		"{1}",            // IndexError
		"{:>10}",         // format spec: not supported
	}
	for _, tmpl := range bad {
		_, err := Format(tmpl, "x")
		var te *TemplateError
		assert.True(t, errors.As(err, &te), "%q should be rejected", tmpl)
	}
}

func TestTemplateSets(t *testing.T) {
	assert.Len(t, ImageNet80, 80)
	assert.Len(t, Simple7, 7)
	for name, set := range TemplateSets {
		for _, tmpl := range set {
			_, err := Format(tmpl, "x")
			assert.NoError(t, err, "%s: %q", name, tmpl)
		}
	}
	set, err := Templates("imagenet80")
	require.NoError(t, err)
	assert.Equal(t, "a bad photo of a {}.", set[0])
	_, err = Templates("nope")
	assert.Error(t, err)
}
