package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// partsRun reads the run fingerprint of every part (PART.run.json) and returns the
// common one: parts of different runs (another model, labels, templates, --top-k,
// parity profile, dtype, device, libtorch or batching) are an error naming the field,
// and so is a part without a fingerprint. When the parts say which shards they are,
// shardsErr names a missing or repeated shard: the caller reports it after the
// records' own errors, which say more.
func partsRun(parts []string) (common *runInfo, shardsErr, err error) {
	var first *runInfo
	shards := map[int]string{} // K → part
	n := -1                    // N of the shards, -1 before the first, 0 when a part is unsharded
	for _, p := range parts {
		ri, err := readRunInfo(p, p)
		var none *noRunInfoError
		if errors.As(err, &none) {
			return nil, nil, exitUsage{fmt.Errorf("%w; rerun its shard with this zeroshot (classify --force) to merge it", err)}
		}
		if err != nil {
			return nil, nil, exitUsage{err}
		}
		if ri.Command != "classify" || ri.Output.Format != formatJSONL {
			return nil, nil, exitUsage{fmt.Errorf("%s is not a classify --format jsonl output (its fingerprint says %s, %s)", p, ri.Command, ri.Output.Format)}
		}
		if first == nil {
			first = ri
		} else if diffs := ri.Run.diff(first.Run, "in "+p, "in "+parts[0]); len(diffs) > 0 {
			return nil, nil, exitUsage{&runMismatchError{head: p + " and " + parts[0] + " are parts of different runs", diffs: diffs,
				what: "parts of different runs do not merge: rerun the odd shards with the others' settings (classify --force)"}}
		}
		k, nk, ok := parseShardName(ri.Output.Shard)
		switch {
		case !ok:
			n = 0
		case n == -1 || n == nk:
			n = nk
			if prev, dup := shards[k]; dup && shardsErr == nil {
				shardsErr = exitUsage{fmt.Errorf("%s and %s are both shard %d/%d", prev, p, k, nk)}
			}
			shards[k] = p
		case n > 0 && shardsErr == nil:
			shardsErr = exitUsage{fmt.Errorf("%s is shard %s, other parts are shards of %d", p, ri.Output.Shard, n)}
		}
	}
	if shardsErr != nil {
		return first, shardsErr, nil
	}
	if n > 0 && len(shards) < n {
		var missing []string
		for k := 0; k < n; k++ {
			if _, ok := shards[k]; !ok {
				missing = append(missing, fmt.Sprintf("%d/%d", k, n))
			}
		}
		sort.Strings(missing)
		return first, exitUsage{fmt.Errorf("shard %s missing: %d of %d parts given (a shard not finished, or a PART pattern that misses it)",
			strings.Join(missing, ", "), len(shards), n)}, nil
	}
	return first, nil, nil
}

// parseShardName reads "K/N" (shard.String); ok is false for "" (a whole run).
func parseShardName(s string) (k, n int, ok bool) {
	ks, ns, cut := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	return k, n, cut && err1 == nil && err2 == nil && n > 0
}
