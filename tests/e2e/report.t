#!/bin/bash
# report.t - vmm report: a made-up run written through vmm's own sinks (tests/build/mklog,
# the same records as PREFIX.vmmlog and PREFIX.jsonl) must convert back to the JSONL log
# byte for byte, give the figures jq computes from the JSONL log, filter as jq does, and
# draw a timeline whose lanes show L1/L2, kicks and hazards where the run had them. Bad
# logs are refused with a reason. With /dev/kvm, the same for a real run: the binary and
# the JSONL log of one kernel agree field for field, and the report's figures equal jq's.
. "$(dirname "$0")/lib.sh"

MKLOG=$E2E_ROOT/tests/build/mklog
command -v jq >/dev/null || bail "jq is not installed"
[ -x "$VMM" ] || bail "$VMM not built (make vmm)"
[ -x "$MKLOG" ] || make -s -C "$E2E_ROOT" tests/build/mklog >/dev/null 2>&1 || bail "cannot build tests/build/mklog"
plan 36

"$MKLOG" "$T/mk" || bail "mklog failed"
bin=$T/mk.vmmlog log=$T/mk.jsonl

# report ARGS...: vmm report; sets rc, out, err like run_vmm.
report() {
	_run_n=$((_run_n + 1))
	out=$T/out.$_run_n err=$T/err.$_run_n
	last_cmd="vmm report $*"
	timeout -s KILL 60 "$VMM" report "$@" </dev/null >"$out" 2>"$err"
	rc=$?
}

# ---- conversion ----
report --format=jsonl "$bin"
ok '[ $rc = 0 ] && cmp -s "$out" "$log"' "--format=jsonl of the binary log is the JSONL log, byte for byte"
report --format=jsonl "$log"
ok '[ $rc = 0 ] && cmp -s "$out" "$log"' "--format=jsonl of the JSONL log is the same log"
report --format=text "$bin"
is "$(grep -vc '^#' "$out"),$(grep -v '^#' "$out" | awk '{print $1}' | sort -n -c && echo sorted)" "20002,sorted" \
	"--format=text: every record, in seq order"
ok 'tail -n 1 "$out" | grep -q "^# summary: {\"summary\""' "--format=text ends with the run's summary"

# ---- figures against jq ----
report --ns "$bin"
rep=$out
ok '[ $rc = 0 ] && [ ! -s "$err" ]' "vmm report of the binary log: status 0, nothing on stderr"
# "reason level count" rows of the exits table, sorted, against jq's group_by.
rows() { sed -n '/^Exits by reason/,/^  total/p' "$1" | awk '$3 ~ /^[0-9]+$/ && $1 != "total" {print $1, $2, $3}' | sort; }
jrows() { jq -r -s '[.[] | select(has("seq"))] | group_by([.reason, .level]) | .[] | "\(.[0].reason) \(.[0].level) \(length)"' "$log" | sort; }
is "$(rows "$rep" | tr '\n' ';')" "$(jrows | tr '\n' ';')" "exits by reason and level: the counts jq finds"
is "$(awk '$1 == "total" {print $2}' "$rep")" "$(jq -s '[.[] | select(has("seq"))] | length' "$log")" "total exits as jq counts them"
# run min/avg/max per row (ns, averages rounded down).
rrun() { sed -n '/^Exits by reason/,/^  total/p' "$rep" | awk '$3 ~ /^[0-9]+$/ && $1 != "total" {print $1, $2, $6, $7, $8}' | sed 's/ns//g' | sort; }
jrun() { jq -r -s '[.[] | select(has("seq"))] | group_by([.reason, .level]) | .[] | "\(.[0].reason) \(.[0].level) \(map(.run_ns) | min) \(map(.run_ns) | add / length | floor) \(map(.run_ns) | max)"' "$log" | sort; }
is "$(rrun | tr '\n' ';')" "$(jrun | tr '\n' ';')" "time in KVM_RUN, min/avg/max per row: jq's"
# vmm time after each return: the next record of the same vCPU carries it (vmm_ns).
rvmm() { sed -n '/^Exits by reason/,/^  total/p' "$rep" | awk '$3 ~ /^[0-9]+$/ && $1 != "total" {print $1, $2, $9, $10, $11}' | sed 's/ns//g' | sort; }
jvmm() { jq -r -s '[.[] | select(has("seq"))] | group_by(.vcpu) | map(sort_by(.seq) | . as $r | [range(0; length - 1) | {reason: $r[.].reason, level: $r[.].level, v: $r[. + 1].vmm_ns} | select(.v != null)]) | add | group_by([.reason, .level]) | .[] | "\(.[0].reason) \(.[0].level) \(map(.v) | min) \(map(.v) | add / length | floor) \(map(.v) | max)"' "$log" | sort; }
is "$(rvmm | tr '\n' ';')" "$(jvmm | tr '\n' ';')" "time in vmm after the return, min/avg/max per row: jq's"
# Per vCPU: exits, L1, L2, kicks, hazards.
rvcpu() { sed -n '/^Per vCPU/,/^Kicks/p' "$rep" | awk '$1 ~ /^[0-9]+$/ {print $1, $2, $3, $4, $6, $7}'; }
jvcpu() { jq -r -s '[.[] | select(has("seq"))] | group_by(.vcpu) | .[] | "\(.[0].vcpu) \(length) \(map(select(.level == "L1")) | length) \(map(select(.level == "L2")) | length) \(map(.kicks) | add) \(map(select(.hazard)) | length)"' "$log"; }
is "$(rvcpu | tr '\n' ';')" "$(jvcpu | tr '\n' ';')" "per vCPU exits, L1, L2, kicks and hazards: jq's"
is "$(awk '/^  consumed/ {print $2}' "$rep"),$(awk '/^  sent/ {print $2}' "$rep")" \
	"$(jq -s '[.[] | select(has("seq")) | .kicks] | add' "$log"),$(tail -n 1 "$log" | jq .summary.kick.sent)" "kicks consumed (records) and sent (summary): jq's"
