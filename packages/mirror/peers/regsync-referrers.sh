#!/usr/bin/env bash
# Extracts regsync's referrer settings (yaml keys of its sync entries, and their defaults) from regclient's
# own source at a tag, into regsync-referrers.txt beside this script: what packages/mirror/README.md says
# of regsync (`referrerFilters`, `digestTags`, both off by default) comes from here.
#   bash regsync-referrers.sh /path/to/regclient.git v0.11.5
set -euo pipefail
repo=${1:?a regclient git directory}
tag=${2:?a tag, e.g. v0.11.5}
out="$(dirname "$0")/regsync-referrers.txt"
config=$(git -C "$repo" show "$tag:cmd/regsync/config.go")
{
  echo "# regclient $tag ($(git -C "$repo" rev-parse "$tag^{commit}")), cmd/regsync/config.go"
  echo "# yaml keys of a sync entry that concern referrers and digest tags:"
  grep -oE 'yaml:"(digestTags|referrers|referrerFilters|referrerSource|referrerTarget|referrerSlow)"' <<<"$config" |
    sort -u | sed 's/yaml:/key: /'
  echo "# keys of a referrerFilters entry:"
  sed -n '/^type ConfigReferrerFilter struct/,/^}/p' <<<"$config" | grep -oE 'yaml:"[a-zA-Z]+"' | sed 's/yaml:/key: /'
  echo "# defaults (an entry without the key takes the defaults section's, else false):"
  grep -E '^\s+b := \(d\.(DigestTags|Referrers) != nil' <<<"$config" | sed 's/^\s*/default: /'
} >"$out"
