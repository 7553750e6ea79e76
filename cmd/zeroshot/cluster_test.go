package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The multi-machine examples (examples/k8s, examples/slurm) run without a cluster:
// every pod or array task here as the scheduler would start it (its command, its
// environment, its index), the merge after them, and the result compared with the same
// command run as one shard. The manifests' structure is checked against the real
// Kubernetes API types, strictly, in examples/k8s (a module of its own, so that this
// one does not depend on k8s.io); `make slurm-test` runs examples/slurm on a real Slurm.

var examplesDir = filepath.Join(repoRoot, "examples")

// k8sObject is the part of a manifest these tests run.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Completions *int `yaml:"completions"`
		Template    struct {
			Spec struct {
				Containers []struct {
					Name    string   `yaml:"name"`
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
					Env     []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// readManifest decodes every document of a YAML file (leniently: examples/k8s checks
// the structure) and returns the object of kind.
func readManifest(t *testing.T, path, kind string) k8sObject {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var o k8sObject
		if err := dec.Decode(&o); err != nil {
			require.ErrorIs(t, err, io.EOF, path)
			break
		}
		if o.Kind == kind {
			require.NotEmpty(t, o.Spec.Template.Spec.Containers, "%s: %s", path, kind)
			return o
		}
	}
	t.Fatalf("%s: no %s", path, kind)
	return k8sObject{}
}

func containerEnv(o k8sObject) map[string]string {
	env := map[string]string{}
	for _, e := range o.Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	return env
}

// shardData makes the shared directory of a simulated cluster: the 74 fixture images,
// the labels, and an out/ folder; the model is the tiny fixture.
func shardData(t *testing.T) (data string) {
	t.Helper()
	data = t.TempDir()
	entries, err := os.ReadDir(imageFiles)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(data, "photos"), 0o755))
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(imageFiles, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(data, "photos", e.Name()), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(data, "labels.txt"), []byte("# the tutorial's labels\ncat\ndog\nfox\nowl\n"), 0o644))
	return data
}

// shell runs a script with the environment given (over a minimal base) and the zeroshot
// binary on PATH, as a pod or a Slurm task would.
func shell(t *testing.T, bin, dir string, env map[string]string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + filepath.Dir(bin) + ":/usr/bin:/bin", "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "%s %v: %s", name, args, out.String())
	return out.String()
}

// sameRecords compares a merged file with the single run: byte for byte, since on CPU
// every image goes through the model alone whatever shard it is in.
func sameRecords(t *testing.T, merged, single string) {
	t.Helper()
	require.Equal(t, single, merged, "merged shards differ from the single run")
	t.Logf("merged = one shard, byte for byte: %d records", len(readRecords(t, single)))
}

// Kubernetes: the Indexed Job's pods, then the merge Job.
func TestKubernetesExample(t *testing.T) {
	job := readManifest(t, filepath.Join(examplesDir, "k8s", "classify.yaml"), "Job")
	mergeJob := readManifest(t, filepath.Join(examplesDir, "k8s", "merge.yaml"), "Job")
	require.NotNil(t, job.Spec.Completions)
	n := *job.Spec.Completions
	env := containerEnv(job)
	script := job.Spec.Template.Spec.Containers[0].Command[2]
	mergeEnv := containerEnv(mergeJob)
	if testing.Short() {
		t.Skip("-short: runs every pod's command with the real CLI (examples/k8s checks the manifests' structure); make test runs it")
	}
	// Run it: /data is the shared volume, the model the tiny fixture.
	bin := buildZeroshot(t)
	data := shardData(t)
	model, err := filepath.Abs(tinyModel)
	require.NoError(t, err)
	local := func(env map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range env {
			out[k] = strings.Replace(v, "/data", data, 1)
		}
		out["MODEL"] = model
		return out
	}
	for k := 0; k < n; k++ {
		pod := local(env)
		pod["JOB_COMPLETION_INDEX"] = strconv.Itoa(k)
		shell(t, bin, data, pod, "sh", "-c", script)
	}
	m := local(mergeEnv)
	log := shell(t, bin, data, m, "sh", "-c", mergeJob.Spec.Template.Spec.Containers[0].Command[2])
	assert.Contains(t, log, fmt.Sprintf("from %d parts", n))
	merged, err := os.ReadFile(filepath.Join(data, "out", "all.jsonl"))
	require.NoError(t, err)

	// The same pod command as a single shard is the single-machine run.
	one := local(env)
	one["JOB_COMPLETION_INDEX"], one["ZEROSHOT_SHARDS"], one["OUT"] = "0", "1", filepath.Join(data, "single")
	shell(t, bin, data, one, "sh", "-c", script)
	single, err := os.ReadFile(filepath.Join(data, "single", "shard-0.jsonl"))
	require.NoError(t, err)
	sameRecords(t, string(merged), string(single))

	// The Job applied again with other labels over the same OUT: each pod exits with
	// status 2, which the Job's pod failure policy turns into a failed index (no retry).
	other := local(env)
	other["JOB_COMPLETION_INDEX"] = "0"
	require.NoError(t, os.WriteFile(filepath.Join(data, "other.txt"), []byte("car\nboat\n"), 0o644))
	other["LABELS"] = filepath.Join(data, "other.txt")
	code, out := shellCode(t, bin, data, other, "sh", "-c", script)
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "shard-0.jsonl was written by another run:\n  labels: 4 labels (cat, dog, fox, …)")
}

