#!/usr/bin/env bash
# Make the working tree small enough to travel to a lent GPU machine with a 62 MiB pack, and put it back.
#
#   bash training/device_tree.sh prepare   # before the device calls
#   bash training/device_tree.sh restore   # after them (also after a failed call: it is idempotent)
#
# The device tool copies the tracked and untracked-but-not-ignored files plus the carried paths, 64 MiB in all.
# Only training/ is needed there, so `prepare` untracks the rest of the tree (git rm --cached: the files stay on
# disk), ignores it through .git/info/exclude, and moves the wheels the device does not need out of .whl/
# (it needs soundfile, cffi and pycparser only). `restore` puts the index, the exclude file and the wheels back.
# Never commit between the two. Backups live in /tmp/device_tree/.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKUP=/tmp/device_tree
UNTRACK=(ctcdecode_plus lm demo benchmarks tests scripts README.md .ci pyproject.toml)
ASIDE=("rapidfuzz*" "jiwer*" "pyctcdecode*" "pygtrie*")

case "${1:-}" in
  prepare)
    if [ -f "$BACKUP/index" ]; then
      echo "already prepared ($BACKUP/index exists): run '$0 restore' first" >&2
      exit 2
    fi
    mkdir -p "$BACKUP/whl" .git/info
    touch .git/info/exclude  # a fresh clone may have none
    cp .git/index "$BACKUP/index"
    cp .git/info/exclude "$BACKUP/exclude"
    git rm -r -q --cached "${UNTRACK[@]}"
    printf '/%s\n' "${UNTRACK[@]}" gpu_pack/ .whl/ >> .git/info/exclude
    if [ -d .whl ]; then
      for pat in "${ASIDE[@]}"; do
        find .whl -maxdepth 1 -name "$pat" -exec mv {} "$BACKUP/whl/" \;
      done
    fi
    echo "prepared: the device will get training/ (+ carried paths); $(git ls-files | wc -l) tracked files" >&2
    ;;
  restore)
    if [ ! -f "$BACKUP/index" ]; then
      echo "nothing to restore ($BACKUP/index is missing)" >&2
      exit 0
    fi
    cp "$BACKUP/index" .git/index
    cp "$BACKUP/exclude" .git/info/exclude
    if [ -d "$BACKUP/whl" ]; then
      mkdir -p .whl
      find "$BACKUP/whl" -maxdepth 1 -name "*.whl" -exec mv {} .whl/ \;
    fi
    rm -rf "$BACKUP"
    git status --short | head -5 >&2
    echo "restored" >&2
    ;;
  *)
    echo "usage: $0 prepare|restore" >&2
    exit 2
    ;;
esac
