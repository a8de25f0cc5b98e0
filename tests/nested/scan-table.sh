#!/bin/bash
# scan-table.sh [--all] [LOG|JSON]... - merge vmm scan results of many platforms into one table.
#
# Reads vmm-scan/1 JSON files (vmm scan --json=FILE), or the serial logs of the emulated platforms
# (tests/nested/out/PLATFORM.log, where matrix.sh prints its scan's JSON as VMM-SCAN-JSON lines
# of gzip+base64), and prints a markdown table: one row per class, one column per platform, each
# cell the verdict (with the fields that deviated). Without arguments: tests/nested/out/*.log.
# The MSRs are one row of verdict counts, plus a row for each MSR that deviated; --all: every MSR.
# The JSON of each log is also written beside it, as PLATFORM.scan.json.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v jq >/dev/null || { echo "scan-table: needs jq" >&2; exit 2; }
all=false
[ "${1:-}" = --all ] && { all=true; shift; }
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
jq -rn --argjson all "$all" '
  def cell: .verdict + (if (.fields // []) != [] then " (" + (.fields | join(", ")) + ")"
                        elif .first and .first.lost then " (" + .first.lost + ")" else "" end);
  def column: (input_filename | split("/") | last) as $f
             | if ($f | endswith(".scan.json")) then ($f | rtrimstr(".scan.json") | rtrimstr(".script"))
               else .vendor + " " + .host_kernel end;
  def msr_counts: [.classes[] | select(.class | startswith("msr:")) | .verdict]
                  | group_by(.) | map("\(.[0]) \(length)") | join(", ");
  def keep: ($all or (.class | startswith("msr:") | not) or (.verdict != "SAFE" and .verdict != "REFUSED"));
  [inputs | {label: column,
             cells: ((.classes | map(select(keep)) | map({key: .class, value: cell}) | from_entries)
                     + (if $all then {} else {"MSRs (all of KVM_GET_MSR_INDEX_LIST)": msr_counts} end))}] as $cols
  | ([$cols[].cells | keys_unsorted[]] | reduce .[] as $k ([]; if index([$k]) then . else . + [$k] end)) as $rows
  | "| class | " + ($cols | map(.label) | join(" | ")) + " |",
    "|---|" + ($cols | map("---") | join("|")) + "|",
    ($rows[] as $r | "| " + $r + " | " + ($cols | map(.cells[$r] // "-") | join(" | ")) + " |")
' "${jsons[@]}"
