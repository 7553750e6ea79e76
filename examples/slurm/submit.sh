#!/bin/sh
# Submits the classify array, then the merge to run once every array task succeeded.
#   IMAGES=/shared/photos LABELS=/shared/labels.txt OUT=/shared/out ./submit.sh
set -eu
cd "$(dirname "$0")"
jid=$(sbatch --parsable classify.sbatch)
jid=${jid%%;*}   # --parsable prints JOBID or JOBID;CLUSTER
sbatch --dependency=afterok:"$jid" merge.sbatch
echo "submitted array job $jid and its merge"