// shellCode is shell for a command that may fail: its exit status and output.
func shellCode(t *testing.T, bin, dir string, env map[string]string, name string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + filepath.Dir(bin) + ":/usr/bin:/bin", "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

var sbatchArray = regexp.MustCompile(`(?m)^#SBATCH --array=(\d+)-(\d+)$`)

// Slurm: submit.sh's two submissions, the array's tasks, then the merge.
func TestSlurmExample(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join(examplesDir, "slurm"))
	require.NoError(t, err)
	classify, err := os.ReadFile(filepath.Join(dir, "classify.sbatch"))
	require.NoError(t, err)
	// sbatch reads #SBATCH lines only before the first command.
	for _, script := range []string{"classify.sbatch", "merge.sbatch"} {
		b, err := os.ReadFile(filepath.Join(dir, script))
		require.NoError(t, err)
		lines := strings.Split(string(b), "\n")
		require.Equal(t, "#!/bin/bash", lines[0], script)
		inHeader := true
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "#SBATCH") {
				assert.True(t, inHeader, "%s: %q after the first command is ignored by sbatch", script, l)
				assert.Regexp(t, `^#SBATCH --[a-z-]+=\S+$`, l, script)
			} else if l != "" && !strings.HasPrefix(l, "#") {
				inHeader = false
			}
		}
	}
	m := sbatchArray.FindStringSubmatch(string(classify))
	require.NotNil(t, m, "classify.sbatch: --array must be a range (--shard auto needs one)")
	lo, _ := strconv.Atoi(m[1])
	hi, _ := strconv.Atoi(m[2])
	require.Greater(t, hi, lo)

	if testing.Short() {
		t.Skip("-short: runs every array task with the real CLI (its structure was checked above); make test runs it")
	}
	bin := buildZeroshot(t)
	data := shardData(t)
	model, err := filepath.Abs(tinyModel)
	require.NoError(t, err)

	// submit.sh, with an sbatch that records what it is asked.
	fake := filepath.Join(t.TempDir(), "sbatch")
	calls := filepath.Join(filepath.Dir(fake), "calls")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho \"$*\" >> "+calls+"\necho '4242;cluster'\n"), 0o755))
	require.NoError(t, os.Symlink(bin, filepath.Join(filepath.Dir(fake), "zeroshot")))
	shell(t, fake, dir, nil, "sh", filepath.Join(dir, "submit.sh"))
	b, err := os.ReadFile(calls)
	require.NoError(t, err)
	assert.Equal(t, "--parsable "+filepath.Join(dir, "classify.sbatch")+"\n"+
		"--parsable --dependency=afterok:4242 --kill-on-invalid-dep=yes "+filepath.Join(dir, "merge.sbatch")+"\n", string(b),
		"the merge waits for every task, and is cancelled if one fails (never PENDING forever)")

	env := map[string]string{
		"IMAGES": filepath.Join(data, "photos"), "LABELS": filepath.Join(data, "labels.txt"),
		"MODEL": model, "OUT": filepath.Join(data, "out"),
		"SLURM_ARRAY_JOB_ID": "4242", "SLURM_ARRAY_TASK_MIN": m[1], "SLURM_ARRAY_TASK_MAX": m[2],
		"SLURM_ARRAY_TASK_STEP": "1", "SLURM_ARRAY_TASK_COUNT": strconv.Itoa(hi - lo + 1),
	}
	for id := lo; id <= hi; id++ {
		env["SLURM_ARRAY_TASK_ID"] = strconv.Itoa(id)
		shell(t, bin, data, env, "bash", filepath.Join(dir, "classify.sbatch"))
	}
	log := shell(t, bin, data, map[string]string{"IMAGES": env["IMAGES"], "OUT": env["OUT"]}, "bash", filepath.Join(dir, "merge.sbatch"))
	assert.Contains(t, log, fmt.Sprintf("from %d parts", hi-lo+1))
	merged, err := os.ReadFile(filepath.Join(data, "out", "all.jsonl"))
	require.NoError(t, err)

	// A one-task array is the single-machine run.
	env["SLURM_ARRAY_TASK_ID"], env["SLURM_ARRAY_TASK_MIN"], env["SLURM_ARRAY_TASK_MAX"], env["SLURM_ARRAY_TASK_COUNT"] = "0", "0", "0", "1"
	env["OUT"] = filepath.Join(data, "single")
	shell(t, bin, data, env, "bash", filepath.Join(dir, "classify.sbatch"))
	single, err := os.ReadFile(filepath.Join(data, "single", "shard-0.jsonl"))
	require.NoError(t, err)
	sameRecords(t, string(merged), string(single))
}
