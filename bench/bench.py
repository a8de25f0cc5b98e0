#!/usr/bin/env python3
"""bench.py - runs the cases of issue 7 (floor, vmm variants, QEMU/KVM), prints one table with
min/median/max and ratios of medians, PASS/MISS per target, and writes bench/results.json.
Called by bench.sh after it built vmm, the guests and bench/floor. Never fails on a MISS.

Every exit-rate case is run at n=N and at n=0 (same command otherwise); the medians of the n=0
runs (process start-up, boot, guest print and exit) are subtracted, so that a rate is
N*vcpus / (median wall(n=N) - median wall(n=0)) and CPU per exit likewise uses user time."""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
QUICK = "--quick" in sys.argv
N = int(os.environ.get("BENCH_N", 20000 if QUICK else 1000000))
RUNS = int(os.environ.get("BENCH_RUNS", 3 if QUICK else 5))
KICK_S = float(os.environ.get("BENCH_KICK_S", 0.5 if QUICK else 2))
SEABIOS_RUNS = int(os.environ.get("BENCH_SEABIOS_RUNS", 0 if QUICK else RUNS))  # ~10 s a boot
TMP = tempfile.mkdtemp(prefix="vmm-bench.")
G = "guests/build"
EXITS, EXITS32 = f"{G}/exits.elf", f"{G}/exits32.elf"
QEMU = shutil.which("qemu-system-x86_64")
QEMU_BASE = [QEMU or "qemu-system-x86_64", "-accel", "kvm", "-cpu", "host,-arch-capabilities",
             "-m", "64", "-nographic", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
QEMU_OK = {0: False, 1: True}  # isa-debug-exit: status (v<<1)|1, so 1 is the guest's 0


def run(argv, ok=(0,)):
    """Run argv, output discarded; returns (wall s, user s, sys s, maxrss KiB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise RuntimeError(f"{' '.join(argv)}: status {code}: {err.decode()[-300:]}")
    return wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss


def stats(xs):
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "runs": xs}


# ---- cases -----------------------------------------------------------------------------------
# --platform=bare: the multiboot exits32.elf would get the pc platform, whose in-kernel LAPIC
# keeps HLT inside KVM (kind=hlt would never exit); bare measures vmm's own exit path.
def vmm(*opts):
    def argv(kernel, append, vcpus):
        return ["./vmm", "-q", "--platform=bare", "-c", str(vcpus), "--kernel", kernel,
                "--append", append, *opts]
    return argv


def floor(kernel, append, vcpus):
    return ["bench/floor", "-c", str(vcpus), kernel, append]


def qemu(kernel, append, vcpus):
    return QEMU_BASE + ["-M", "microvm", "-smp", str(vcpus), "-kernel", kernel, "-append", append]


JL, TL, BL = f"{TMP}/log.jsonl", f"{TMP}/log.txt", f"{TMP}/log.vmmlog"
CASES = [  # name, label, argv builder
    ("floor", "floor (bench/floor)", floor),
    ("vmm", "vmm, log off", vmm()),
    ("vmm-bin", "vmm --log binary file (.vmmlog)", vmm(f"--log={BL}")),
    ("vmm-jsonl", "vmm --log JSONL file", vmm(f"--log={JL}", "--log-format=jsonl")),
    ("vmm-text", "vmm --log text file", vmm(f"--log={TL}", "--log-format=text")),
    ("vmm-sync-none", "vmm --sync-regs=none", vmm("--sync-regs=none")),
    ("vmm-l2-stats", "vmm JSONL --l2-detect=stats",
     vmm(f"--log={JL}", "--log-format=jsonl", "--l2-detect=stats")),
    ("vmm-l2-nstate", "vmm JSONL --l2-detect=nested-state",
     vmm(f"--log={JL}", "--log-format=jsonl", "--l2-detect=nested-state")),
    ("qemu", "QEMU/KVM (microvm, multiboot)", qemu),
    # --trace-kvm's cost (measured at n=N/10: 4 kernel events a pio exit fill a log fast).
    ("vmm-bin-trace", "vmm binary log --trace-kvm", vmm(f"--log={BL}", "--trace-kvm")),
    ("vmm-jsonl-trace", "vmm JSONL --trace-kvm", vmm(f"--log={JL}", "--log-format=jsonl",
                                                     "--trace-kvm")),
]
TRACE = ("vmm-bin-trace", "vmm-jsonl-trace")
LABEL = {c[0]: c[1] for c in CASES}
BUILD = {c[0]: c[2] for c in CASES}


def unavailable(name):
    """Why a case cannot run here, or None."""
    if name in TRACE:
        p = subprocess.run(["./vmm", "--trace-kvm=list"], capture_output=True, text=True)
        if p.returncode != 0:
            return "n/a: " + p.stderr.strip().split("\n")[-1].replace("vmm: ", "")[:110]
    if name == "qemu" and not QEMU:
        return "n/a: qemu-system-x86_64 not installed"
    if name == "vmm-l2-nstate":
        p = subprocess.run(["./vmm", "-q", "--kernel", EXITS, "--append", "n=1",
                            "--l2-detect=nested-state"], capture_output=True, text=True)
        if p.returncode != 0:
            return "n/a: " + p.stderr.strip().rsplit(": ", 1)[-1]
    if name == "qemu":
        try:
            run(qemu(EXITS32, "kind=pio n=1 cpus=1", 1), ok=(1,))
        except RuntimeError as e:
            return "n/a: QEMU cannot use this host's KVM: " + str(e).splitlines()[-1][:120]
    return None


def measure(names, kernel, kind, vcpus, N=N):
    """Exit-rate cases of one kind: a warm-up of each, then RUNS rounds that run every case at
    n=N and at n=0 in turn, so that the load of this shared machine drifts over all alike."""
    cmds = {}
    for name in names:
        build = BUILD[name]
        ok = (1,) if name == "qemu" else (0,)
        cmds[name] = (build(kernel, f"kind={kind} n={N} cpus={vcpus}", vcpus),
                      build(kernel, f"kind={kind} n=0 cpus={vcpus}", vcpus), ok)
        run(build(kernel, f"kind={kind} n={max(N // 10, 1)} cpus={vcpus}", vcpus), ok)
    rn = {name: [] for name in names}
    r0 = {name: [] for name in names}
    for _ in range(RUNS):
        for name, (full, zero, ok) in cmds.items():
            rn[name].append(run(full, ok))
            r0[name].append(run(zero, ok))
            for f in (JL, TL, BL):
                if os.path.exists(f):
                    os.unlink(f)
    exits, out = N * vcpus, {}
    for name in names:
        w0 = statistics.median(r[0] for r in r0[name])
        u0 = statistics.median(r[1] for r in r0[name])
        # A run whose exit phase is under a tenth of its wall time says more about start-up
        # noise (QEMU's varies by 100s of ms) than about exits: left out, and counted.
        rates = [exits / (r[0] - w0) for r in rn[name] if r[0] - w0 > 0.1 * r[0]]
        dropped = RUNS - len(rates)
        if not rates:
            out[name] = {"na": f"n/a: n={N} too small against start-up noise (raise BENCH_N)"}
            continue
        user_ns = [max(r[1] - u0, 0) / exits * 1e9 for r in rn[name]]
        # getrusage's user time is tick-based here (4 ms): pool all runs for the mean.
        pooled = (sum(r[1] for r in rn[name]) - sum(r[1] for r in r0[name])) / (RUNS * exits) * 1e9
        out[name] = {"exits": exits, "rate": stats(rates), "user_ns_per_exit": stats(user_ns),
                     "user_ns_per_exit_pooled": max(pooled, 0.0), "runs_dropped": dropped,
                     "wall_s": stats([r[0] for r in rn[name]]), "base_wall_s": w0, "base_user_s": u0}
    return out


RESULTS = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "uptime": open("/proc/loadavg").read().split()[:3],
           "n": N, "runs": RUNS, "quick": QUICK, "host": os.uname().release,
           "rates": {}, "qemu_block": {}, "startup": {}, "kicks": {}, "rss": {}, "targets": []}
NA = {name: unavailable(name) for name in LABEL}


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- 1. exit rates on exits.elf (ELF64, long mode) --------------------------------------------
KINDS = [("pio", 1), ("mmio", 1), ("hlt", 1), ("pio", 2)]
for kind, vcpus in KINDS:
    key = f"{kind}x{vcpus}" if vcpus > 1 else kind
    names = [n for n in LABEL if n != "qemu" and n not in TRACE and not NA[n]]
    progress(f"bench: exits.elf {key}: {' '.join(names)}")
    RESULTS["rates"][key] = measure(names, EXITS, kind, vcpus)
    RESULTS["rates"][key].update({n: {"na": NA[n]} for n in LABEL
                                  if n != "qemu" and n not in TRACE and NA[n]})

# ---- 1b. --trace-kvm: the same runs with and without it, at n=N/10 ---------------------------
NT = max(N // 10, 1000)
RESULTS["trace"] = {"n": NT}
for kind, vcpus in (("pio", 1), ("hlt", 1)):
    pairs = [("vmm-bin", "vmm-bin-trace"), ("vmm-jsonl", "vmm-jsonl-trace")]
    names = [n for pair in pairs for n in pair if not NA[n]]
    progress(f"bench: --trace-kvm exits.elf {kind} n={NT}: {' '.join(names)}")
    RESULTS["trace"][kind] = measure(names, EXITS, kind, vcpus, NT)
    RESULTS["trace"][kind].update({n: {"na": NA[n]} for pair in pairs for n in pair if NA[n]})

# ---- 2. QEMU comparison: the same multiboot ELF32 file for every VMM --------------------------
for kind in ("pio", "mmio", "hlt"):
    names = [n for n in ("floor", "vmm", "vmm-bin", "vmm-jsonl", "qemu") if not NA[n]]
    if kind == "hlt" and "qemu" in names:
        names.remove("qemu")
    progress(f"bench: exits32.elf {kind}: {' '.join(names)}")
    RESULTS["qemu_block"][kind] = measure(names, EXITS32, kind, 1)
    if NA["qemu"]:
        RESULTS["qemu_block"][kind]["qemu"] = {"na": NA["qemu"]}
    elif kind == "hlt":
        RESULTS["qemu_block"][kind]["qemu"] = {
            "na": "n/a: QEMU's in-kernel irqchip keeps HLT in KVM (no userspace exit)"}

# ---- 3. start-up --------------------------------------------------------------------------------
def startup(key, argv, ok=(0,), runs=RUNS):
    progress(f"bench: start-up {key}")
    run(argv, ok)
    RESULTS["startup"][key] = {"argv": " ".join(argv),
                               "wall_s": stats([run(argv, ok)[0] for _ in range(runs)])}


HELLO32 = ["--kernel", EXITS32, "--append", "kind=pio n=0 cpus=1"]
startup("vmm hello64.elf", ["./vmm", "-q", "--kernel", f"{G}/hello64.elf", "--append", "cpus=1"])
startup("floor hello64.elf", ["bench/floor", f"{G}/hello64.elf", "cpus=1"])
startup("vmm exits32.elf n=0", ["./vmm", "-q", "--platform=bare"] + HELLO32)
if not NA["qemu"]:
    q32 = ["-kernel", EXITS32, "-append", "kind=pio n=0 cpus=1"]
    startup("QEMU microvm (qboot) exits32.elf n=0", QEMU_BASE + ["-M", "microvm"] + q32, ok=(1,))
    if SEABIOS_RUNS:
        startup("QEMU pc -nodefaults (SeaBIOS) exits32.elf n=0",
                QEMU_BASE + ["-M", "pc", "-nodefaults", "-vga", "none", "-serial", "stdio"] + q32,
                ok=(1,), runs=SEABIOS_RUNS)

# ---- 4. kicks: the rate delivered, and the latency from the timer's expiry -----------------------
# unaccounted = requested - delivered - overruns: expiries that no signal and no overrun stood for
# (at most the one in flight per vCPU when its timer stops).
for label, interval, vcpus in (("1 kHz", "1ms", 1), ("10 kHz", "100us", 1), ("10 kHz x2", "100us", 2),
                               ("100 kHz", "10us", 1)):
    progress(f"bench: kicks {label}")
    log = f"{TMP}/kick.jsonl"
    run(["./vmm", "-q", "--kernel", f"{G}/spin.elf", "--append", "n=0", f"--duration={int(KICK_S * 1000)}ms",
         "-c", str(vcpus), f"--kick={interval}", f"--log={log}", "--log-format=jsonl"])
    s = json.loads(subprocess.run(["jq", "-c", "select(.summary) | .summary", log],
                                  capture_output=True, text=True, check=True).stdout)
    k = s["kick"]
    sent = sum(v["kicks_sent"] for v in s["vcpus"])
    consumed = sum(v["kicks_consumed"] for v in s["vcpus"])
    failed = sum(v["kicks_failed"] for v in s["vcpus"])
    RESULTS["kicks"][label] = {"median_ns": k["latency_ns"]["median"], "p99_ns": k["latency_ns"]["p99"],
                               "samples": k["latency_ns"]["n"], "sent": sent, "consumed": consumed,
                               "failed": failed, "returns": s["runs"], "vcpus": vcpus,
                               "requested": k["requested"], "delivered": k["delivered"],
                               "overruns": k["overruns"],
                               "ratio": k["delivered"] / k["requested"] if k["requested"] else None,
                               "unaccounted": max(0, k["requested"] - k["delivered"] - k["overruns"] - vcpus)}
    os.unlink(log)

# ---- 5. peak RSS: VmHWM and the guest RAM mapping's Rss, sampled from /proc until vmm exits
# (ru_maxrss of a child would include this Python process, which the child was forked from).
progress("bench: peak RSS")
p = subprocess.Popen(["./vmm", "-q", "-m", "64M", "--kernel", f"{G}/spin.elf", "--append", "n=0 touch=1",
                      "--duration=1500ms"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
hwm_kb = guest_kb = 0
while p.poll() is None:
    try:
        with open(f"/proc/{p.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm_kb = max(hwm_kb, int(line.split()[1]))
        with open(f"/proc/{p.pid}/smaps") as f:  # the 64 MiB guest RAM mapping
            size = None
            for line in f:
                if line.startswith("Size:"):
                    size = int(line.split()[1])
                elif line.startswith("Rss:") and size == 65536:
                    guest_kb = max(guest_kb, int(line.split()[1]))
    except (OSError, ValueError):
        pass
    time.sleep(0.02)
RESULTS["rss"] = {"maxrss_kib": hwm_kb, "guest_touched_kib": guest_kb,
                  "beyond_guest_kib": hwm_kb - guest_kb}
shutil.rmtree(TMP, ignore_errors=True)

# ---- table and targets ------------------------------------------------------------------------------
def med(block, key, name, what="rate"):
    r = block.get(key, {}).get(name, {})
    if "na" in r:
        return None
    if what == "user":
        return r.get("user_ns_per_exit_pooled")
    return r[what]["median"] if what in r else None


def target(desc, value, limit, ok):
    if value is None:
        res = "n/a"
    else:
        res = "PASS" if ok(value, limit) else "MISS"
    RESULTS["targets"].append({"target": desc, "value": value, "limit": limit, "result": res})


rt = RESULTS["rates"]
# Issue 14's targets: ratios to the floor measured in the same run.
for kind in ("pio", "mmio", "hlt"):
    fl = med(rt, kind, "floor")
    for name, lim in (("vmm-bin", 0.98), ("vmm", 0.98), ("vmm-jsonl", 0.95)):
        v = med(rt, kind, name)
        target(f"{kind}: {LABEL[name]} rate / floor", v / fl if v and fl else None, lim,
               lambda a, b: a >= b)
for kind in ("pio", "mmio", "hlt"):
    fl = med(rt, kind, "floor", "user")
    for name, what, lim in (("vmm-bin", "binary log", 1.25), ("vmm-jsonl", "JSONL", 1.6),
                            ("vmm", "log off", 1.2)):
        v = med(rt, kind, name, "user")
        target(f"{kind}: vmm {what} user CPU / floor's", v / fl if v is not None and fl else None,
               lim, lambda a, b: a <= b)
qb = RESULTS["qemu_block"]
for kind in ("pio", "mmio"):
    v, q = med(qb, kind, "vmm-bin", "user"), med(qb, kind, "qemu", "user")
    target(f"{kind} (exits32): vmm binary log user CPU / QEMU's", v / q if v is not None and q else None,
           0.5, lambda a, b: a <= b)
v, q = med(qb, "pio", "vmm"), med(qb, "pio", "qemu")
target("pio (exits32): vmm rate / QEMU rate", v / q if v and q else None, 1.0, lambda a, b: a >= b)
su = RESULTS["startup"]
vh = su.get("vmm hello64.elf", {}).get("wall_s", {}).get("median")
fh = su.get("floor hello64.elf", {}).get("wall_s", {}).get("median")
# Start-up is judged against the bare KVM program loading the same kernel; QEMU's boot time is
# QEMU's, so its ratio stays in the table but is no target.
target("start-up: vmm hello64 / floor hello64", vh / fh if vh and fh else None, 1.05,
       lambda a, b: a <= b)
k10 = RESULTS["kicks"].get("10 kHz")
target("kick p99 at 10 kHz (us)", k10["p99_ns"] / 1000 if k10 else None, 50, lambda a, b: a < b)
k10x2, k100 = RESULTS["kicks"].get("10 kHz x2"), RESULTS["kicks"].get("100 kHz")
target("kicks delivered / requested, 10 kHz on 2 vCPUs", k10x2["ratio"] if k10x2 else None, 0.99,
       lambda a, b: a >= b)
target("kicks delivered / requested, 100 kHz on 1 vCPU", k100["ratio"] if k100 else None, 0.9,
       lambda a, b: a >= b)
target("unaccounted kick signals (all rates)",
       sum(k["unaccounted"] for k in RESULTS["kicks"].values()), 0, lambda a, b: a == b)
target("peak RSS beyond touched guest RAM (MiB)", RESULTS["rss"]["beyond_guest_kib"] / 1024, 8,
       lambda a, b: a < b)

with open("bench/results.json", "w") as f:
    json.dump(RESULTS, f, indent=1)


def rate_table(title, block, names):
    print(f"\n{title}")
    print(f"{'case':36} {'kind':7} {'exits/s min':>11} {'median':>9} {'max':>9} {'x floor':>8}"
          f" {'user ns/exit min':>16} {'median':>7} {'max':>7} {'pooled':>7} {'x floor':>8}")
    for key, row in block.items():
        fr, fu = med(block, key, "floor"), med(block, key, "floor", "user")
        for name in names:
            r = row.get(name)
            if r is None:
                continue
            if "na" in r:
                print(f"{LABEL[name]:36} {key:7} {r['na']}")
                continue
            a, u = r["rate"], r["user_ns_per_exit"]
            print(f"{LABEL[name]:36} {key:7} {a['min']:11.0f} {a['median']:9.0f} {a['max']:9.0f}"
                  f" {(a['median'] / fr if fr else float('nan')):8.3f} {u['min']:16.0f} {u['median']:7.0f} {u['max']:7.0f}"
                  f" {r['user_ns_per_exit_pooled']:7.0f}"
                  f" {(r['user_ns_per_exit_pooled'] / fu if fu else float('nan')):8.2f}")


print(f"vmm benchmark {RESULTS['date']}  n={N} per vCPU, {RESULTS['runs']} runs after a warm-up,"
      f" load average {' '.join(RESULTS['uptime'])} (kernel {RESULTS['host']})")
print("rates and user CPU: n=N runs minus the median of n=0 runs (start-up and boot removed);"
      " 'x floor' = ratio of medians (rate) and of pooled means (user CPU, tick-based: 4 ms)")
rate_table("Exit rates, exits.elf (ELF64, long mode)", rt, [n for n in LABEL if n != "qemu"])
rate_table("QEMU comparison, exits32.elf (multiboot ELF32) in every VMM", qb,
           ["floor", "vmm", "vmm-bin", "vmm-jsonl", "qemu"])
tr = RESULTS["trace"]
print(f"\n--trace-kvm (default events) against the same run without it, n={tr['n']}")
print(f"{'case':36} {'kind':7} {'exits/s':>9} {'x without':>9} {'user ns/exit':>12} {'x without':>9}")
for kind in ("pio", "hlt"):
    for base, traced in (("vmm-bin", "vmm-bin-trace"), ("vmm-jsonl", "vmm-jsonl-trace")):
        r = tr.get(kind, {}).get(traced, {})
        if "na" in r or not r:
            print(f"{LABEL[traced]:36} {kind:7} {r.get('na', 'n/a')}")
            continue
        b, t = med(tr, kind, base), med(tr, kind, traced)
        bu, tu = med(tr, kind, base, "user"), med(tr, kind, traced, "user")
        print(f"{LABEL[traced]:36} {kind:7} {t:9.0f} {(t / b if b else float('nan')):9.3f}"
              f" {tu:12.0f} {(tu / bu if bu else float('nan')):9.2f}")
print("\nStart-up (process start to exit)")
for k, s in su.items():
    w = s["wall_s"]
    print(f"{k:48} {w['min'] * 1e3:9.1f} {w['median'] * 1e3:9.1f} {w['max'] * 1e3:9.1f} ms"
          f"   x vmm hello64: {w['median'] / vh:7.1f}")
print("\nKicks (timer expiry to KVM_RUN return), spin.elf")
for k, s in RESULTS["kicks"].items():
    ratio = "-" if s["ratio"] is None else f"{s['ratio']:.3f}"
    print(f"{k:10} median {s['median_ns'] / 1e3:8.1f} us  p99 {s['p99_ns'] / 1e3:9.1f} us  requested {s['requested']:8}"
          f"  delivered {s['delivered']:8} ({ratio})  overruns {s['overruns']:7}  returns {s['returns']:8}"
          f"  unaccounted {s['unaccounted']}")
r = RESULTS["rss"]
print(f"\nPeak RSS, -m 64M, spin.elf touch=1: {r['maxrss_kib'] / 1024:.1f} MiB, guest RAM touched"
      f" {r['guest_touched_kib'] / 1024:.1f} MiB, beyond it {r['beyond_guest_kib'] / 1024:.1f} MiB")
print("\nTargets")
for t in RESULTS["targets"]:
    v = "-" if t["value"] is None else f"{t['value']:.3g}"
    print(f"  {t['result']:4}  {t['target']:52} {v:>9}  (target {t['limit']})")
print("\nwritten: bench/results.json")
