#!/usr/bin/env bash
# The course's test command (README, and .ci/run): installs missing Debian packages when it can,
# runs every test project in Release, and ends with one line "N passed, N failed".
# Elsewhere (Windows, macOS): `dotnet test Course.sln -c Release` runs the same tests.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash environment/setup.sh || echo "warning: environment/setup.sh failed; tests that need Jupyter tools will say what is missing" >&2

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
started=$SECONDS
# Build first, then test with --no-build: while dotnet test builds, each test project's test run holds the MSBuild node
# that built the shared libraries, and the other test projects wait for that node (measured: Kernel.Tests and
# Notebooks.Tests did not start building until Helpers.Tests had finished testing). With everything built, the three
# test assemblies run side by side (-m:3; the default is one MSBuild node per core); inside each, xunit.runner.json
# allows two test classes at a time. The notebook tests run every chapter once through the engine and grade each
# chapter's solution and shipped stubs; the kernel tests run two chapters through Jupyter.
# One libtorch (OpenMP) thread per process unless the caller sets it: the three test assemblies, two test classes at a
# time inside each and the grader's worker processes all run at once, and with libtorch's default of one thread per
# core they oversubscribe the cores; OpenMP threads that wait by spinning then burn the time the others need. Measured
# on 2 cores (2026-12-07): Helpers.Tests took 4 m 31 s with the default and 1 m 57 s with one thread each, the whole
# run 522 s (fresh clone) and 450 s (incremental build). Results do not depend on it: the same tests pass either way.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
dotnet build Course.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
  dotnet test Course.sln -c Release --no-build --nologo -m:3 "$@" 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi
echo "tests/run.sh: build and tests took $((SECONDS - started)) s" >&2

# One summary line per test assembly: "Passed!  - Failed: 0, Passed: 7, Skipped: 0, Total: 7, ..."
count() { grep -Eo "$1: +[0-9]+" "$log" | awk '{ n += $2 } END { print n + 0 }'; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the build or the test host failed before any test could report
  echo "dotnet test exited with $status before reporting failures (build error or crashed test host)" >&2
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
