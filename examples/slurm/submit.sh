#!/bin/sh
# Submits the classify array, then the merge to run once every array task succeeded.
#   IMAGES=/shared/photos LABELS=/shared/labels.txt OUT=/shared/out ./submit.sh
# Logs go to the directory you run it from.
#
# If a task fails, the merge can never run: --kill-on-invalid-dep=yes cancels it
# (without it, it would stay PENDING with reason DependencyNeverSatisfied). Fix the
# cause and run this again with the same variables: the tasks whose part is complete
# find nothing to do, an interrupted task resumes its part, and a new merge runs.
# Parts of another run (other LABELS, MODEL, ...) in OUT are refused, never reused or
# mixed: use another OUT, or remove the old parts.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jid=$(sbatch --parsable "$here/classify.sbatch")
jid=${jid%%;*}   # --parsable prints JOBID or JOBID;CLUSTER
mid=$(sbatch --parsable --dependency=afterok:"$jid" --kill-on-invalid-dep=yes "$here/merge.sbatch")
mid=${mid%%;*}
echo "submitted array job $jid and merge job $mid (runs once every task succeeded)"
