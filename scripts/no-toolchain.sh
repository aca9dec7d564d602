#!/usr/bin/env bash
# Run a command as on a machine without a C/C++ toolchain and without Debian's chromium:
# in a private mount namespace, /usr/bin is replaced by a directory of links to every
# program of the real /usr/bin except the compilers, make and chromium (so `g++`, `cc`,
# `make` are "command not found", as on a fresh Debian 12). Nothing changes outside it.
#   usage (root): bash scripts/no-toolchain.sh 'git clone /path/to/slabcheck /tmp/fresh-clone && cd /tmp/fresh-clone && npm ci && npm test'
set -euo pipefail
[ "$#" -eq 1 ] || { echo "usage: $0 'command'" >&2; exit 2; }
exec unshare -m bash -c '
  set -euo pipefail
  mount --make-rprivate /
  real=$(mktemp -d /tmp/no-toolchain-real.XXXXXX); fake=$(mktemp -d /tmp/no-toolchain-bin.XXXXXX)
  mount --bind /usr/bin "$real"
  for p in "$real"/* "$real"/.[!.]*; do
    [ -e "$p" ] || [ -L "$p" ] || continue
    b=${p##*/}
    case "$b" in
      cc|c++|cpp|cpp-*|gcc|gcc-*|g++|g++-*|make|make-*|gmake|clang*|*-linux-gnu-gcc*|*-linux-gnu-g++*|*-linux-gnu-cpp*|*-linux-gnu-c++|chromium|chromium-*) continue ;;
    esac
    if [ -L "$p" ]; then
      # A link keeps its target; a relative one is taken from /usr/bin (npm -> ../lib/node_modules/...).
      t=$(readlink "$p"); case "$t" in /*) ;; *) t=/usr/bin/$t ;; esac
      ln -s "$t" "$fake/$b"
    else
      ln -s "$real/$b" "$fake/$b"
    fi
  done
  mount --bind "$fake" /usr/bin
  for t in g++ gcc cc c++ make chromium; do
    if command -v "$t" >/dev/null 2>&1; then echo "no-toolchain: $t is still reachable at $(command -v "$t")" >&2; exit 1; fi
  done
  echo "no-toolchain: g++ gcc cc c++ make chromium hidden" >&2
  bash -c "$0"
' "$1"
