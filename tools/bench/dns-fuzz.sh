#!/usr/bin/env bash
# Builds and runs the dns-scheduler libFuzzer target (parse -> answer -> encode) for a bounded
# time. Needs clang + libFuzzer: apt-get install -y clang libclang-rt-14-dev
#   tools/bench/dns-fuzz.sh [seconds=60] [build-dir=build-dns-fuzz]
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$root/build-dns-fuzz}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIVECDN_FUZZ=ON -DLIVECDN_WERROR=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" --target fuzz_dns_query -j1
corpus="$build/fuzz-corpus-dns"
mkdir -p "$corpus"
# Seeds: a few real queries (byte 0 = transport/source selector, then the DNS message).
python3 - "$corpus" <<'PY'
import os, struct, sys
out = sys.argv[1]
def q(name, qtype, edns=False, ecs=None, qid=1):
    w = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    for l in name.split("."):
        w += bytes([len(l)]) + l.encode()
    w += b"\0" + struct.pack(">HH", qtype, 1)
    if edns:
        opt = b""
        if ecs:
            addr, plen = ecs
            a = bytes(int(x) for x in addr.split("."))[: (plen + 7) // 8]
            opt = struct.pack(">HHHBB", 8, 4 + len(a), 1, plen, 0) + a
        w += b"\0" + struct.pack(">HHIH", 41, 1232, 0, len(opt)) + opt
    return w
seeds = [q("pull.example.com.livecdn.test", 1), q("pull.example.com", 1, True),
         q("pull.example.com.livecdn.test", 28, True, ("127.0.2.0", 24)), q("livecdn.test", 255),
         q("l1.example.com", 1), q("livecdn.test", 2, True), q("nope.livecdn.test", 16)]
for i, s in enumerate(seeds):
    for sel in (0, 1, 6):
        open(os.path.join(out, "seed-%d-%d" % (i, sel)), "wb").write(bytes([sel]) + s)
PY
# Plus the committed seeds (tests/fuzz/corpus/dns_query, read only); tools/fuzz runs every target.
"$build/bin/fuzz_dns_query" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 "$corpus" \
  "$root/tests/fuzz/corpus/dns_query"
