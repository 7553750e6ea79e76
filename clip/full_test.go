package clip

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zeroshot-clip/zeroshot/internal/golden"
	"github.com/zeroshot-clip/zeroshot/internal/torch"
)

// The full-size random ViT-L/14 that `make fixtures-full` writes (testdata/gen/full.py),
// against transformers' goldens at the same thread count, with load times and peak
// RSS. `make parity-full` runs it:
//
//	ZEROSHOT_FULL_MODEL=~/.cache/zeroshot-clip/full-l14 go test -run TestFullModel -v ./clip/
//
// Each configuration runs in a fresh child process (this test binary re-executed), so
// its VmHWM is the peak RSS of process start + Load + one Forward, as Python's is
// measured (full.py --measure, re-run here when ORACLE_PY is set).

const fullEnv, childEnv = "ZEROSHOT_FULL_MODEL", "ZEROSHOT_FULL_CHILD"

type fullIndex struct {
	Meta   map[string]any `json:"meta"`
	Python pyStats        `json:"python"`
}

type pyStats struct {
	PeakRSS  int64   `json:"peak_rss"`
	Before   int64   `json:"rss_before_load"`
	LoadS    float64 `json:"load_seconds"`
	ForwardS float64 `json:"forward_seconds"`
}

type childSpec struct {
	Path, DType, Golden, Out, Attention string
	Inputs                              string // the goldens holding the inputs (default Golden)
	Threads                             int
}

type childResult struct {
	LoadS, ForwardS float64
	PeakRSS, RSS    int64
	InPlace, Total  int
	Reports         map[string]golden.Report
	Bf16Reports     map[string]golden.Report
}

var fullOutputs = []string{"image_embeds", "text_embeds", "logits_per_image", "logits_per_text"}

func TestFullModelParity(t *testing.T) {
	dir := os.Getenv(fullEnv)
	if dir == "" {
		t.Skipf("%s is not set: the full-size model lives outside git (make parity-full builds it)", fullEnv)
	}
	gdir := filepath.Join(dir, "golden"+golden.Suffix(torch.Version())) // made on this machine by make fixtures-full
	var idx fullIndex
	b, err := os.ReadFile(filepath.Join(gdir, "index.json"))
	require.NoError(t, err, "run make fixtures-full")
	require.NoError(t, json.Unmarshal(b, &idx))
	threads := int(idx.Meta["torch_threads"].(float64))

	tmp := t.TempDir()
	convert := func(dt DType) (string, time.Duration) {
		out := filepath.Join(tmp, "model."+dt.String()+".safetensors")
		start := time.Now()
		require.NoError(t, Convert(dir, out, dt))
		return out, time.Since(start)
	}
	conv32, t32 := convert(Float32)
	conv16, t16 := convert(BFloat16)
	t.Logf("Convert: float32 %.1fs, bfloat16 %.1fs", t32.Seconds(), t16.Seconds())

	type run struct{ name, path, dtype, attn, golden string }
	runs := []run{
		{"safetensors fp32", filepath.Join(dir, SafetensorsFile), "float32", "eager", gdir},
		{"bin fp32", filepath.Join(dir, PickleFile), "float32", "eager", gdir},
		{"converted fp32", conv32, "float32", "eager", gdir},
		{"safetensors→bf16", filepath.Join(dir, SafetensorsFile), "bfloat16", "eager", gdir},
		{"converted bf16", conv16, "bfloat16", "eager", gdir},
	}
	// transformers 5's default attention (full.py writes golden<suffix>/sdpa/ on the "5"
	// oracle; libtorch 2.1.0 has none: transformers 4.54 runs eager there).
	if sdpa := filepath.Join(gdir, "sdpa"); fileExists(filepath.Join(sdpa, "index.json")) {
		runs = append(runs,
			run{"safetensors fp32 sdpa", filepath.Join(dir, SafetensorsFile), "float32", "sdpa", sdpa},
			run{"converted fp32 sdpa", conv32, "float32", "sdpa", sdpa},
			run{"safetensors→bf16 sdpa", filepath.Join(dir, SafetensorsFile), "bfloat16", "sdpa", sdpa})
	} else {
		t.Logf("no SDPA goldens in %s (make fixtures-full ORACLE=5, or full.py --sdpa): eager only", sdpa)
	}
	weights := int64(0)
	if st, err := os.Stat(filepath.Join(dir, SafetensorsFile)); err == nil {
		weights = st.Size()
	}
	gb := func(b int64) string { return fmt.Sprintf("%.2f GB", float64(b)/1e9) }
	var report []string
	for _, r := range runs {
		res := runChild(t, childSpec{Path: r.path, DType: r.dtype, Golden: r.golden, Inputs: gdir, Attention: r.attn, Threads: threads, Out: filepath.Join(tmp, "result.json")})
		report = append(report, fmt.Sprintf("%-18s load %6.2fs  forward %6.2fs  peak RSS %s (%.2f× weights)  in place %d/%d",
			r.name, res.LoadS, res.ForwardS, gb(res.PeakRSS), float64(res.PeakRSS)/float64(weights), res.InPlace, res.Total))
		for _, name := range fullOutputs {
			report = append(report, fmt.Sprintf("    vs fp32 goldens %-17s %s", name, res.Reports[name]))
			if rep, ok := res.Bf16Reports[name]; ok {
				report = append(report, fmt.Sprintf("    vs bf16 goldens %-17s %s", name, rep))
			}
		}
		lpi := res.Reports["logits_per_image"]
		if r.dtype == "float32" {
			assert.LessOrEqual(t, lpi.MaxAbs, 1e-4, "%s: logits_per_image", r.name)
			assert.LessOrEqual(t, float64(res.PeakRSS), 1.3*float64(weights), "%s: peak RSS over 1.3× the weights", r.name)
		}
	}
	py := idx.Python
	if oracle := os.Getenv("ORACLE_PY"); oracle != "" {
		if out, err := exec.Command(oracle, filepath.Join("..", "testdata", "gen", "full.py"), "--measure", dir).Output(); err == nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			_ = json.Unmarshal([]byte(lines[len(lines)-1]), &py)
		} else {
			t.Logf("re-measuring Python failed (%v); using index.json", err)
		}
	}
	report = append(report, fmt.Sprintf("%-18s load %6.2fs  forward %6.2fs  peak RSS %s (%.2f× weights; %s before from_pretrained)",
		"transformers fp32", py.LoadS, py.ForwardS, gb(py.PeakRSS), float64(py.PeakRSS)/float64(weights), gb(py.Before)))
	t.Logf("full-size random ViT-L/14 (%s of fp32 weights), %d thread(s):\n%s", gb(weights), threads, strings.Join(report, "\n"))
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func runChild(t *testing.T, spec childSpec) childResult {
	js, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^TestFullModelChild$", "-test.count=1")
	cmd.Env = append(golden.WithoutRepro(os.Environ()), childEnv+"="+string(js))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child %s: %s", spec.Path, out)
	var res childResult
	b, err := os.ReadFile(spec.Out)
	require.NoError(t, err, "child output: %s", out)
	require.NoError(t, json.Unmarshal(b, &res))
	return res
}

