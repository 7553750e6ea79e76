package tokenize

import "fmt"

// TooLongError reports a text whose ids (special tokens included) exceed the limit.
type TooLongError struct {
	Index  int    // position of the text in the batch
	Text   string // the text, as given
	Tokens int    // its number of ids, special tokens included
	Max    int    // the limit: model_max_length unless Options.MaxLength says otherwise
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("tokenize %q: %d tokens, more than the %d the model takes (truncation is opt-in)",
		e.Text, e.Tokens, e.Max)
}
