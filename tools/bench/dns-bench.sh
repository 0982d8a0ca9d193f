#!/usr/bin/env bash
# Side-by-side benchmark: dns-scheduler vs gdnsd (geoip plugin, nets map) answering the same
# GeoDNS decision (two /24 rules -> north/south, default north), each server pinned to one core
# and dnsperf on another. Reports queries/s, average latency, lost queries and the server's CPU
# share, and QPS per server core (= QPS / CPU share), plain and with EDNS Client Subnet.
# Loopback only; every run is bounded by -l; both servers are stopped on exit.
# Needs: dnsperf gdnsd dnsutils (apt-get install -y dnsperf gdnsd dnsutils)
#   tools/bench/dns-bench.sh [seconds-per-run=10] [bin-dir=build/bin]
set -euo pipefail
secs=${1:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${2:-$root/build/bin}
server_cpu=${DNS_BENCH_SERVER_CPU:-1}
client_cpu=${DNS_BENCH_CLIENT_CPU:-0}
for t in dnsperf gdnsd dig taskset; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done
work=$(mktemp -d /tmp/dns-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ours_port=$(free_port)
gdnsd_port=$(free_port)

cat > "$work/ours.yaml" <<YAML
node_id: bench
listen: [127.0.0.1:$ours_port]
zone: livecdn.test
ns: [ns1.livecdn.test]
ttl: 30s
answers: 1
regions:
  - {cidr: 127.0.1.0/24, region: north}
  - {cidr: 127.0.2.0/24, region: south}
default_region: north
edges:
  - {id: edge-north-1, address: 127.0.1.10, region: north}
  - {id: edge-south-1, address: 127.0.2.10, region: south}
domains: [pull.example.com]
workers: 1
udp_rcvbuf: 8MiB
YAML

mkdir -p "$work/gdnsd/zones" "$work/gdnsd/run" "$work/gdnsd/state"
cat > "$work/gdnsd/config" <<CONF
options => {
  listen => [ 127.0.0.1:$gdnsd_port ]
  udp_threads => 1
  tcp_threads => 1
  run_dir => $work/gdnsd/run
  state_dir => $work/gdnsd/state
  zones_default_ttl => 30
}
plugins => {
  geoip => {
    maps => {
      regions => {
        datacenters => [ north, south ]
        nets => {
          127.0.1.0/24 => [ north ]
          127.0.2.0/24 => [ south ]
        }
      }
    }
    resources => {
      edges => {
        map => regions
        service_types => [ ]
        dcmap => {
          north => 127.0.1.10
          south => 127.0.2.10
        }
      }
    }
  }
}
CONF
cat > "$work/gdnsd/zones/livecdn.test" <<ZONE
\$TTL 30
@ SOA ns1 hostmaster ( 1 3600 600 86400 30 )
@ NS ns1
ns1 A 127.0.0.1
pull.example.com 30 DYNA geoip!edges
ZONE

taskset -c "$server_cpu" "$bin/dns-scheduler" -c "$work/ours.yaml" 2>"$work/ours.log" &
pids+=($!); ours_pid=$!
taskset -c "$server_cpu" gdnsd -c "$work/gdnsd" start 2>"$work/gdnsd.log" &
pids+=($!); gdnsd_pid=$!
for i in $(seq 50); do
  a=$(dig @127.0.0.1 -p "$ours_port" +short +time=1 +tries=1 pull.example.com.livecdn.test 2>/dev/null || true)
  b=$(dig @127.0.0.1 -p "$gdnsd_port" +short +time=1 +tries=1 pull.example.com.livecdn.test 2>/dev/null || true)
  [[ "$a" =~ ^[0-9.]+$ && "$b" =~ ^[0-9.]+$ ]] && break
  sleep 0.1
done

# Same decision from both servers.
for args in "-b 127.0.1.5" "-b 127.0.2.5" "-b 127.0.1.5 +subnet=127.0.2.0/24" "-b 127.0.2.5 +subnet=127.0.1.0/24"; do
  a=$(dig @127.0.0.1 -p "$ours_port" +short $args pull.example.com.livecdn.test || true)
  b=$(dig @127.0.0.1 -p "$gdnsd_port" +short $args pull.example.com.livecdn.test || true)
  if [[ "$a" != "$b" ]]; then
    echo "decision differs for '$args': ours=$a gdnsd=$b" >&2
    tail -5 "$work/ours.log" "$work/gdnsd.log" >&2
    exit 1
  fi
  echo "same answer for $args: $a"
done

printf 'pull.example.com.livecdn.test A\n' > "$work/queries"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

run() {  # name pid port label dnsperf-args...
  local name=$1 pid=$2 port=$3 label=$4
  shift 4
  local t0 t1 out
  t0=$(ticks "$pid")
  out=$(taskset -c "$client_cpu" dnsperf -s 127.0.0.1 -p "$port" -a 127.0.1.5 -d "$work/queries" -l "$secs" "$@" 2>&1)
  t1=$(ticks "$pid")
  python3 - "$name" "$label" "$secs" "$hz" "$t0" "$t1" <<PY
import re, sys
name, label, secs, hz, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
out = """$out"""
qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
lost = re.search(r"Queries lost:\s+(\d+)", out).group(1)
lat = float(re.search(r"Average Latency \(s\):\s+([\d.]+)", out).group(1)) * 1000
cpu = (t1 - t0) / hz / secs
per_core = qps / cpu if cpu > 0 else float("nan")
print("%-13s %-26s %10.0f qps  avg %6.3f ms  lost %-6s server cpu %5.1f%%  %9.0f qps/core" % (name, label, qps, lat, lost, cpu * 100, per_core))
PY
}

ecs="8:000118007f0002"  # RFC 7871: family 1, source /24, scope 0, 127.0.2.0
echo "dnsperf ${secs}s per run; servers on cpu $server_cpu, dnsperf on cpu $client_cpu"
for s in "dns-scheduler $ours_pid $ours_port" "gdnsd $gdnsd_pid $gdnsd_port"; do
  set -- $s
  run "$1" "$2" "$3" "4x100 outstanding" -c 4 -q 400
  run "$1" "$2" "$3" "4x100 outstanding, ECS" -c 4 -q 400 -E "$ecs"
  run "$1" "$2" "$3" "500 outstanding" -c 5 -q 500
  # Closed-loop latency is outstanding / QPS (Little's law); this run shows service latency.
  run "$1" "$2" "$3" "20k qps paced, latency" -c 4 -q 400 -Q 20000
done
