package k8s_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// decodeManifest reads every document of a manifest into the Kubernetes API type its
// apiVersion and kind name, strictly, as the API server's strict field validation
// (`kubectl apply --validate=strict`) does: YAML to JSON refusing duplicate keys, then
// sigs.k8s.io/json's case-sensitive decoding refusing unknown and duplicate fields. A
// typo, a field at the wrong level, a wrong case (encoding/json would accept
// "mountpath") or a value of the wrong type is an error naming the field's path.
func decodeManifest(b []byte) ([]any, error) {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var out []any
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, err
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		case "v1 Service":
			obj = &corev1.Service{}
		case "batch/v1 Job":
			obj = &batchv1.Job{}
		case "apps/v1 Deployment":
			obj = &appsv1.Deployment{}
		default:
			return nil, fmt.Errorf("document %d: %q %q is not a kind these examples use", len(out)+1, tm.APIVersion, tm.Kind)
		}
		j, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tm.Kind, err)
		}
		strict, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tm.Kind, err)
		}
		if len(strict) > 0 {
			return nil, fmt.Errorf("%s: %w", tm.Kind, errors.Join(strict...))
		}
		if name := obj.(metav1.Object).GetName(); name == "" {
			return nil, fmt.Errorf("%s without metadata.name", tm.Kind)
		}
		out = append(out, obj)
	}
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(string(doc), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.Bytes()
}

func read(t *testing.T, file string) []any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeManifest(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return objs
}

func one[T any](t *testing.T, file string) *T {
	t.Helper()
	var found *T
	for _, o := range read(t, file) {
		if x, ok := o.(*T); ok {
			if found != nil {
				t.Fatalf("%s: two %T", file, x)
			}
			found = x
		}
	}
	if found == nil {
		t.Fatalf("%s: no %T", file, found)
	}
	return found
}

// Every manifest here decodes strictly into the real API types.
func TestManifestsDecodeStrictly(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	if len(files) < 4 {
		t.Fatalf("manifests: %v", files)
	}
	for _, f := range files {
		if n := len(read(t, f)); n == 0 {
			t.Errorf("%s: no object", f)
		}
	}
}

// A typo fails: the strict decoding is what the other tests stand on.
func TestManifestTyposFail(t *testing.T) {
	b, err := os.ReadFile("classify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to, want string }{
		{"restartPolicy: Never", "restartPolicyy: Never", `unknown field "spec.template.spec.restartPolicyy"`},
		{"completions: 8", "completions: eight", "completions"},
		{"backoffLimitPerIndex: 4", "backofLimitPerIndex: 4", `unknown field "spec.backofLimitPerIndex"`},
		{"mountPath: /data}", "mountpath: /data}", `unknown field "spec.template.spec.containers[0].volumeMounts[0].mountpath"`},
		{"parallelism: 8", "parallelism: 8\n  parallelism: 4", "parallelism"},
	} {
		if !bytes.Contains(b, []byte(c.from)) {
			t.Fatalf("classify.yaml has no %q", c.from)
		}
		_, err := decodeManifest(bytes.Replace(b, []byte(c.from), []byte(c.to), 1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q → %q: %v, want an error with %q", c.from, c.to, err, c.want)
		}
	}
}

func env(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		m[e.Name] = e.Value
	}
	return m
}

func container(t *testing.T, spec corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return corev1.Container{}
}

// checkPod: mounts of declared volumes, claims declared, an image and a command.
func checkPod(t *testing.T, what string, spec corev1.PodSpec, claims map[string]bool) {
	t.Helper()
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
		if v.PersistentVolumeClaim != nil && !claims[v.PersistentVolumeClaim.ClaimName] {
			t.Errorf("%s: claim %s is not declared", what, v.PersistentVolumeClaim.ClaimName)
		}
	}
	if len(spec.Containers) == 0 {
		t.Fatalf("%s: no container", what)
	}
	for _, c := range spec.Containers {
		if c.Image == "" || len(c.Command) == 0 {
			t.Errorf("%s: container %s without image or command", what, c.Name)
		}
		for _, m := range c.VolumeMounts {
			if _, ok := volumes[m.Name]; !ok {
				t.Errorf("%s: mount of undeclared volume %s", what, m.Name)
			}
		}
	}
}

// exitCodeRule reports whether the Job's pod failure policy takes action on container's
// exit code.
func exitCodeRule(job *batchv1.Job, container string, code int32, action batchv1.PodFailurePolicyAction) bool {
	if job.Spec.PodFailurePolicy == nil {
		return false
	}
	for _, r := range job.Spec.PodFailurePolicy.Rules {
		oc := r.OnExitCodes
		if r.Action != action || oc == nil || oc.Operator != batchv1.PodFailurePolicyOnExitCodesOpIn || oc.ContainerName == nil || *oc.ContainerName != container {
			continue
		}
		for _, v := range oc.Values {
			if v == code {
				return true
			}
		}
	}
	return false
}

