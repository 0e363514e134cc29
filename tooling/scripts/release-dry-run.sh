#!/usr/bin/env bash
# A release rehearsal that changes nothing here: in a scratch clone of HEAD, apply the pending
# changesets (`changeset version`), build, `pnpm publish --dry-run -r`, and run the consumer test
# on the versioned packages (the packed set installs together and every README example runs).
# The clone is deleted afterwards; nothing is committed or published.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/quire-release-XXXXXX")"
# Readable by others: as root, the PostgreSQL of the consumer test runs as the postgres user.
chmod 755 "$scratch"
trap 'rm -rf "$scratch"' EXIT
git clone --quiet "$root" "$scratch/repo"
cd "$scratch/repo"
pnpm install --frozen-lockfile --prefer-offline >/dev/null
pnpm changeset version
echo "versions after 'changeset version':"
for f in packages/*/package.json; do node -e "const p=require('./$f'); console.log('  ' + p.name + ' ' + p.version)"; done
pnpm build >/dev/null
pnpm publish --dry-run -r --no-git-checks 2>&1 | grep -E '^\+ |ERR' || true
pnpm --filter @quire/consumer-test test
