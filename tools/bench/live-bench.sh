#!/usr/bin/env bash
# Side-by-side live egress benchmark (issue 11): our server (central, or an edge pulling from it)
# and nginx with libnginx-mod-rtmp, each fed one 2.1 Mbps H.264/AAC stream (640x360 25 fps, GOP 2 s,
# a clip encoded once and published looped with -c copy), then played by cdn-loadgen with N viewers
# (RTMP and HTTP-FLV for ours, RTMP for nginx-rtmp: its HTTP-FLV is not in that module, it needs the
# separate nginx-http-flv fork, which Debian does not ship). Per run it reports the server's
# CPU-seconds per GB the viewers received, RSS per viewer, time to first key frame p50/p99 and
# keep-up, then the ratios ours/nginx; the section between the live-bench markers of
# docs/BENCHMARKS.md is replaced (everything else there is kept).
#
# Pinning: the measured server on CPU $LIVE_BENCH_SERVER_CPU (0), loadgen, publishers and, in edge
# mode, central on CPU $LIVE_BENCH_CLIENT_CPU (1). A run is refused (not reported as a number;
# retried up to $LIVE_BENCH_RETRIES times) when:
#   - any viewer failed or did not connect;
#   - other processes took the server's core: busy time of that CPU in /proc/stat (user+nice+
#     system) minus the server's own utime+stime exceeds 10% of the run (this catches unpinned
#     compilers of a shared machine, and the idle peer server's ingest stays far below it);
#   - the loadgen's core was saturated: cdn-loadgen's own CPU > 90% of the run, or that CPU's
#     busy time (incl. irq/softirq) > 95%.
# Loopback only; every run is bounded (loadgen --duration, ffmpeg -t, timeouts) and every process
# started here is stopped on exit.
#   tools/bench/live-bench.sh [viewer-counts="300 1000"] [seconds-per-run=15] [bin-dir]
#   bin-dir defaults to a Release build made here in build-bench/ (cmake + ninja, one job).
#   LIVE_BENCH_TARGET=edge      measure a cache-edge (pulling from central) instead of central
#   LIVE_BENCH_EXTRA_YAML=...   added to our configs, e.g. "play: {merge_window: 350ms}"
#   LIVE_BENCH_DOC=path|none    where to write the section (default docs/BENCHMARKS.md)
#   LIVE_BENCH_ALLOW_CONTENDED=1  show refused runs' numbers anyway, marked '*' (indicative only)
#   LIVE_BENCH_RETRIES=N        attempts after a refused run (default 2), each after waiting (up to
#                               30 s) for a quiet second; no retry once LIVE_BENCH_BUDGET (540) s passed
set -euo pipefail
counts=${1:-"300 1000"}
secs=${2:-15}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${3:-}
server_cpu=${LIVE_BENCH_SERVER_CPU:-0}
client_cpu=${LIVE_BENCH_CLIENT_CPU:-1}
target=${LIVE_BENCH_TARGET:-central}
doc=${LIVE_BENCH_DOC:-$root/docs/BENCHMARKS.md}
retries=${LIVE_BENCH_RETRIES:-2}
budget=${LIVE_BENCH_BUDGET:-540}  # seconds after which refused runs are no longer retried
deadline=$(($(date +%s) + budget))
[[ "$target" == central || "$target" == edge ]] || { echo "LIVE_BENCH_TARGET must be central or edge" >&2; exit 2; }
for n in $counts; do [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 && "$n" -le 5000 ]] || { echo "viewer counts must be 1..5000" >&2; exit 2; }; done
[[ "$secs" =~ ^[0-9]+$ && "$secs" -ge 5 && "$secs" -le 120 ]] || { echo "seconds-per-run must be 5..120" >&2; exit 2; }

if [ -z "$bin" ]; then
  echo "live-bench: building Release in build-bench/ (one job)"
  cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/build-bench" -j1 --target central cache-edge cdn-loadgen >/dev/null
  bin=$root/build-bench/bin
