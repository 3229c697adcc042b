#!/usr/bin/env bash
# Fetches the training sources, through the package registries only, into training/work/raw/.
# Prerequisites: apt-get (Debian bookworm sources), dpkg, npm, tar. Nothing is installed system-wide.
#   Debian: openclipart-png, openclipart-svg (1:0.18+dfsg-19)  -> work/raw/openclipart/usr/share/openclipart/{png,svg}
#   npm:    emoji-datasource-google@16.0.0, emoji-datasource-twitter@16.0.0, emojibase-data@16.0.3
# Idempotent: a source already unpacked (marker file .done) is skipped.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
raw="$here/work/raw"
mkdir -p "$raw/debs" "$raw/npm"

if [[ ! -f "$raw/openclipart/.done" ]]; then
  (cd "$raw/debs" && for p in openclipart-png openclipart-svg; do
     ls ${p}_*.deb >/dev/null 2>&1 || apt-get download "$p"; done)
  rm -rf "$raw/openclipart"; mkdir -p "$raw/openclipart"
  for d in "$raw"/debs/*.deb; do dpkg -x "$d" "$raw/openclipart"; done
  touch "$raw/openclipart/.done"
fi

for spec in emoji-datasource-google@16.0.0 emoji-datasource-twitter@16.0.0 emojibase-data@16.0.3; do
  name="${spec%@*}"
  if [[ ! -f "$raw/npm/$name/.done" ]]; then
    (cd "$raw/npm" && rm -f "$name"-*.tgz && npm pack --silent "$spec" >/dev/null)
    rm -rf "$raw/npm/$name"; mkdir -p "$raw/npm/$name"
    tar -xzf "$raw/npm/$name"-*.tgz -C "$raw/npm/$name" --strip-components=1
    touch "$raw/npm/$name/.done"
  fi
done
echo "fetch_data: sources in $raw"
