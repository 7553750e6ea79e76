package clip

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// TestMain pins libtorch's CPU paths before the first op, as the goldens were made
// (golden.ReproEnv).
func TestMain(m *testing.M) { golden.Main(m) }

var fixtureModels = []string{"tiny-l14", "odd"}

const testdata = "../testdata"

func modelDir(name string) string { return filepath.Join("..", "testdata", "models", name) }

// goldenDir is the goldens of a fixture model for the libtorch this test links: the
// local ones of make parity where they exist (golden.Path), else the committed ones.
func goldenDir(t testing.TB, dir string) string {
	return golden.Path(t, testdata, "models/"+filepath.Base(dir)+"/golden"+golden.Suffix(torch.Version()))
}

// goldens holds one fixture model's golden inputs and outputs.
type goldens struct {
	dir    string
	pixels Pixels
	tokens Tokens
	tokMax Tokens // padded to max_position_embeddings
	f32    map[string]golden.Array
}

func loadGoldens(t testing.TB, dir string) *goldens {
	t.Helper()
	g := &goldens{dir: dir, f32: map[string]golden.Array{}}
	read := func(name string) *golden.Array {
		a, err := golden.Read(filepath.Join(dir, name+".npy"))
		require.NoError(t, err)
		return a
	}
	px := read("pixel_values")
	g.pixels = Pixels{Data: px.F32, Batch: px.Shape[0], Channels: px.Shape[1], Height: px.Shape[2], Width: px.Shape[3]}
	tokens := func(ids, mask string) Tokens {
		i, m := read(ids), read(mask)
		return Tokens{InputIDs: i.I64, AttentionMask: m.I64, Batch: i.Shape[0], Len: i.Shape[1]}
	}
	g.tokens = tokens("input_ids", "attention_mask")
	g.tokMax = tokens("input_ids_max", "attention_mask_max")
	for _, name := range []string{"image_embeds", "text_embeds", "image_features", "text_features",
		"logits_per_image", "logits_per_text", "logits_per_image_max"} {
		g.f32[name] = *read(name)
	}
	return g
}

// compare compares got with golden name and returns the report.
func (g *goldens) compare(t testing.TB, name string, got Matrix) golden.Report {
	t.Helper()
	want := g.f32[name]
	require.Equal(t, []int{want.Shape[0], want.Shape[1]}, []int{got.Rows, got.Cols}, name)
	r, err := golden.Compare(got.Data, want.F32)
	require.NoError(t, err)
	return r
}

// check is compare, failing t unless got lies within the golden's bound (golden.Check:
// bit for bit against local goldens, golden.CrossCPU ulps against committed ones).
func (g *goldens) check(t testing.TB, what, name string, got Matrix) golden.Report {
	t.Helper()
	want := g.f32[name]
	require.Equal(t, []int{want.Shape[0], want.Shape[1]}, []int{got.Rows, got.Cols}, name)
	return golden.Check(t, filepath.Join(g.dir, name+".npy"), what, got.Data, want.F32)
}

func skipWithoutFixtures(t testing.TB) {
	if _, err := os.Stat(modelDir("tiny-l14")); err != nil {
		t.Fatalf("testdata/models missing (they are committed; make fixtures regenerates them): %v", err)
	}
}
