#!/usr/bin/env bash
# Loader fuzzing at full size: 100,000 inputs (CI runs 5,000). FUZZ_RUNS and FUZZ_SEED override.
#   scripts/fuzz-loader.sh            # ~100k inputs
#   FUZZ_SEED=123 scripts/fuzz-loader.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_RUNS=${FUZZ_RUNS:-100000}
export FUZZ_SCALE=${FUZZ_SCALE:-6}
# The summary line (inputs, outcomes, slowest input, peak RSS) is appended here as JSON.
export REL_RESULTS_FILE=${REL_RESULTS_FILE:-/tmp/stack-fuzz-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
echo "[fuzz] results: $REL_RESULTS_FILE"
npx vitest run --project reliability test/reliability/fuzz-loader.test.ts
