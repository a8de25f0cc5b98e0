#!/bin/bash
# scan-table.sh [LOG|JSON]... - merge vmm scan results of many platforms into one table.
#
# Reads vmm-scan/1 JSON files (vmm scan --json=FILE), or the serial logs of the emulated platforms
# (tests/nested/out/PLATFORM.log, where matrix.sh prints its scan's JSON as VMM-SCAN-JSON lines
# of gzip+base64), and prints a markdown table: one row per class, one column per platform, each
# cell the verdict (with the first deviation's field). Without arguments: tests/nested/out/*.log.
# The JSON of each log is also written beside it, as PLATFORM.scan.json.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v jq >/dev/null || { echo "scan-table: needs jq" >&2; exit 2; }
[ $# -gt 0 ] || set -- "$here"/out/*.log
jsons=()
for f in "$@"; do
    [ -r "$f" ] || continue
    case $f in
        *.json) jsons+=("$f") ;;
        *)
            grep -q '^VMM-SCAN-JSON ' "$f" || continue
            j=${f%.log}.scan.json
            sed -n 's/^VMM-SCAN-JSON //p' "$f" | tr -d '\r' | base64 -d | gzip -dc >"$j"
            jsons+=("$j")
            ;;
    esac
done
[ ${#jsons[@]} -gt 0 ] || { echo "scan-table: no scan results in $*" >&2; exit 1; }

# One column per file, labelled with the platform (from the log's name) or vendor and kernel.
jq -rn '
  def cell: .verdict + (if .first and .first.field then " (" + .first.field + ")"
                        elif .first and .first.lost then " (lost)" else "" end);
  def label: (input_filename | split("/") | last) as $f
             | if ($f | endswith(".scan.json")) then ($f | rtrimstr(".scan.json"))
               else .vendor + " " + .host_kernel end;
  [inputs | {label: label, cells: (.classes | map({key: .class, value: cell}) | from_entries)}] as $cols
  | ([$cols[].cells | keys_unsorted[]] | reduce .[] as $k ([]; if index([$k]) then . else . + [$k] end)) as $rows
  | "| class | " + ($cols | map(.label) | join(" | ")) + " |",
    "|---|" + ($cols | map("---") | join("|")) + "|",
    ($rows[] as $r | "| " + $r + " | " + ($cols | map(.cells[$r] // "-") | join(" | ")) + " |")
' "${jsons[@]}"