is "$(awk '/^Hazards/ {print $NF}' "$rep")" "$(jcount '.hazard')" "hazards: jq's count"
ok 'grep -q "^Time inside KVM_RUN (20002 exits" "$rep" && grep -q "^Time in vmm from the return" "$rep"' "both time histograms are printed"
report --ns "$log"
ok '[ $rc = 0 ] && diff <(tail -n +2 "$out") <(tail -n +3 "$rep") >/dev/null' "the JSONL log gives the same report as the binary one"

# ---- filters ----
report --ns --vcpu=1 --reason=IO --level=L2 "$bin"
is "$(awk '$1 == "total" {print $2}' "$out")" "$(jcount '.vcpu == 1 and .reason == "IO" and .level == "L2"')" "--vcpu=1 --reason=IO --level=L2: jq's count"
report --ns --from=2s --to=5s "$bin"
is "$(awk '$1 == "total" {print $2}' "$out")" "$(jcount '.t_ns >= 2000000000 and .t_ns <= 5000000000')" "--from=2s --to=5s: jq's count"
report --format=jsonl --reason=INTR --reason=IO --level=L1 "$bin"
is "$(jq -s 'length' "$out")" "$(( $(jcount '.level == "L1"') + 1 ))" "--format with filters converts only the records selected (and the summary)"

# ---- bad input ----
report "$T/none.vmmlog"
ok '[ $rc = 2 ] && grep -q "none.vmmlog: No such file" "$err"' "a missing log: status 2, named"
head -c 5000 /dev/urandom | tr -d '{' >"$T/junk"
report "$T/junk"
ok '[ $rc = 2 ] && grep -q "junk: neither a vmm binary log nor a JSONL log" "$err"' "a file that is no log: status 2, with the reason"
cp "$bin" "$T/v9.vmmlog"; patch "$T/v9.vmmlog" 8 '<I' 9
report "$T/v9.vmmlog"
ok '[ $rc = 2 ] && grep -q "unknown format version" "$err"' "a binary log of an unknown version: status 2, with the reason"
head -c 100 "$bin" >"$T/short.vmmlog"
report "$T/short.vmmlog"
ok '[ $rc = 2 ] && grep -q "header cut short" "$err"' "a binary log cut inside its header: status 2, with the reason"
# Cut inside vCPU 0's 101st record: 100 records of vCPU 0 remain, the torn one is dropped.
head -c $((4096 + 100 * 128 + 50)) "$bin" >"$T/cut.vmmlog"
report --format=jsonl "$T/cut.vmmlog"
is "$rc,$(grep -c '"seq"' "$out"),$(jq -s '[.[].vcpu] | unique' -c "$out")" "0,100,[0]" "a log cut inside a record: the 100 whole ones, read as they were"
ok 'grep -q "1 torn or corrupt record(s) dropped" "$err"' "... and the torn one is reported dropped, not misread"
report --format=xml "$bin"
ok '[ $rc = 2 ] && grep -q "expected jsonl or text" "$err"' "--format=xml: status 2"
report --from=5s --to=1s "$bin"
ok '[ $rc = 2 ] && grep -q "after --to" "$err"' "--from after --to: status 2"

# ---- the picture ----
if ! command -v rsvg-convert >/dev/null; then
	for i in 1 2 3 4 5 6 7 8; do skip "timeline picture" "rsvg-convert not installed (tests/deps.sh host)"; done
else
	report --svg="$T/t.svg" "$bin"
	ok '[ $rc = 0 ] && rsvg-convert -o "$T/t.png" "$T/t.svg"' "--svg writes an SVG that rsvg-convert renders"
	# pixel X Y: the colour at X,Y of the PNG as a name (blue = L1, orange = L2, red, black, ...).
	cat >"$T/pix.py" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