func claims(t *testing.T) map[string]bool {
	pvc := one[corev1.PersistentVolumeClaim](t, "classify.yaml")
	ok := false
	for _, m := range pvc.Spec.AccessModes {
		ok = ok || m == corev1.ReadWriteMany
	}
	if !ok {
		t.Errorf("claim %s: every pod writes its part to it: ReadWriteMany", pvc.Name)
	}
	return map[string]bool{pvc.Name: true}
}

// The Indexed Job: N pods, N shards, each its own part; a part of another run fails its
// index at once; evictions do not count.
func TestClassifyJob(t *testing.T) {
	job := one[batchv1.Job](t, "classify.yaml")
	spec := job.Spec.Template.Spec
	checkPod(t, job.Name, spec, claims(t))
	if job.Spec.CompletionMode == nil || *job.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("JOB_COMPLETION_INDEX is set only in Indexed mode")
	}
	if job.Spec.Completions == nil || *job.Spec.Completions < 2 {
		t.Fatal("completions: the number of shards, 2 or more")
	}
	n := *job.Spec.Completions
	if p := job.Spec.Parallelism; p != nil && *p > n {
		t.Errorf("parallelism %d > completions %d", *p, n)
	}
	c := container(t, spec, "zeroshot")
	if got := env(c)["ZEROSHOT_SHARDS"]; got != strconv.Itoa(int(n)) {
		t.Errorf("ZEROSHOT_SHARDS=%q, completions %d: they must be equal", got, n)
	}
	if spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %s: a pod failure policy needs Never (the replacement pod resumes the part)", spec.RestartPolicy)
	}
	if job.Spec.BackoffLimitPerIndex == nil {
		t.Error("backoffLimitPerIndex: one failing shard must not use up the others' retries")
	}
	if !exitCodeRule(job, c.Name, 2, batchv1.PodFailurePolicyActionFailIndex) {
		t.Error("exit status 2 (a part of another run in OUT) must fail its index at once: retrying cannot help")
	}
	script := strings.Join(c.Command, " ")
	for _, s := range []string{"zeroshot classify", "--shard auto", `"$OUT/shard-$JOB_COMPLETION_INDEX.jsonl"`, `exit "$status"`} {
		if !strings.Contains(script, s) {
			t.Errorf("the pod's command has no %s: %s", s, script)
		}
	}
	if strings.Contains(script, "--force") {
		t.Error("--force would replace a part of another run instead of refusing it")
	}
	if threads := flagValue(script, "--threads"); threads != c.Resources.Requests.Cpu().String() {
		t.Errorf("--threads %s, CPU request %s: one libtorch thread per requested core", threads, c.Resources.Requests.Cpu())
	}
}

// The merge Job: the classify Job's images and parts, the parts' fingerprints checked by
// zeroshot merge, no retry of parts that do not fit together, memory for the records.
func TestMergeJob(t *testing.T) {
	classify := one[batchv1.Job](t, "classify.yaml")
	job := one[batchv1.Job](t, "merge.yaml")
	spec := job.Spec.Template.Spec
	checkPod(t, job.Name, spec, claims(t))
	if job.Spec.Completions != nil && *job.Spec.Completions != 1 {
		t.Error("one merge")
	}
	c := container(t, spec, "merge")
	cenv, menv := env(container(t, classify.Spec.Template.Spec, "zeroshot")), env(c)
	for _, k := range []string{"IMAGES", "OUT"} {
		if cenv[k] != menv[k] {
			t.Errorf("%s: %q in classify, %q in merge", k, cenv[k], menv[k])
		}
	}
	script := strings.Join(c.Command, " ")
	for _, s := range []string{`zeroshot merge --images "$IMAGES"`, `"$OUT/shard-*.jsonl"`, "--output"} {
		if !strings.Contains(script, s) {
			t.Errorf("the merge's command has no %s: %s", s, script)
		}
	}
	// Every part classify writes matches the merge's pattern.
	for k := 0; k < int(*classify.Spec.Completions); k++ {
		if ok, _ := filepath.Match("shard-*.jsonl", fmt.Sprintf("shard-%d.jsonl", k)); !ok {
			t.Errorf("part %d does not match the merge's pattern", k)
		}
	}
	if spec.RestartPolicy != corev1.RestartPolicyNever || !exitCodeRule(job, "merge", 2, batchv1.PodFailurePolicyActionFailJob) {
		t.Error("exit status 2 (parts of different runs, a missing shard) must fail the Job at once")
	}
	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("the merge holds every record: it asks for memory")
	}
}

// flagValue is the value of --name=V or --name V in a command line.
func flagValue(cmd, name string) string {
	f := strings.Fields(cmd)
	for i, w := range f {
		if v, ok := strings.CutPrefix(w, name+"="); ok {
			return v
		}
		if w == name && i+1 < len(f) {
			return f[i+1]
		}
	}
	return ""
}

