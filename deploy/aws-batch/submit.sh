#!/bin/sh
# Submits a sharded denytrail run to AWS Batch: an array job of N shards, then the merge,
# which starts once every child of the array job has succeeded.
# Usage: deploy/aws-batch/submit.sh QUEUE N [parameters as for the job definitions]
# Register the two job definitions first:
#   aws batch register-job-definition --cli-input-json file://deploy/aws-batch/shard-job-definition.json
#   aws batch register-job-definition --cli-input-json file://deploy/aws-batch/merge-job-definition.json
set -eu
queue=$1
shards=$2
array=$(aws batch submit-job --job-name denytrail-shards --job-queue "$queue" \
  --job-definition denytrail-shard --array-properties "size=$shards" \
  --query jobId --output text)
aws batch submit-job --job-name denytrail-merge --job-queue "$queue" \
  --job-definition denytrail-merge --depends-on "jobId=$array" \
  --query jobId --output text
