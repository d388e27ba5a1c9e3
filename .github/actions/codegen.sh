#!/usr/bin/env bash
# The steps of action.yml, runnable anywhere: every input is an environment variable.
#
#   CODEGEN_PLANS    plan files or folders, separated by spaces (default: plans)
#   CODEGEN_BASE     git ref to diff against; default origin/$GITHUB_BASE_REF on pull requests,
#                    else no diff
#   CODEGEN_INSTALL  pip requirement or path to install codegen from; `none` (the default
#                    outside the action) uses the codegen on PATH
#   GITHUB_STEP_SUMMARY  where the Markdown diff report goes (default: stdout)
#
# Exit status: the worst of lint, check and diff (1 findings, 2 unusable input).
set -uo pipefail

install="${CODEGEN_INSTALL:-none}"
if [ "$install" != none ]; then
  python -m pip install --quiet "$install" || exit 2
fi

read -r -a entries <<< "${CODEGEN_PLANS:-plans}"
status=0
worst() { if [ "$1" -gt "$status" ]; then status=$1; fi; }

echo "::group::codegen lint"
codegen lint --format github "${entries[@]}"; worst $?
echo "::endgroup::"
echo "::group::codegen check"
codegen check --format github "${entries[@]}"; worst $?
echo "::endgroup::"

base="${CODEGEN_BASE:-}"
if [ -z "$base" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then
  base="origin/$GITHUB_BASE_REF"
fi
if [ -n "$base" ]; then
  # Compare with where the branch left the base, not with commits merged there since.
  if fork=$(git merge-base "$base" HEAD 2>/dev/null); then base="$fork"; fi
  summary="${GITHUB_STEP_SUMMARY:-/dev/stdout}"
  files=()
  for entry in "${entries[@]}"; do
    if [ -d "$entry" ]; then
      for file in "$entry"/*.yaml "$entry"/*.yml; do [ -f "$file" ] && files+=("$file"); done
    else
      files+=("$entry")
    fi
  done
  for plan in "${files[@]}"; do
    if ! git cat-file -e "$base:./$plan" 2>/dev/null; then
      printf '### %s\n\nA new plan (not in %s).\n\n' "$plan" "${CODEGEN_BASE:-$base}" >> "$summary"
      continue
    fi
    report=$(codegen diff --base "$base" "$plan" --format markdown); code=$?
    printf '### %s\n\n%s\n\n' "$plan" "$report" >> "$summary"
    if [ "$code" -eq 1 ]; then
      echo "::error file=$plan,title=codegen diff::plan.version is bumped too little for these changes (see the job summary)"
    fi
    worst "$code"
  done
fi
exit "$status"
