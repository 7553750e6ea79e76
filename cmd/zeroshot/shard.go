package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zeroshot-clip/zeroshot/zeroshot"
)

// shard is this process's part of the image list: the files whose index i (0-based, in
// the list's deterministic order) has i mod n == k. n == 0: the whole list.
type shard struct{ k, n int }

const shardHelp = `process only part of the images: K/N takes every N-th forward of the ordered list from
the K-th (0 ≤ K < N), so the N shards K = 0..N-1 partition the list exactly. A forward is one
image (--batching per-image, the CPU default: file i goes to shard i mod N) or, batched,
--batch-size images in list order (batch b to shard b mod N): each image then shares its
forward with the images it shares it with in an unsharded run, and gets the same bits.
"auto" reads K from JOB_COMPLETION_INDEX (Kubernetes Indexed Job; N from --shards or
ZEROSHOT_SHARDS) or from Slurm's SLURM_ARRAY_TASK_ID (K = (ID - SLURM_ARRAY_TASK_MIN) /
SLURM_ARRAY_TASK_STEP; N from --shards, SLURM_ARRAY_TASK_COUNT, or MIN/MAX/STEP)`

// parseShard reads --shard ("", "K/N" or "auto") and --shards, taking the environment
// from getenv.
func parseShard(spec string, shards int, getenv func(string) string) (shard, error) {
	if shards < 0 {
		return shard{}, fmt.Errorf("--shards %d: want a positive count", shards)
	}
	switch spec {
	case "":
		if shards != 0 {
			return shard{}, fmt.Errorf("--shards goes with --shard auto")
		}
		return shard{}, nil
	case "auto":
		return autoShard(shards, getenv)
	}
	if shards != 0 {
		return shard{}, fmt.Errorf("--shards goes with --shard auto (--shard %s already says N)", spec)
	}
	ks, ns, ok := strings.Cut(spec, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil {
		return shard{}, fmt.Errorf("--shard %q: want K/N (e.g. 0/4) or auto", spec)
	}
	return checkShard(shard{k, n}, "--shard "+spec)
}

func checkShard(s shard, from string) (shard, error) {
	if s.n < 1 || s.k < 0 || s.k >= s.n {
		return shard{}, fmt.Errorf("%s: shard %d of %d is out of range (want 0 ≤ K < N)", from, s.k, s.n)
	}
	return s, nil
}

// envInt reads an integer environment variable; ok is false when it is unset or empty.
type envInt func(name string) (n int, ok bool, err error)

func autoShard(shards int, getenv func(string) string) (shard, error) {
	num := envInt(func(name string) (int, bool, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, false, fmt.Errorf("--shard auto: %s=%q is not a number", name, v)
		}
		return n, true, nil
	})
	k, ok, err := num("JOB_COMPLETION_INDEX")
	if err != nil {
		return shard{}, err
	}
	if ok {
		return kubernetesShard(k, shards, num)
	}
	id, ok, err := num("SLURM_ARRAY_TASK_ID")
	if err != nil {
		return shard{}, err
	}
	if ok {
		return slurmShard(id, shards, num)
	}
	return shard{}, fmt.Errorf("--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set")
}

// kubernetesShard: K is the Indexed Job's completion index, N --shards or ZEROSHOT_SHARDS.
func kubernetesShard(k, n int, num envInt) (shard, error) {
	if n == 0 {
		env, ok, err := num("ZEROSHOT_SHARDS")
		if err != nil {
			return shard{}, err
		}
		if !ok {
			return shard{}, fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX=%d but no total: set --shards N or ZEROSHOT_SHARDS (the Job's completions)", k)
		}
		n = env
	}
	return checkShard(shard{k, n}, "--shard auto (JOB_COMPLETION_INDEX)")
}

// slurmShard: K is the task's position in the array range, N --shards or the array's size.
func slurmShard(id, n int, num envInt) (shard, error) {
	lo, _, err := num("SLURM_ARRAY_TASK_MIN")
	if err != nil {
		return shard{}, err
	}
	step, hasStep, err := num("SLURM_ARRAY_TASK_STEP")
	if err != nil {
		return shard{}, err
	}
	if !hasStep || step < 1 {
		step = 1
	}
	if (id-lo)%step != 0 {
		return shard{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID=%d is not MIN %d + a multiple of STEP %d (use a range, e.g. --array=0-9)", id, lo, step)
	}
	if n == 0 {
		count, hasCount, err := num("SLURM_ARRAY_TASK_COUNT")
		if err != nil {
			return shard{}, err
		}
		hi, hasMax, err := num("SLURM_ARRAY_TASK_MAX")
		if err != nil {
			return shard{}, err
		}
		switch {
		case hasCount:
			n = count
		case hasMax:
			n = (hi-lo)/step + 1
		default:
			return shard{}, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID=%d but no SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX: set --shards N", id)
		}
	}
	return checkShard(shard{(id - lo) / step, n}, "--shard auto (SLURM_ARRAY_TASK_ID)")
}

// forwardUnit is the number of images of one forward: 1 per image, else the batch.
func forwardUnit(b zeroshot.Batching, batch int) int {
	if b == zeroshot.BatchingBatched {
		return batch
	}
	return 1
}

// applyBatches keeps this shard's batches: the list cut into runs of batch files in
// order, run b going to shard b mod N (every file then shares its forward with the
// files it shares it with in an unsharded run). With batch 1: file i to shard i mod N.
func (s shard) applyBatches(paths []string, batch int) []string {
	if s.n <= 1 {
		return paths
	}
	var out []string
	for lo := s.k * batch; lo < len(paths); lo += s.n * batch {
		out = append(out, paths[lo:min(lo+batch, len(paths))]...)
	}
	return out
}

func (s shard) String() string {
	if s.n == 0 {
		return "all"
	}
	return fmt.Sprintf("%d/%d", s.k, s.n)
}
