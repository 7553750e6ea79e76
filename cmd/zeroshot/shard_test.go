package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseShard(t *testing.T) {
	cases := []struct {
		name   string
		spec   string
		shards int
		env    map[string]string
		want   shard
		err    string
	}{
		{"none", "", 0, nil, shard{}, ""},
		{"K/N", "1/4", 0, nil, shard{1, 4}, ""},
		{"0/1", "0/1", 0, nil, shard{0, 1}, ""},
		{"K = N", "4/4", 0, nil, shard{}, "out of range"},
		{"negative", "-1/4", 0, nil, shard{}, "out of range"},
		{"N = 0", "0/0", 0, nil, shard{}, "out of range"},
		{"not K/N", "1-4", 0, nil, shard{}, "want K/N"},
		{"words", "a/b", 0, nil, shard{}, "want K/N"},
		{"--shards with K/N", "1/4", 4, nil, shard{}, "--shards goes with --shard auto"},
		{"--shards alone", "", 4, nil, shard{}, "--shards goes with --shard auto"},
		{"negative --shards", "auto", -1, nil, shard{}, "positive"},
		{"auto without environment", "auto", 0, nil, shard{}, "neither JOB_COMPLETION_INDEX"},
		{"kubernetes", "auto", 0, map[string]string{"JOB_COMPLETION_INDEX": "3", "ZEROSHOT_SHARDS": "8"}, shard{3, 8}, ""},
		{"kubernetes, --shards wins", "auto", 5, map[string]string{"JOB_COMPLETION_INDEX": "3", "ZEROSHOT_SHARDS": "8"}, shard{3, 5}, ""},
		{"kubernetes without a total", "auto", 0, map[string]string{"JOB_COMPLETION_INDEX": "3"}, shard{}, "set --shards N or ZEROSHOT_SHARDS"},
		{"kubernetes index too large", "auto", 2, map[string]string{"JOB_COMPLETION_INDEX": "3"}, shard{}, "out of range"},
		{"kubernetes not a number", "auto", 2, map[string]string{"JOB_COMPLETION_INDEX": "x"}, shard{}, "not a number"},
		{"slurm 0-based with count", "auto", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, shard{2, 4}, ""},
		{"slurm 1-3 by min/max", "auto", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "3"}, shard{2, 3}, ""},
		{"slurm with a step", "auto", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1",
			"SLURM_ARRAY_TASK_MAX": "9", "SLURM_ARRAY_TASK_STEP": "2"}, shard{2, 5}, ""},
		{"slurm off the step", "auto", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1",
			"SLURM_ARRAY_TASK_MAX": "9", "SLURM_ARRAY_TASK_STEP": "2"}, shard{}, "not MIN 1 + a multiple of STEP 2"},
		{"slurm --shards", "auto", 7, map[string]string{"SLURM_ARRAY_TASK_ID": "6"}, shard{6, 7}, ""},
		{"slurm without a count", "auto", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "6"}, shard{}, "set --shards N"},
		{"kubernetes before slurm", "auto", 0, map[string]string{"JOB_COMPLETION_INDEX": "0", "ZEROSHOT_SHARDS": "2",
			"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"}, shard{0, 2}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseShard(tc.spec, tc.shards, func(k string) string { return tc.env[k] })
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// The N shards of a list partition it: each file in exactly one, K ≡ index mod N, order kept
// (one image per forward; embed_images_test checks whole batches).
func TestShardPartition(t *testing.T) {
	for _, size := range []int{0, 1, 7, 100} {
		list := make([]string, size)
		for i := range list {
			list[i] = string(rune('a'+i%26)) + string(rune('0'+i/26))
		}
		assert.Equal(t, list, shard{}.applyBatches(list, 1))
		for n := 1; n <= 9; n++ {
			owner := map[string]int{}
			for k := 0; k < n; k++ {
				part := shard{k, n}.applyBatches(list, 1)
				for j, p := range part {
					assert.Equal(t, list[k+j*n], p)
					_, dup := owner[p]
					assert.False(t, dup)
					owner[p] = k
				}
			}
			assert.Len(t, owner, size, "N=%d", n)
		}
	}
	assert.Equal(t, "2/5", shard{2, 5}.String())
	assert.Equal(t, "all", shard{}.String())
}