fi
NGINX_RTMP_SO=/usr/lib/nginx/modules/ngx_rtmp_module.so
missing=()
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
[ -f "$NGINX_RTMP_SO" ] || missing+=(libnginx-mod-rtmp)
if ((${#missing[@]})); then
  echo "live-bench: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # Whatever service the package may start is left alone: this script runs its own nginx.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for t in ffmpeg taskset python3 "$bin/central" "$bin/cache-edge" "$bin/cdn-loadgen"; do
  command -v "$t" >/dev/null || [ -x "$t" ] || { echo "missing $t" >&2; exit 1; }
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # servers and loadgen inherit it: a descriptor per viewer

work=$(mktemp -d /tmp/live-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # port, seconds
  for _ in $(seq $(($2 * 10))); do
    (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open" >&2; exit 1
}
c_rtmp=$(free_port); c_http=$(free_port); c_admin=$(free_port)
e_rtmp=$(free_port); e_http=$(free_port); e_admin=$(free_port)
ngx_port=$(free_port)
domains='domains:
  - {name: push.test, type: push}
  - {name: pull.test, type: pull, source: push.test}'
cat > "$work/central.yaml" <<YAML
node_id: bench-central
rtmp: {listen: 127.0.0.1:$c_rtmp}
http: {listen: 127.0.0.1:$c_http}
admin: {listen: 127.0.0.1:$c_admin, token: bench}
data_dir: $work/central-data
log_level: warn
${LIVE_BENCH_EXTRA_YAML:-}
$domains
YAML
cat > "$work/edge.yaml" <<YAML
node_id: bench-edge
region: bench
rtmp: {listen: 127.0.0.1:$e_rtmp}
http: {listen: 127.0.0.1:$e_http}
admin: {listen: 127.0.0.1:$e_admin, token: bench}
data_dir: $work/edge-data
central: {origins: [127.0.0.1:$c_rtmp], http: [127.0.0.1:$c_http]}
cache: {memory: 256MiB, disk: 1GiB}
log_level: warn
${LIVE_BENCH_EXTRA_YAML:-}
$domains
YAML
mkdir -p "$work/nginx/logs"
cat > "$work/nginx/nginx.conf" <<CONF
load_module $NGINX_RTMP_SO;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 65536;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 16384; }
rtmp {
  server {
    listen 127.0.0.1:$ngx_port;
    chunk_size 4096;
    application live { live on; wait_key on; }
  }
}
CONF

# A 30 s clip at 2.1 Mbps CBR, GOP 2 s, encoded once; publishers loop it with -c copy (bounded).
echo "live-bench: encoding a 30 s 640x360 2.1 Mbps clip (GOP 2 s)"
taskset -c "$client_cpu" ffmpeg -hide_banner -v error -f lavfi -i testsrc2=size=640x360:rate=25 \
  -f lavfi -i sine=frequency=440:sample_rate=44100 -t 30 -c:v libx264 -preset ultrafast -g 50 -keyint_min 50 \
  -sc_threshold 0 -b:v 2M -minrate 2M -maxrate 2M -bufsize 1M -x264-params nal-hrd=cbr -pix_fmt yuv420p \
  -c:a aac -b:a 96k -f flv "$work/clip.flv"
pub_secs=900  # outlasts any bounded run; killed on exit

# Each run gets fresh processes (server, publisher): RSS before/after is then not blurred by what the
# allocator kept from an earlier run.
run_pids=()
stop_run() {
  for p in "${run_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${run_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  run_pids=()
}
publish() {  # url
  taskset -c "$client_cpu" ffmpeg -hide_banner -v error -re -stream_loop -1 -i "$work/clip.flv" -t "$pub_secs" \
    -c copy -f flv "$1" </dev/null >>"$work/ffmpeg.log" 2>&1 &
  pids+=($!); run_pids+=($!)
}
# Starts one server and its publisher; sets server_pid and play_rtmp / play_flv; waits until playable.
start_server() {  # ours|nginx
  rm -rf "$work/central-data" "$work/edge-data"
  if [ "$1" = nginx ]; then
    taskset -c "$server_cpu" "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" &
    pids+=($!); run_pids+=($!); server_pid=$!
    wait_port "$ngx_port" 10
    publish "rtmp://127.0.0.1:$ngx_port/live/room"
    play_rtmp="rtmp://127.0.0.1:$ngx_port/live/room"; play_flv=""
  elif [ "$target" = edge ]; then
    taskset -c "$client_cpu" "$bin/central" -c "$work/central.yaml" >>"$work/central.log" 2>&1 & pids+=($!); run_pids+=($!)
    wait_port "$c_rtmp" 10
    taskset -c "$server_cpu" "$bin/cache-edge" -c "$work/edge.yaml" >>"$work/edge.log" 2>&1 &
    pids+=($!); run_pids+=($!); server_pid=$!
    wait_port "$e_rtmp" 10; wait_port "$e_http" 10
    publish "rtmp://127.0.0.1:$c_rtmp/live/room?vhost=push.test"
    play_rtmp="rtmp://127.0.0.1:$e_rtmp/live/room?vhost=pull.test"
    play_flv="http://127.0.0.1:$e_http/live/room.flv?vhost=pull.test"
  else
    taskset -c "$server_cpu" "$bin/central" -c "$work/central.yaml" >>"$work/central.log" 2>&1 &
    pids+=($!); run_pids+=($!); server_pid=$!
    wait_port "$c_rtmp" 10; wait_port "$c_http" 10
    publish "rtmp://127.0.0.1:$c_rtmp/live/room?vhost=push.test"
    play_rtmp="rtmp://127.0.0.1:$c_rtmp/live/room?vhost=pull.test"
    play_flv="http://127.0.0.1:$c_http/live/room.flv?vhost=pull.test"
  fi
  local ok="" url mode
  for url in $play_rtmp $play_flv; do
    ok=""
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      mode=--rtmp-play; [[ "$url" == http* ]] && mode=--flv-play
      if "$bin/cdn-loadgen" "$mode" "$url" -n 1 --duration 2 --timeout 3000 >/dev/null 2>&1; then ok=1; break; fi
      sleep 1
    done
    [ -n "$ok" ] || { echo "no playable stream at $url" >&2; tail -5 "$work"/*.log >&2; exit 1; }
  done
}
if [ "$target" = edge ]; then ours_name="cache-edge"; else ours_name="central"; fi

# One measured run: loadgen on the client core, /proc samples around it; prints one JSON line.
measure() {  # label server-pid mode url viewers
  python3 - "$@" "$secs" "$server_cpu" "$client_cpu" "$bin/cdn-loadgen" "$retries" "$deadline" <<'PY'
import json, os, subprocess, sys, time
label, pid, mode, url, n, secs, scpu, ccpu, loadgen, retries, deadline = sys.argv[1:12]
deadline = float(deadline)
pid, n, secs, scpu, ccpu, retries = int(pid), int(n), int(secs), int(scpu), int(ccpu), int(retries)
hz = os.sysconf("SC_CLK_TCK")

def proc_ticks(p):
    with open(f"/proc/{p}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return int(parts[11]) + int(parts[12])

def rss_kb(p):
    with open(f"/proc/{p}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def cpu_line(c):
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{c} "):
                return [int(x) for x in line.split()[1:8]]  # user nice system idle iowait irq softirq

def quiet(limit_s):
    """Waits (bounded) for a second in which the server core is < 10% busy and the client core < 30%."""
    end = time.time() + limit_s
    while True:
        a0, b0 = cpu_line(scpu), cpu_line(ccpu)
        time.sleep(1)
        a1, b1 = cpu_line(scpu), cpu_line(ccpu)
        sb = sum(a1[i] - a0[i] for i in (0, 1, 2, 5, 6)) / hz
        cb = sum(b1[i] - b0[i] for i in (0, 1, 2, 5, 6)) / hz
        if (sb < 0.10 and cb < 0.30) or time.time() > end:
            return

rss_fresh = None  # VmRSS of the fresh server before its first attempt: the baseline of every attempt
                  # (the allocator keeps what an earlier attempt's viewers used)

def attempt():
    global rss_fresh
    time.sleep(2)  # the previous run's viewers are gone
    quiet(30)
    t0, s0, c0 = proc_ticks(pid), cpu_line(scpu), cpu_line(ccpu)
    if rss_fresh is None:
        rss_fresh = rss_kb(pid)
    rss0 = rss_fresh
    w0 = time.time()
    p = subprocess.Popen(["taskset", "-c", str(ccpu), loadgen, f"--{mode}", url, "-n", str(n), "--ramp", "500",
                          "--duration", str(secs), "--timeout", "5000", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss_max = rss0
    ramp_done = w0 + n / 500 + 2
    while p.poll() is None and time.time() < w0 + secs + 30:
        time.sleep(0.25)
        if time.time() > ramp_done:
            rss_max = max(rss_max, rss_kb(pid))
    out, err = p.communicate(timeout=30)
    wall = time.time() - w0
    t1, s1, c1 = proc_ticks(pid), cpu_line(scpu), cpu_line(ccpu)
    r = json.loads(out)
    server_s = (t1 - t0) / hz
    core_busy = lambda a, b, idx: sum(b[i] - a[i] for i in idx) / hz
    others = core_busy(s0, s1, (0, 1, 2)) - server_s
    client_busy = core_busy(c0, c1, (0, 1, 2, 5, 6)) / wall
    gb = r["bytes"] / 1e9
    res = {
        "label": label, "mode": mode, "viewers": n, "wall_s": round(wall, 2), "server_cpu_s": round(server_s, 2),
        "bytes": r["bytes"], "cpu_s_per_gb": round(server_s / gb, 3) if gb > 0 else None,
        "rss_before_kb": rss0, "rss_max_kb": rss_max, "rss_per_viewer_kb": round((rss_max - rss0) / n, 1),
        "key_p50_ms": r["first_keyframe_ms"]["p50"], "key_p99_ms": r["first_keyframe_ms"]["p99"],
        "keep_up_min": r["keep_up"]["min"], "keep_up_p5": r["keep_up"]["p5"], "keep_up_p50": r["keep_up"]["p50"],
        "kbps_p50": round(r["bytes_per_s"]["p50"] * 8 / 1000), "stalls": r["stalls"],
        "connected": r["connected"], "failed": r["failed"], "failures": r["failures"],
        "loadgen_cpu_share": round(r["loadgen_cpu_s"] / wall, 3), "client_core_busy": round(client_busy, 3),
        "others_on_server_core": round(others / wall, 3), "server_core_share": round(server_s / wall, 3),
    }
    why = []
    if r["connected"] != n or r["failed"] != 0:
        why.append(f"viewers failed: {r['failures']}")
    if others / wall > 0.10:
        why.append(f"other processes used {others / wall:.0%} of the server core")
    if res["loadgen_cpu_share"] > 0.90 or client_busy > 0.95:
        why.append(f"loadgen core saturated (loadgen {res['loadgen_cpu_share']:.0%}, core {client_busy:.0%})")
    res["refused"] = "; ".join(why)
    return res

best = None
for i in range(retries + 1):
    res = attempt()
    res["attempt"] = i + 1
    if best is None or (best["refused"] and (not res["refused"] or
                                             res["others_on_server_core"] < best["others_on_server_core"])):
        best = res
    print(f"  {label:<26} {n:>5} viewers: {res['cpu_s_per_gb']} cpu-s/GB, {res['rss_per_viewer_kb']} KB/viewer, "
          f"key p50 {res['key_p50_ms']:.1f} ms p99 {res['key_p99_ms']:.1f} ms, keep-up p5 {res['keep_up_p5']:.3f}, "
          f"server core {res['server_core_share']:.0%}, others {res['others_on_server_core']:.0%}, "
          f"loadgen {res['loadgen_cpu_share']:.0%}" + (f"  REFUSED: {res['refused']}" if res["refused"] else ""),
          file=sys.stderr, flush=True)
    if not res["refused"] or res["connected"] != n or time.time() > deadline:
        break
    time.sleep(5)
print(json.dumps(best))  # a valid attempt, else the least contended one (still marked refused)
PY
}

# Idle cost (ingest, packaging, timers) of a server over 3 s: a constant, not per viewer.
idle() {  # pid
  local a b; a=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat"); sleep 3
  b=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat")
  awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.3f", (b - a) / hz / 3}'
}
echo "live-bench: ${secs}s per run, ramp 500/s; server on CPU $server_cpu, loadgen on CPU $client_cpu"
: > "$work/results.jsonl"
ours_idle=""; nginx_idle=""
for n in $counts; do
  for spec in "ours RTMP rtmp-play" "ours HTTP-FLV flv-play" "nginx RTMP rtmp-play"; do
    set -- $spec
    start_server "$1"
    if [ "$1" = nginx ]; then label="nginx-rtmp $2"; url=$play_rtmp; else label="$ours_name $2"; url=$play_rtmp; fi
    [ "$3" = flv-play ] && url=$play_flv
    i=$(idle "$server_pid")
    if [ "$1" = nginx ]; then nginx_idle=${nginx_idle:-$i}; else ours_idle=${ours_idle:-$i}; fi
    measure "$label" "$server_pid" "$3" "$url" "$n" >> "$work/results.jsonl"
    kill -0 "$server_pid" 2>/dev/null || { echo "$label: the server died during the run" >&2; exit 1; }
    stop_run
  done
done
echo "live-bench: idle CPU share with the stream and no viewer: $ours_name $ours_idle, nginx-rtmp $nginx_idle"

# Table, ratios, and the docs section.
python3 - "$work/results.jsonl" "$doc" "$ours_name" "$ours_idle" "$nginx_idle" "$secs" "$counts" "$target" \
  "$NGINX" "$root" "$server_cpu" "$client_cpu" <<'PY'
import json, os, platform, re, subprocess, sys, time
path, doc, ours, ours_idle, nginx_idle, secs, counts, target, nginx, root, scpu, ccpu = sys.argv[1:13]
rows = [json.loads(l) for l in open(path) if l.strip()]

def fmt(v, d=2):
    return "-" if v is None else f"{v:.{d}f}"

allow = os.environ.get("LIVE_BENCH_ALLOW_CONTENDED") == "1"
def shown(r):  # numbers are printed for valid runs, and for contended ones only when allowed
    return not r["refused"] or (allow and r["connected"] == r["viewers"] and r["failed"] == 0)
def cell(r, key, d=2):
    if not shown(r):
        return "refused"
    return fmt(r[key], d) + ("*" if r["refused"] else "")

lines = ["| server, mode | viewers | CPU-s per GB sent | RSS per viewer (KB) | first key frame p50 / p99 (ms) "
         "| keep-up min / p5 | kbit/s per viewer p50 | server core busy | note |",
         "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    note = r["refused"] or ""
    star = "*" if r["refused"] else ""
    key = f"{r['key_p50_ms']:.1f} / {r['key_p99_ms']:.1f}{star}" if shown(r) else "refused"
    keep = f"{r['keep_up_min']:.3f} / {r['keep_up_p5']:.3f}{star}" if shown(r) else "refused"
    lines.append(f"| {r['label']} | {r['viewers']} | {cell(r, 'cpu_s_per_gb', 3)} | {cell(r, 'rss_per_viewer_kb', 1)} | "
                 f"{key} | {keep} | {r['kbps_p50']} | {r['server_core_share']:.0%} | {note} |")
ratio = ["", "| ratio ours / nginx-rtmp (RTMP) | viewers | CPU per GB | RSS per viewer | first key frame p50 |",
         "|---|---|---|---|---|"]
by = {(r["label"], r["viewers"]): r for r in rows}
for n in counts.split():
    n = int(n)
    base = by.get(("nginx-rtmp RTMP", n))
    for mode in ("RTMP", "HTTP-FLV"):
        r = by.get((f"{ours} {mode}", n))
        if not r or not base:
            continue
        if not shown(r) or not shown(base):
            ratio.append(f"| {ours} {mode} | {n} | refused | refused | refused |")
            continue
        star = "*" if r["refused"] or base["refused"] else ""
        q = lambda a, b: "-" if not b else f"{a / b:.2f}x{star}"
        q3 = lambda a, b: "-" if not b else f"{a / b:.4f}x{star}"
        ratio.append(f"| {ours} {mode} | {n} | {q(r['cpu_s_per_gb'], base['cpu_s_per_gb'])} | "
                     f"{q(r['rss_per_viewer_kb'], base['rss_per_viewer_kb'])} | {q3(r['key_p50_ms'], base['key_p50_ms'])} |")
table = "\n".join(lines + ratio)
print()
print(table)

if doc == "none":
    sys.exit(0)
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip() or \
               subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stderr.strip()
    except Exception:
        return "?"
cpu_model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
versions = {
    "nginx": sh(f"{nginx} -v 2>&1"),
    "libnginx-mod-rtmp": sh("dpkg-query -W -f='${Version}' libnginx-mod-rtmp"),
    "ffmpeg": sh("ffmpeg -version | head -1 | cut -d' ' -f1-3"),
    "livecdn": sh(f"git -C {root} rev-parse --short HEAD") + (" + local changes" if sh(f"git -C {root} status --porcelain") else ""),
}
section = f"""<!-- live-bench:begin (tools/bench/live-bench.sh replaces everything up to the end marker) -->
## Live egress: {ours} vs nginx-rtmp (RTMP / HTTP-FLV viewers)

Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPU(s) ({cpu_model}), Linux {platform.release()}.
Versions: {versions['nginx']}, libnginx-mod-rtmp {versions['libnginx-mod-rtmp']}, {versions['ffmpeg']}, LiveCDN {versions['livecdn']}.

Command: `tools/bench/live-bench.sh "{counts}" {secs}` (LIVE_BENCH_TARGET={target}{", LIVE_BENCH_EXTRA_YAML='" + os.environ.get("LIVE_BENCH_EXTRA_YAML", "") + "'" if os.environ.get("LIVE_BENCH_EXTRA_YAML") else ""}). One stream, 640x360 25 fps
H.264 CBR 2 Mbps + AAC 96 kbit/s (2.1 Mbit/s), GOP 2 s, a clip encoded once by ffmpeg and published to each
server looped with `-c copy`. The measured server runs on CPU {scpu}; cdn-loadgen (one event-loop thread,
ramp 500/s, {secs} s per run, viewers reading as fast as the server sends), the publishers{' and central' if target == 'edge' else ''} on CPU {ccpu}.
nginx-rtmp: `worker_processes 1; master_process off;`, `chunk_size 4096; live on; wait_key on;` (no GOP
cache exists in it). nginx-rtmp's HTTP-FLV is not available (that is the separate nginx-http-flv
module, not packaged), so HTTP-FLV has no nginx row. {ours} runs its defaults (GOP cache on{', HLS packaging on: it cannot be switched off' if target == 'central' else ''}).

- CPU-s per GB: the server's utime+stime over the loadgen run (ramp included) / bytes the viewers received.
- RSS per viewer: (max VmRSS after the ramp - VmRSS before) / viewers; every run starts a fresh server
  and publisher, so the baseline is not inflated by an earlier run.
- First key frame: from the viewer's connect() to its first complete video key frame (p50 / p99 over viewers).
- Keep-up: media timestamp advance / wall time per viewer, from 2 s after its first key frame (past the
  GOP-cache burst); 1.0 = real time.
- Idle cost with the stream published and no viewer: {ours} {float(ours_idle):.1%} of a core, nginx-rtmp {float(nginx_idle):.1%}
  (included in CPU-s per GB; it weighs more at low viewer counts).
- Refusal rule: a run is not reported when a viewer failed, when other processes used more than 10% of
  the server's CPU (that CPU's busy time in /proc/stat minus the server's own time), or when the
  loadgen's CPU was saturated (cdn-loadgen > 90% of a core, or that CPU > 95% busy); it is retried
  up to LIVE_BENCH_RETRIES times first. The server's own time can exceed its CPU's user+system in
  /proc/stat (softirq work the kernel charges to the server's stime sits in /proc/stat's softirq
  column), so "others" may print negative and the rule is lenient by that much. "refused" cells mean no valid number was obtained in this run;
  with LIVE_BENCH_ALLOW_CONTENDED=1 the least contended attempt is shown instead, marked `*`, with the
  contention in the note column: indicative only.

{table}

Anchors from issue 11 (same harness shape, measured earlier on these machines): nginx-rtmp 1.2.2 RTMP
1.09-1.43 CPU-s/GB, 16 KB per viewer, first key frame 0.74-1.3 s / 1.2-2.1 s; SRS 7.0 RTMP 0.28-0.30
CPU-s/GB, 59 KB, 44 ms / 88 ms; SRS 7.0 HTTP-FLV 0.42-0.51 CPU-s/GB, 55 KB, 0.3 ms / 1 ms.
<!-- live-bench:end -->
"""
os.makedirs(os.path.dirname(doc), exist_ok=True)
old = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n\nSections are written by the scripts in tools/bench/.\n"
m = re.search(r"<!-- live-bench:begin.*?<!-- live-bench:end -->\n?", old, re.S)
new = old[:m.start()] + section + old[m.end():] if m else old.rstrip("\n") + "\n\n" + section
tmp = doc + ".tmp"
with open(tmp, "w") as f:
    f.write(new)
os.replace(tmp, doc)
print(f"\nlive-bench: wrote the live-bench section of {doc}")
PY
