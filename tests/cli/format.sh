#!/usr/bin/env bash
# Fails when a tracked or new C++ file of the project is not clang-formatted (.clang-format).
# labels: format
set -euo pipefail
cd "$PANCAN_SOURCE_DIR"
mapfile -t files < <(find include src tests bench -type f \( -name '*.cpp' -o -name '*.hpp' \) | sort)
((${#files[@]} > 0)) || { echo "no C++ files found"; exit 1; }
if ! clang-format --dry-run -Werror "${files[@]}"; then
  echo "FAIL: run clang-format -i on the files above" >&2
  exit 1
fi
echo "format: ${#files[@]} files clean"
