#!/usr/bin/env bash
# Builds everything and runs every test project; ends with one line "N passed, N failed[, N skipped]".
# Extra arguments go to `dotnet test` (e.g. --filter FullyQualifiedName~Clahe).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required but 'dotnet' is not on PATH." >&2
  echo "0 passed, 1 failed"
  exit 4
fi

build/system-packages.sh --tests   # optional system packages and the test browser (best effort; see the script)

results=TestResults
rm -rf "$results"
dotnet test ClinFuse.slnx -c Release "$@"   # each test project writes TestResults/<project>.trx
rc=$?

passed=0; failed=0; total=0; aborted=()
shopt -s nullglob
for trx in "$results"/*.trx; do
  # A crashed test host leaves a TRX that counts only the tests that ran before the crash.
  grep -q 'The active test run was aborted' "$trx" && aborted+=("$(basename "$trx" .trx)")
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  total=$((total + $(get total)))
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
done
skipped=$((total - passed - failed))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the build or a test host failed before any result was written
fi
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
if [ "${#aborted[@]}" -gt 0 ]; then
  echo "test.sh: the test host crashed in ${aborted[*]}; the tests after the crash did not run (rerun that project with --blame-crash to find the crashing test)." >&2
  line="$line, ${#aborted[@]} test run(s) aborted"
  [ "$rc" -eq 0 ] && rc=1
fi
echo "$line"
exit "$rc"