// The server: probes on the right paths and port, the tokens from a Secret, a grace
// period longer than the preStop sleep plus the drain, the Service on the pods' port;
// the CPU variant sized by its request, the GPU one with a GPU.
func TestServeDeployments(t *testing.T) {
	for _, c := range []struct {
		file string
		gpu  bool
	}{{"serve-cpu.yaml", false}, {"serve-gpu.yaml", true}} {
		t.Run(c.file, func(t *testing.T) {
			dep := one[appsv1.Deployment](t, c.file)
			svc := one[corev1.Service](t, c.file)
			spec := dep.Spec.Template.Spec
			checkPod(t, dep.Name, spec, claims(t))
			labels := dep.Spec.Template.Labels
			sel, err := metav1.LabelSelectorAsMap(dep.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range sel {
				if labels[k] != v {
					t.Errorf("the Deployment's selector %s=%s does not select its pods", k, v)
				}
			}
			for k, v := range svc.Spec.Selector {
				if labels[k] != v {
					t.Errorf("the Service's selector %s=%s does not select the pods", k, v)
				}
			}
			z := container(t, spec, "zeroshot")
			if len(z.Args) == 0 || z.Args[0] != "serve" {
				t.Fatalf("args %v: want serve …", z.Args)
			}
			args := strings.Join(z.Args, " ")
			port := map[string]int32{}
			for _, p := range z.Ports {
				port[p.Name] = p.ContainerPort
			}
			host, p, err := net.SplitHostPort(flagValue(args, "--addr"))
			if err != nil || host != "0.0.0.0" || p != strconv.Itoa(int(port["http"])) {
				t.Errorf("--addr %q: want 0.0.0.0:%d, the container port http", flagValue(args, "--addr"), port["http"])
			}
			for _, sp := range svc.Spec.Ports {
				if sp.TargetPort.String() != "http" && sp.TargetPort.IntValue() != int(port["http"]) {
					t.Errorf("the Service targets %s, not the container's port", sp.TargetPort.String())
				}
			}
			probe := func(what string, pr *corev1.Probe, path string) {
				if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Path != path || pr.HTTPGet.Port.String() != "http" {
					t.Errorf("%s probe: want GET %s on port http, got %+v", what, path, pr)
				}
			}
			probe("liveness", z.LivenessProbe, "/healthz")
			probe("readiness", z.ReadinessProbe, "/readyz")
			probe("startup", z.StartupProbe, "/healthz")

			// The token file: a key of a Secret, mounted read-only, not readable by others.
			tokens := flagValue(args, "--token-file")
			var secret *corev1.SecretVolumeSource
			for _, m := range z.VolumeMounts {
				if strings.HasPrefix(tokens, m.MountPath+"/") {
					for _, v := range spec.Volumes {
						if v.Name == m.Name && v.Secret != nil {
							secret = v.Secret
						}
					}
					if !m.ReadOnly {
						t.Error("the tokens' mount is not read-only")
					}
				}
			}
			if secret == nil {
				t.Fatalf("--token-file %q is not in a Secret's volume", tokens)
			}
			if secret.DefaultMode == nil || *secret.DefaultMode&0o077 != 0 {
				t.Error("the token file must not be readable by group or others (serve warns)")
			}
			if len(secret.Items) != 1 || !strings.HasSuffix(tokens, "/"+secret.Items[0].Path) {
				t.Errorf("--token-file %q is not the Secret's item", tokens)
			}

			// Graceful termination: preStop sleep + drain < grace period.
			drain, err := time.ParseDuration(flagValue(args, "--shutdown-timeout"))
			if err != nil {
				t.Fatalf("--shutdown-timeout: %v", err)
			}
			var sleep time.Duration
			if l := z.Lifecycle; l != nil && l.PreStop != nil && l.PreStop.Sleep != nil {
				sleep = time.Duration(l.PreStop.Sleep.Seconds) * time.Second
			} else {
				t.Error("no preStop sleep: the Service would still send requests to a pod that stopped listening")
			}
			if spec.TerminationGracePeriodSeconds == nil || time.Duration(*spec.TerminationGracePeriodSeconds)*time.Second <= sleep+drain {
				t.Errorf("terminationGracePeriodSeconds must exceed preStop %v + --shutdown-timeout %v", sleep, drain)
			}
			if sc := z.SecurityContext; sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
				tmp := false
				for _, m := range z.VolumeMounts {
					tmp = tmp || m.MountPath == "/tmp"
				}
				if !tmp {
					t.Error("a read-only root filesystem needs a writable /tmp")
				}
			}

			gpus := z.Resources.Limits["nvidia.com/gpu"]
			device := flagValue(args, "--device")
			if c.gpu {
				if gpus.Value() < 1 || device != "cuda" {
					t.Errorf("GPU variant: nvidia.com/gpu %s, --device %q", gpus.String(), device)
				}
			} else {
				if !gpus.IsZero() || (device != "" && device != "cpu") {
					t.Errorf("CPU variant: nvidia.com/gpu %s, --device %q", gpus.String(), device)
				}
				if threads := flagValue(args, "--threads"); threads != z.Resources.Requests.Cpu().String() {
					t.Errorf("--threads %s, CPU request %s", threads, z.Resources.Requests.Cpu())
				}
			}
		})
	}
}