pos, idat, w, h, ct = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ct = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
bpp = 4 if ct == 6 else 3
raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
for y in range(h):
    f, line = raw[y * (w * bpp + 1)], bytearray(raw[y * (w * bpp + 1) + 1:(y + 1) * (w * bpp + 1)])
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
def name(x, y):
    r, g, b = rows[y][x * bpp:x * bpp + 3]
    for n, (R, G, B) in {"blue": (0x3b, 0x78, 0xc4), "orange": (0xf0, 0x8a, 0x24), "red": (0xd6, 0x20, 0x20),
                         "black": (0x11, 0x11, 0x11), "white": (255, 255, 255), "grey": (0xf4, 0xf4, 0xf4)}.items():
        if abs(r - R) + abs(g - G) + abs(b - B) < 40: return n
    return "other"
if sys.argv[2] == "size": print(f"{w}x{h}")
elif sys.argv[2] == "row":   # the colours along row Y from X0 to X1, runs merged
    y, out = int(sys.argv[3]), []
    for x in range(int(sys.argv[4]), int(sys.argv[5])):
        n = name(x, y)
        if not out or out[-1] != n: out.append(n)
    print(",".join(out))
else: print(" ".join(name(int(a), int(b)) for a, b in (p.split(",") for p in sys.argv[2:])))
EOF
	pix() { python3 "$T/pix.py" "$T/t.png" "$@"; }
	# Layout (timeline.c): lanes from y=56, 44 px apart, bars 28 px; x = 70 + t / 10 s * 1110.
	x() { python3 -c "print(int(70 + $1 / 10.0 * 1110))"; }
	is "$(pix size)" "1200x174" "the picture has room for two lanes, no more"
	is "$(pix "$(x 1),70" "$(x 3.5),70" "$(x 5.5),70" "$(x 8.5),70")" "blue orange blue orange" \
		"vCPU 0's lane: L1 at 1 s, L2 at 3.5 s, L1 at 5.5 s, L2 at 8.5 s"
	is "$(pix "$(x 1),114" "$(x 3.5),114" "$(x 5.5),114" "$(x 8.5),114")" "blue orange blue orange" \
		"vCPU 1's lane: L1 at 1 s, L2 at 3.5 s, L1 at 5.5 s, L2 at 8.5 s"
	is "$(pix row 88 70 1180)" "white,red,white,red,white" "vCPU 0: two hazard marks below its lane..."
	is "$(pix "$(x 2.5),88" "$(x 7),88"),$(pix row 132 70 1180)" "red red,white" "... at 2.5 s and 7 s; none under vCPU 1's"
	is "$(pix row 52 71 1179),$(pix row 96 71 1179)" "black,black" "kick marks above both lanes all along (a kick every 2 ms)"
	# A window: 2.4-2.6 s spans the picture; its hazard at 2.5 s is mid-way, kicks one by one.
	report --svg="$T/t.svg" --from=2400ms --to=2600ms "$bin"
	rsvg-convert -o "$T/t.png" "$T/t.svg"
	ticks=$(pix row 52 71 1179 | tr ',' '\n' | grep -c black)
	ok '[ $rc = 0 ] && [ "$(pix 625,88 625,70 625,114)" = "red orange blue" ] && [ "$ticks" -ge 90 ]' \
		"--from=2400ms --to=2600ms: the window fills the picture, the hazard mid-way, $ticks separate kick marks"
fi

# ---- a real run (needs /dev/kvm) ----
dev=${VMM_KVM_DEVICE:-/dev/kvm}
if [ ! -c "$dev" ] || ! { : <>"$dev"; } 2>/dev/null; then
	for i in 1 2 3; do skip "a real run's logs" "cannot open $dev read-write"; done
	exit 0
fi
need_kvm >/dev/null
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=2000" --log="$T/real.vmmlog"
a=$rc
run_vmm -q -k "$G/exits.elf" --append "kind=pio n=2000" --log="$T/real.jsonl" --log-format=jsonl
log=$T/real.jsonl
# Times differ from run to run; every other field both logs have must agree.
strip='select(has("seq")) | del(.t_ns, .run_ns, .vmm_ns)'
report --format=jsonl "$T/real.vmmlog"
ok '[ $a = 0 ] && [ $rc = 0 ] && diff <(jq -c "$strip" "$out") <(jq -c "$strip" "$log") >/dev/null' \
	"a real run: the binary log converted equals the JSONL log of the same kernel, field for field"
report --ns "$log"
is "$(rows "$out" | tr '\n' ';')" "$(jrows | tr '\n' ';')" "a real run: exits by reason and level are jq's"
rep=$out
is "$(rrun | tr '\n' ';')" "$(jrun | tr '\n' ';')" "a real run: time in KVM_RUN per row is jq's"
