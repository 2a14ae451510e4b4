#!/usr/bin/env bash
# Runs labchat and ngircd through the same load generator, RUNS times each (interleaved), and
# prints the side-by-side table of medians with ratios and the targets of issue 5.
#
#   bench/compare.sh                    # 5 runs of the full table, about 12 minutes
#   RUNS=1 SCALE=0.1 bench/compare.sh   # a quick look
#
# Output: target/bench/results.tsv (every row of every run), target/bench/table.md (the table),
# target/bench/ngircd.conf. Everything runs on 127.0.0.1.
set -euo pipefail

RUNS=${RUNS:-5}
SCALE=${SCALE:-1}
NGIRCD_PORT=${NGIRCD_PORT:-16667}
cd "$(dirname "$0")/.."
OUT=target/bench
mkdir -p "$OUT"

# ngircd from Debian's packages (idempotent).
if [ ! -x /usr/sbin/ngircd ]; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ngircd >/dev/null
fi

# Tens of thousands of sockets: the generator, and the servers it starts, get the hard limit.
ulimit -n "$(ulimit -Hn)"
echo "open files limit: $(ulimit -n)"

cargo build --release --quiet -p server -p loadgen
LOADGEN=target/release/loadgen

# ngircd for a benchmark: loopback only, no DNS/ident lookups, no connection limits, long nicks,
# and no flood penalties (MaxPenaltyTime = 0; otherwise a sender is throttled to a few messages a
# second). See ngircd.conf(5).
{
    echo "[Global]"
    echo "    Name = bench.localhost"
    echo "    Info = labchat benchmark peer"
    echo "    AdminInfo1 = labchat benchmark"
    echo "    AdminInfo2 = loopback only"
    echo "    AdminEMail = nobody@localhost"
    echo "    Listen = 127.0.0.1"
    echo "    Ports = $NGIRCD_PORT"
    echo "    MotdPhrase = \"benchmark\""
    if [ "$(id -u)" = 0 ]; then
        echo "    ServerUID = irc"
        echo "    ServerGID = irc"
    fi
    echo "[Limits]"
    echo "    MaxConnections = 0"
    echo "    MaxConnectionsIP = 0"
    echo "    MaxNickLength = 30"
    echo "    MaxPenaltyTime = 0"
    echo "    PingTimeout = 600"
    echo "    PongTimeout = 600"
    echo "[Options]"
    echo "    DNS = no"
    echo "    Ident = no"
    echo "    PAM = no"
} > "$OUT/ngircd.conf"
chmod 644 "$OUT/ngircd.conf"
/usr/sbin/ngircd --configtest --config "$OUT/ngircd.conf" >/dev/null

: > "$OUT/results.tsv"
# Every client comes from 127.0.0.1: lift labchat's per-address limits and budgets (ngircd's
# are off too): connections per address, commands per connection and per address, and the
# output budget (its per-address share is a thirty-second of it).
labchat() {
    "$LOADGEN" --server labchat --server-arg=--max-per-host=1000000 --server-arg=--max-per-network=1000000 \
        --server-arg=--command-rate=1000000 --server-arg=--output-budget=68719476736 \
        --tsv "$OUT/results.tsv" \
        --run "$1" all --scale "$SCALE"
}
ngircd() {
    "$LOADGEN" --server ngircd --ngircd-conf "$OUT/ngircd.conf" --addr "127.0.0.1:$NGIRCD_PORT" \
        --tsv "$OUT/results.tsv" --run "$1" all --scale "$SCALE"
}
status=0
for run in $(seq 1 "$RUNS"); do
    echo "== run $run of $RUNS ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
    # Alternate which server goes first, so drift on the machine hits both alike.
    if [ $((run % 2)) = 1 ]; then
        labchat "$run" || status=1
        ngircd "$run" || status=1
    else
        ngircd "$run" || status=1
        labchat "$run" || status=1
    fi
done
echo
"$LOADGEN" table "$OUT/results.tsv" | tee "$OUT/table.md"
[ "$status" = 0 ] || echo "some runs reported problems (see above)" >&2
exit "$status"
