#!/usr/bin/env bash
# Builds the MKL vendor-check shim from mkl_shim.c beside this script into LIB (the launcher's
# runner/target/native/libft4j_mkl_shim.so) when it is missing or older than the source. The library is
# compiled beside its destination and renamed into place, so a concurrent launch never preloads half a
# file, and it is made 0755: mktemp creates 0600 files and gcc keeps that mode, which would leave every
# other user with an ld.so error per command. Exits 0 when LIB is usable afterwards, 1 otherwise.
set -euo pipefail
lib="$1"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/mkl_shim.c"
if [[ ! -f "$lib" || "$src" -nt "$lib" ]]; then
  command -v gcc >/dev/null 2>&1 || exit 1
  mkdir -p "$(dirname "$lib")"
  tmp="$(mktemp "$(dirname "$lib")/.libft4j_mkl_shim.XXXXXX")"
  if gcc -O2 -shared -fPIC -o "$tmp" "$src" 2>/dev/null && chmod 0755 "$tmp"; then
    mv -f "$tmp" "$lib"
  else
    rm -f "$tmp"
    exit 1
  fi
fi
# A shim this user cannot read (built by another user before it was made 0755) is not preloaded.
[[ -r "$lib" ]]