// TestFullModelChild is one measured run, in its own process (see TestFullModelParity).
func TestFullModelChild(t *testing.T) {
	js := os.Getenv(childEnv)
	if js == "" {
		t.Skip("runs only as a child of TestFullModelParity")
	}
	var spec childSpec
	require.NoError(t, json.Unmarshal([]byte(js), &spec))
	dt, err := ParseDType(spec.DType)
	require.NoError(t, err)
	attn, err := ParseAttnImplementation(spec.Attention)
	require.NoError(t, err)
	read := func(sub, name string) *golden.Array {
		a, err := golden.Read(filepath.Join(spec.Golden, sub, name+".npy"))
		require.NoError(t, err)
		return a
	}
	in := func(name string) *golden.Array {
		dir := spec.Inputs
		if dir == "" {
			dir = spec.Golden
		}
		a, err := golden.Read(filepath.Join(dir, name+".npy"))
		require.NoError(t, err)
		return a
	}
	px, ids, mask := in("pixel_values"), in("input_ids"), in("attention_mask")
	pixels := Pixels{Data: px.F32, Batch: px.Shape[0], Channels: px.Shape[1], Height: px.Shape[2], Width: px.Shape[3]}
	tokens := Tokens{InputIDs: ids.I64, AttentionMask: mask.I64, Batch: ids.Shape[0], Len: ids.Shape[1]}

	start := time.Now()
	m, err := Load(spec.Path, Options{DType: dt, Threads: spec.Threads, Attention: attn})
	require.NoError(t, err)
	loaded := time.Now()
	out, err := m.Forward(pixels, tokens)
	require.NoError(t, err)
	res := childResult{LoadS: loaded.Sub(start).Seconds(), ForwardS: time.Since(loaded).Seconds(),
		PeakRSS: procStatus("VmHWM"), RSS: procStatus("VmRSS"), InPlace: m.Info().InPlace, Total: m.Info().Tensors,
		Reports: map[string]golden.Report{}, Bf16Reports: map[string]golden.Report{}}
	got := map[string]Matrix{"image_embeds": out.ImageEmbeds, "text_embeds": out.TextEmbeds,
		"logits_per_image": out.LogitsPerImage, "logits_per_text": out.LogitsPerText}
	for _, name := range fullOutputs {
		r, err := golden.Compare(got[name].Data, read("", name).F32)
		require.NoError(t, err)
		res.Reports[name] = r
		if dt == BFloat16 {
			if r, err = golden.Compare(got[name].Data, read("bf16", name).F32); err == nil {
				res.Bf16Reports[name] = r
			}
		}
	}
	require.NoError(t, m.Close())
	b, _ := json.Marshal(res)
	require.NoError(t, os.WriteFile(spec.Out, b, 0o644))
}

// BenchmarkLoadFull times Load + Close of the full-size model per format (warm page
// cache; in-place tensors are faulted in by the first forward, not here):
//
//	ZEROSHOT_FULL_MODEL=... go test -run '^$' -bench LoadFull -benchtime 5x ./clip/
func BenchmarkLoadFull(b *testing.B) {
	dir := os.Getenv(fullEnv)
	if dir == "" {
		b.Skipf("%s is not set", fullEnv)
	}
	conv32, conv16 := filepath.Join(b.TempDir(), "f32.safetensors"), filepath.Join(b.TempDir(), "bf16.safetensors")
	require.NoError(b, Convert(dir, conv32, Float32))
	require.NoError(b, Convert(dir, conv16, BFloat16))
	for _, c := range []struct {
		name, path string
		dt         DType
	}{
		{"safetensors", filepath.Join(dir, SafetensorsFile), Float32},
		{"bin", filepath.Join(dir, PickleFile), Float32},
		{"converted", conv32, Float32},
		{"converted-bf16", conv16, BFloat16},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m, err := Load(c.path, Options{DType: c.dt})
				require.NoError(b, err)
				require.NoError(b, m.Close())
			}
		})
	}
}
