package zeroshot

import (
	"fmt"
	"strings"
)

// DefaultTemplate is the pipeline's default hypothesis_template.
const DefaultTemplate = "This is a photo of {}."

// TemplateError says why a hypothesis template cannot be used.
type TemplateError struct {
	Template string
	Reason   string
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("template %q: %s", e.Template, e.Reason)
}

// Format fills template with label the way Python's template.format(label) does for
// the templates the pipeline can take: "{}" or "{0}" (any number of times for "{0}")
// is replaced by the label, "{{" and "}}" are literal braces, and braces inside the
// label stay literal. Where Python would raise (a second "{}", a named field, a
// lone "}") Format errors too; it also rejects a template without a placeholder,
// which Python accepts but which would give every label the same text.
func Format(template, label string) (string, error) {
	var b strings.Builder
	fields, auto, manual := 0, false, false
	bad := func(reason string) (string, error) {
		return "", &TemplateError{Template: template, Reason: reason}
	}
	for i := 0; i < len(template); i++ {
		c := template[i]
		switch {
		case c == '{' && i+1 < len(template) && template[i+1] == '{':
			b.WriteByte('{')
			i++
		case c == '}' && i+1 < len(template) && template[i+1] == '}':
			b.WriteByte('}')
			i++
		case c == '}':
			return bad("single '}' (write '}}' for a literal brace)")
		case c == '{':
			end := strings.IndexByte(template[i:], '}')
			if end < 0 {
				return bad("unclosed '{' (write '{{' for a literal brace)")
			}
			switch field := template[i+1 : i+end]; field {
			case "":
				if auto || manual {
					return bad("more than one '{}': the template takes exactly one label")
				}
				auto = true
			case "0":
				if auto {
					return bad("mixes '{}' and '{0}'")
				}
				manual = true
			default:
				return bad(fmt.Sprintf("field {%s}: only '{}' (or '{0}') is filled with the label", field))
			}
			fields++
			b.WriteString(label)
			i += end
		default:
			b.WriteByte(c)
		}
	}
	if fields == 0 {
		return bad("no '{}' placeholder for the label")
	}
	return b.String(), nil
}
