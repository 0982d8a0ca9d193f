#!/usr/bin/env bash
# Side-by-side benchmark for issue 5's note: requests/s for one cached ~2 s HLS segment (~0.5 MB,
# 640x360 at ~2 Mbps) and for the live playlist, served by cache-edge (memory tier) and by nginx
# serving the very same bytes from disk. Each server is pinned to one core (CPU 1) and wrk to
# another (CPU 0); central and the publisher (a pre-encoded clip sent with -c copy, so it costs
# almost no CPU) share wrk's core. Loopback only; every run is bounded (wrk -d, ffmpeg -t) and
# every process started here is stopped on exit.
# Installs wrk and nginx (apt) when missing.
#   tools/bench/hls-bench.sh [seconds-per-run=10] [connections=50] [bin-dir=build/bin]
#   HLS_BENCH_EDGE=/path/to/cache-edge  measures another edge build (A/B) against the same central
set -euo pipefail
secs=${1:-10}
conns=${2:-50}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${3:-$root/build/bin}
edge_bin=${HLS_BENCH_EDGE:-$bin/cache-edge}
server_cpu=${HLS_BENCH_SERVER_CPU:-1}
client_cpu=${HLS_BENCH_CLIENT_CPU:-0}

missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
if ((${#missing[@]})); then
  echo "hls-bench: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # Whatever service the package may start is left alone: this script runs its own nginx.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for t in ffmpeg curl taskset python3 "$bin/central" "$edge_bin"; do
  command -v "$t" >/dev/null || [ -x "$t" ] || { echo "missing $t" >&2; exit 1; }
done

work=$(mktemp -d /tmp/hls-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
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
$domains
YAML

wait_port() {  # port, seconds
  for _ in $(seq $(($2 * 10))); do
    (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open" >&2; exit 1
}

# A 90 s clip (it outlasts the four runs), encoded once, then published in real time with -c copy.
echo "hls-bench: encoding a 90 s 640x360 ~2 Mbps clip"
taskset -c "$client_cpu" ffmpeg -hide_banner -v error -f lavfi -i testsrc2=size=640x360:rate=25 \
  -f lavfi -i sine=frequency=440:sample_rate=44100 -t 90 -c:v libx264 -preset ultrafast -g 50 \
  -b:v 2M -minrate 2M -maxrate 2M -bufsize 1M -x264-params nal-hrd=cbr -pix_fmt yuv420p \
  -c:a aac -b:a 64k -f flv "$work/clip.flv"

taskset -c "$client_cpu" "$bin/central" -c "$work/central.yaml" >"$work/central.log" 2>&1 & pids+=($!)
taskset -c "$server_cpu" "$edge_bin" -c "$work/edge.yaml" >"$work/edge.log" 2>&1 & pids+=($!)
wait_port "$c_rtmp" 10; wait_port "$c_http" 10; wait_port "$e_http" 10
taskset -c "$client_cpu" ffmpeg -hide_banner -v error -re -i "$work/clip.flv" -t 90 -c copy -f flv \
  "rtmp://127.0.0.1:$c_rtmp/live/room?vhost=push.test" </dev/null >"$work/ffmpeg.log" 2>&1 & pids+=($!)

base="http://127.0.0.1:$e_http/live"
playlist_url="$base/room.m3u8?vhost=pull.test"
seg=""
for _ in $(seq 60); do
  if curl -sf -m 5 "$playlist_url" -o "$work/room.m3u8" && [ "$(grep -vc '^#' "$work/room.m3u8")" -ge 2 ]; then
    seg=$(grep -v '^#' "$work/room.m3u8" | head -1)   # the oldest in the window: complete, stays cached
    break
  fi
  sleep 0.5
done
[ -n "$seg" ] || { echo "no HLS segments on the edge within 30 s" >&2; tail "$work"/*.log >&2; exit 1; }
seg_path=${seg%%\?*}

# Warm the edge's cache and lay the same bytes out on disk for nginx.
mkdir -p "$(dirname "$work/www/live/$seg_path")" "$work/nginx/logs" "$work/nginx/tmp"
curl -sSf -m 5 "$base/$seg" -o "$work/www/live/$seg_path"
curl -sSf -m 5 -D "$work/seg.headers" "$base/$seg" -o /dev/null
cp "$work/room.m3u8" "$work/www/live/room.m3u8"
seg_bytes=$(stat -c %s "$work/www/live/$seg_path")

cat > "$work/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$ngx_port;
    root $work/www;
  }
}
CONF
taskset -c "$server_cpu" "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" & pids+=($!)
wait_port "$ngx_port" 10
curl -sf -m 5 "http://127.0.0.1:$ngx_port/live/$seg_path" | cmp -s - "$work/www/live/$seg_path" \
  || { echo "nginx does not serve the same segment bytes" >&2; exit 1; }

# CPU seconds a process has used (user + system), from /proc.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.3f", ($12 + $13) / hz}' "/proc/$1/stat"; }
# wrk's summary: requests/s, the latency average and the server's CPU share over the run; non-2xx
# answers make the run invalid.
bench() {  # name url server-pid -> "req/s avg-latency cpu-share"
  local out c0 c1
  c0=$(cpu_s "$3")
  out=$(timeout $((secs + 20)) taskset -c "$client_cpu" wrk -t1 -c"$conns" -d"${secs}s" "$2")
  c1=$(cpu_s "$3")
  echo "$out" >"$work/wrk-$1.txt"
  if grep -q "Non-2xx" <<<"$out"; then echo "$1: non-2xx answers:" >&2; echo "$out" >&2; exit 1; fi
  printf '%s %s %s\n' "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" "$(awk '/^    Latency/ {print $2}' <<<"$out")" \
    "$(awk -v a="$c0" -v b="$c1" -v s="$secs" 'BEGIN {printf "%.2f", (b - a) / s}')"
}
echo "hls-bench: segment $seg_path ($seg_bytes bytes, edge X-Cache: $(tr -d '\r' <"$work/seg.headers" | awk -F': ' 'tolower($1)=="x-cache" {print $2}')); wrk -t1 -c$conns -d${secs}s; server on CPU $server_cpu, wrk on CPU $client_cpu"
edge_pid=${pids[1]}; nginx_pid=${pids[3]}
read -r e_seg e_seg_lat e_seg_cpu < <(bench edge-segment "$base/$seg" "$edge_pid")
read -r n_seg n_seg_lat n_seg_cpu < <(bench nginx-segment "http://127.0.0.1:$ngx_port/live/$seg_path" "$nginx_pid")
read -r e_pl e_pl_lat e_pl_cpu < <(bench edge-playlist "$playlist_url" "$edge_pid")
read -r n_pl n_pl_lat n_pl_cpu < <(bench nginx-playlist "http://127.0.0.1:$ngx_port/live/room.m3u8" "$nginx_pid")
kill -0 "$edge_pid" 2>/dev/null || { echo "cache-edge died during the run" >&2; exit 1; }

# req/s, latency and CPU share per server, then req/s per CPU-second (what one core would do if
# the server were the only bottleneck) and the edge/nginx ratio of both.
row() { awk -v n="$1" -v e="$2" -v el="$3" -v ec="$4" -v x="$5" -v xl="$6" -v xc="$7" 'BEGIN {
  ep = ec > 0 ? e / ec : 0; xp = xc > 0 ? x / xc : 0
  printf "%-26s %8.0f %9s %4.0f%% %8.0f | %8.0f %9s %4.0f%% %8.0f | %6.2f %6.2f\n",
         n, e, el, ec * 100, ep, x, xl, xc * 100, xp, (x > 0 ? e / x : 0), (xp > 0 ? ep / xp : 0)}'; }
echo
printf '%-26s %8s %9s %5s %8s | %8s %9s %5s %8s | %6s %6s\n' "" "edge" "" "" "" "nginx" "" "" "" "edge/nginx" ""
printf '%-26s %8s %9s %5s %8s | %8s %9s %5s %8s | %6s %6s\n' "object" "req/s" "latency" "cpu" "req/cpu-s" \
  "req/s" "latency" "cpu" "req/cpu-s" "req/s" "per-cpu"
row "segment ($((seg_bytes / 1024)) KiB, cached)" "$e_seg" "$e_seg_lat" "$e_seg_cpu" "$n_seg" "$n_seg_lat" "$n_seg_cpu"
row "playlist (live, 1 s TTL)" "$e_pl" "$e_pl_lat" "$e_pl_cpu" "$n_pl" "$n_pl_lat" "$n_pl_cpu"
awk -v e="$e_seg" -v n="$n_seg" -v b="$seg_bytes" \
  'BEGIN {printf "segment throughput: edge %.2f Gbit/s, nginx %.2f Gbit/s\n", e * b * 8 / 1e9, n * b * 8 / 1e9}'
