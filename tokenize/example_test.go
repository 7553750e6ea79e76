package tokenize_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/zeroshot-clip/zeroshot/tokenize"
)

// The ids of each text, as `zeroshot tokenize TEXT...` prints them.
func ExampleTokenizer_EncodeAll() {
	tok, err := tokenize.Load("../testdata/tokenizer/clip")
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = json.NewEncoder(os.Stdout).Encode(tok.EncodeAll([]string{"a photo of a cat", "it's 2024"}))
	// Output:
	// [[49406,320,1125,539,320,2368,49407],[49406,585,568,273,271,273,275,49407]]
}

// The model's input for the pipeline's labels; a label over 77 tokens is an error.
func ExampleTokenizer_EncodeBatch() {
	tok, err := tokenize.Load("../testdata/tokenizer/clip")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := tok.EncodeBatch([]string{"a photo of a cat", "a photo of a dog."}, tokenize.Options{})
	fmt.Println(b.IDs, b.AttentionMask, err)

	_, err = tok.EncodeBatch([]string{strings.Repeat("cat ", 80)}, tokenize.Options{})
	var tooLong *tokenize.TooLongError
	fmt.Println(errors.As(err, &tooLong), tooLong.Tokens, tooLong.Max)
	// Output:
	// [[49406 320 1125 539 320 2368 49407 49407] [49406 320 1125 539 320 1929 269 49407]] [[1 1 1 1 1 1 1 0] [1 1 1 1 1 1 1 1]] <nil>
	// true 82 77
}
