#!/usr/bin/env bash
# The fleet store under load, beside the limit of the server it runs on (BENCHMARKS.md,
# "Fleet store under load"). Run from anywhere in a clone: bash store/benches/load.sh
#
# Starts its own servers on 127.0.0.1 on free ports: a redis-server, a Redis Cluster of 3
# masters, and a PostgreSQL if initdb is installed (/usr/lib/postgresql/*/bin) and the
# crate has its PostgresBackend. Builds store/examples/load.rs in release and runs it on
# 1 key and on 10,000 keys against each (TASKS concurrent tokio tasks, SECONDS_PER_RUN seconds per run).
# Then redis-benchmark sends the same script call (EVALSHA of the store's compare-and-set,
# expected and new value of the payload's size, PX of the store's TTL) to the same
# servers, with as many clients, on keys that hold the expected bytes, so that every call
# compares, matches and writes (SET PX), as the store's calls do: the most EVALSHA calls
# per second the server gives, so the most events per second a store that needs one
# script call per event could reach. Prints a Markdown table; stops every server on exit.
#
# Each round measures every backend, each limit right after the store's run on the same
# servers: the machine's load changes from minute to minute, so the rounds show how much
# the figures move.
#
# Environment: SECONDS_PER_RUN (5), TASKS (64), KEYS (10000), ROUNDS (2), PIPELINE (64:
# the pipelined reference, -c 1 -P PIPELINE), NO_BUILD=1 to use the binary as built.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${SECONDS_PER_RUN:-5}
tasks=${TASKS:-64}
keys=${KEYS:-10000}
pipeline=${PIPELINE:-64}
rounds=${ROUNDS:-2}

step() { printf '\n==> %s\n' "$*" >&2; }

for tool in redis-server redis-cli redis-benchmark python3; do
    command -v "$tool" >/dev/null || {
        echo "$tool is missing (apt-get install redis-server redis-tools python3)" >&2
        exit 1
    }
done

free_port() {
    # A free port whose +10000 (the cluster bus) is free too.
    python3 -c '
import socket
while True:
    a, b = socket.socket(), socket.socket()
    a.bind(("127.0.0.1", 0)); port = a.getsockname()[1]
    try:
        if port + 10000 > 65535: continue
        b.bind(("127.0.0.1", port + 10000)); print(port); break
    except OSError: pass
    finally: a.close(); b.close()'
}

work=$(mktemp -d)
chmod 755 "$work"
server_pids=()
pg_data=
as_pg=()
stop_servers() {
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "$pg_data" ]; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap stop_servers EXIT

# start_redis NAME PORT [OPTION...]: a throwaway redis-server, waited for.
start_redis() {
    local name=$1 port=$2
    shift 2
    mkdir -p "$work/$name"
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no \
        --dir "$work/$name" "$@" >"$work/$name.log" 2>&1 &
    server_pids+=($!)
    for _ in $(seq 100); do
        if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then return; fi
        sleep 0.1
    done
    cat "$work/$name.log" >&2
    exit 1
}

step "redis-server, one node"
redis_port=$(free_port)
start_redis single "$redis_port"
redis_url="redis://127.0.0.1:$redis_port/"

step "Redis Cluster, 3 masters"
cluster_ports=()
for node in 1 2 3; do
    port=$(free_port)
    start_redis "cluster$node" "$port" --cluster-enabled yes \
        --cluster-config-file "$work/cluster$node/nodes.conf"
    cluster_ports+=("$port")
done
redis-cli --cluster create "${cluster_ports[@]/#/127.0.0.1:}" --cluster-replicas 0 \
    --cluster-yes >"$work/cluster-create.log"
for _ in $(seq 100); do
    ok=0
    for port in "${cluster_ports[@]}"; do
        redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok' && ok=$((ok + 1))
    done
    [ "$ok" -eq 3 ] && break
    sleep 0.1
done
[ "$ok" -eq 3 ] || { cat "$work/cluster-create.log" >&2; exit 1; }
cluster_urls=$(printf 'redis://127.0.0.1:%s/,' "${cluster_ports[@]}")
cluster_urls=${cluster_urls%,}

# PostgreSQL: only if it is installed and the crate has the backend.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
features=()
postgres_args=()
if [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] && [ -f store/src/backends/postgres.rs ]; then
    step "PostgreSQL ($("$pg_bin/postgres" --version))"
    pg_port=$(free_port)
    pg_data="$work/pg"
    mkdir -p "$pg_data"
    if [ "$(id -u)" -eq 0 ]; then
        # initdb refuses root.
        chown postgres "$pg_data"
        as_pg=(runuser -u postgres --)
    fi
    "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_data" -U postgres -A trust >"$work/initdb.log" 2>&1 ||
        { cat "$work/initdb.log" >&2; exit 1; }
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/log" -w start \
        -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1" >/dev/null
    features=(--features postgres)
    postgres_args=(--postgres "host=127.0.0.1 port=$pg_port user=postgres dbname=postgres")
else
    step "PostgreSQL skipped (no initdb under /usr/lib/postgresql/*/bin, or no store/src/backends/postgres.rs)"
fi

load=target/release/examples/load
if [ -z "${NO_BUILD:-}" ]; then
    step "cargo build --release -p account-lockout-store --example load ${features[*]}"
    cargo build --release -p account-lockout-store --example load "${features[@]}" >&2
fi

# run_load NAME ROUND ARGS...: the store on 1 key and on $keys keys, into $work/NAME.ROUND.tsv.
run_load() {
    local name=$1 round=$2 status=0
    shift 2
    step "round $round: the store on $name, $tasks tasks, ${seconds} s per run"
    "$load" --tsv --tasks "$tasks" --seconds "$seconds" --keys "1,$keys" "$@" \
        >"$work/$name.$round.tsv" 2>"$work/$name.$round.err" || status=$?
    [ "$status" -eq 0 ] || echo "the load example exited with $status on $name:" >&2
    cat "$work/$name.$round.err" "$work/$name.$round.tsv" >&2
}

# field NAME ROUND KEYS COLUMN: a column of the store's row (see load --tsv).
field() {
    awk -F'\t' -v k="$3" -v c="$4" '$1 == "row" && $3 == k { print $c }' "$work/$1.$2.tsv"
}

# (The x keeps the text's last newline from the command substitution.)
script=$("$load" --print-script; printf x)
script=${script%x}
seeded=

# seed_all: from the store's first Redis run, the payload, the TTL and the script's SHA;
# then every benchmark key (redis-benchmark's __rand_int__ is 12 digits) holds the
# expected bytes, on the one node and on each master (keys of a hash tag it serves).
seed_all() {
    read -r expected_bytes written_bytes ttl_ms < <(
        awk -F'\t' -v k="$keys" '$1 == "payload" && $3 == k { print $4, $5, $6 }' "$work/redis.1.tsv")
    sha=$(awk -F'\t' '$1 == "script" { print $2 }' "$work/redis.1.tsv")
    [ -n "$sha" ] && [ "${expected_bytes:-0}" -gt 0 ] ||
        { echo "no script line, or no payload compared with, from the example" >&2; exit 1; }
    [ "$expected_bytes" = "$written_bytes" ] ||
        echo "note: the store expects $expected_bytes bytes and writes $written_bytes" >&2
    # The store loaded its script on the server: the SHA printed is the one it calls.
    [ "$(redis-cli -p "$redis_port" script exists "$sha")" = 1 ] ||
        { echo "the server has no script $sha: the example's copy differs from RedisBackend's" >&2; exit 1; }
    payload=$(head -c "$expected_bytes" /dev/zero | tr '\0' x)
    written=$(head -c "$written_bytes" /dev/zero | tr '\0' x)
    seed "$redis_port" "load:bench:"
    local node=0 port candidate
    for port in "${cluster_ports[@]}"; do
        node=$((node + 1))
        # A hash tag whose slot this master serves: the others answer MOVED.
        for candidate in $(seq 0 999); do
            if redis-cli -p "$port" set "{t$candidate}:probe" 1 2>/dev/null | grep -q '^OK$'; then
                redis-cli -p "$port" del "{t$candidate}:probe" >/dev/null
                cluster_tags[$node]="t$candidate"
                break
            fi
        done
        seed "$port" "{${cluster_tags[$node]}}:"
    done
    seeded=1
}
declare -A cluster_tags

# seed PORT PREFIX: keys PREFIX000000000000.. and PREFIX__rand_int__ (the 1-key run: no
# -r, the placeholder stays) hold the expected bytes; the script is loaded.
seed() {
    local port=$1 prefix=$2
    [ "$(redis-cli -p "$port" script load "$script")" = "$sha" ] ||
        { echo "SCRIPT LOAD on $port gave another SHA" >&2; exit 1; }
    awk -v p="$prefix" -v n="$keys" -v v="$payload" \
        'BEGIN { for (i = 0; i < n; i++) printf "SET %s%012d %s\n", p, i, v; printf "SET %s__rand_int__ %s\n", p, v }' |
        redis-cli -p "$port" --pipe >/dev/null || { echo "seeding the keys on $port failed" >&2; exit 1; }
}

# calls PORT: how many EVALSHA and SET calls the server ran so far.
calls() {
    redis-cli -p "$1" info commandstats |
        awk -F'[=:,]' '$1 == "cmdstat_evalsha" { e = $3 } $1 == "cmdstat_set" { s = $3 } END { print e + 0, s + 0 }'
}

# bench PORT CLIENTS PIPELINE REQUESTS KEY [-r N]: EVALSHA calls per second; checks that
# every call compared, matched and wrote: as many SETs as script calls, at least REQUESTS.
bench() {
    local port=$1 clients=$2 depth=$3 requests=$4 key=$5 rate
    shift 5
    read -r evalsha_before set_before < <(calls "$port")
    rate=$(redis-benchmark -p "$port" -c "$clients" -P "$depth" -n "$requests" "$@" --csv \
        EVALSHA "$sha" 1 "$key" 1 "$payload" px "$written" "$ttl_ms" 2>/dev/null |
        awk -F'"' 'NR == 2 { printf "%.0f\n", $4 }')
    read -r evalsha_after set_after < <(calls "$port")
    local evalshas=$((evalsha_after - evalsha_before)) sets=$((set_after - set_before))
    [ "$evalshas" -eq "$sets" ] && [ "$sets" -ge "$requests" ] ||
        { echo "redis-benchmark's $requests calls on $port: $evalshas EVALSHA, $sets SET" >&2; exit 1; }
    echo "$rate"
}

# cluster_bench REQUESTS [-r N]: one redis-benchmark per master at once, the clients
# shared out, each on keys of a hash tag that master serves; the sum of the rates.
cluster_bench() {
    local requests=$1 node=0 pids=() port
    shift
    for port in "${cluster_ports[@]}"; do
        node=$((node + 1))
        bench "$port" $(((tasks + 3 - node) / 3)) 1 $((requests / 3)) \
            "{${cluster_tags[$node]}}:__rand_int__" "$@" >"$work/cb$node" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    cat "$work/cb1" "$work/cb2" "$work/cb3" | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# requests NAME ROUND: as many calls as the store's events in its $keys-key run (at
# least 50,000), so that both run about as long.
requests() {
    awk -v e="$(field "$1" "$2" "$keys" 5)" 'BEGIN { print (e < 50000 ? 50000 : e) }'
}

machine_start="$(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    run_load redis "$round" --redis "$redis_url"
    [ -n "$seeded" ] || seed_all
    n=$(requests redis "$round")
    step "round $round: redis-benchmark EVALSHA, $n calls, ${expected_bytes}-byte values, PX $ttl_ms"
    limit_keys[$round]=$(bench "$redis_port" "$tasks" 1 "$n" "load:bench:__rand_int__" -r "$keys")
    limit_one[$round]=$(bench "$redis_port" "$tasks" 1 "$n" "load:bench:__rand_int__")
    limit_pipelined[$round]=$(bench "$redis_port" 1 "$pipeline" "$n" "load:bench:__rand_int__" -r "$keys")
    echo "one node: -c $tasks ${limit_keys[$round]}/s on $keys keys, ${limit_one[$round]}/s on 1 key; -c 1 -P $pipeline ${limit_pipelined[$round]}/s" >&2

    run_load cluster "$round" --cluster "$cluster_urls"
    n=$(requests cluster "$round")
    step "round $round: redis-benchmark EVALSHA on the cluster's 3 masters at once, $n calls"
    cluster_keys[$round]=$(cluster_bench "$n" -r "$keys")
    cluster_one[$round]=$(cluster_bench "$n")
    echo "cluster: ${cluster_keys[$round]}/s on $keys keys, ${cluster_one[$round]}/s on 1 key per master" >&2

    if [ ${#postgres_args[@]} -gt 0 ]; then
        run_load postgres "$round" "${postgres_args[@]}"
    fi
done
machine_end="load average $(cut -d' ' -f1-3 /proc/loadavg)"

# The table.
row() { # row NAME ROUND LABEL LIMIT_KEYS LIMIT_ONE
    awk -F'\t' -v name="$3" -v k="$keys" -v lk="$4" -v l1="$5" '
        function group(n,   s, out) {
            if (n == "") return "?"
            s = sprintf("%.0f", n); out = ""
            while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
            return s out
        }
        function ratio(a, b) { return (a != "" && b > 0) ? sprintf("%.2f", a / b) : "–" }
        $1 == "row" && $3 == 1 { one = $6; c1 = $9; g1 = $10; e1 = $11 + 0; lost += $13; p1 = $7 " / " $8 }
        $1 == "row" && $3 == k { many = $6; ck = $9; gk = $10; ek = $11 + 0; lost += $13; pk = $7 " / " $8 }
        END {
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s µs | %s µs | %s / %s | %s / %s | %s / %s | %s |\n",
                name, group(one), (l1 > 0 ? group(l1) : "–"), ratio(one, l1),
                group(many), (lk > 0 ? group(lk) : "–"), ratio(many, lk), ratio(one, many),
                p1, pk, group(c1), group(ck), group(g1), group(gk), e1, ek,
                (one == "" || many == "" ? "?" : lost)
        }' "$work/$1.$2.tsv"
}
echo
echo "$tasks tasks, ${seconds} s per run, $rounds rounds, $(nproc) cores; $machine_start at the start, $machine_end at the end."
echo "Payload $expected_bytes bytes (written $written_bytes), PX $ttl_ms, script SHA1 $sha."
echo
echo "| backend (round) | 1 key: events/s | limit | ratio | $keys keys: events/s | limit | ratio | 1 key ÷ $keys keys | p50 / p99, 1 key | p50 / p99, $keys keys | conflicts (1 / $keys) | gave up (1 / $keys) | errors (1 / $keys) | lost updates |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for round in $(seq "$rounds"); do
    row redis "$round" "Redis, one node ($round)" "${limit_keys[$round]}" "${limit_one[$round]}"
done
for round in $(seq "$rounds"); do
    row cluster "$round" "Redis Cluster, 3 masters ($round)" "${cluster_keys[$round]}" "${cluster_one[$round]}"
done
if [ ${#postgres_args[@]} -gt 0 ]; then
    for round in $(seq "$rounds"); do
        row postgres "$round" "PostgreSQL ($round)" 0 0
    done
fi
echo
echo "Limit: redis-benchmark -c $tasks calling the same script (EVALSHA) on the same server(s) right after the store's run, every call a matching compare and a SET PX (the cluster's: one redis-benchmark per master at once, the clients shared out, 1 key per master in the 1-key column)."
for round in $(seq "$rounds"); do
    awk -v m="$(field redis "$round" "$keys" 6)" -v p="${limit_pipelined[$round]}" -v k="$keys" -v r="$round" -v d="$pipeline" \
        'BEGIN { printf "Round %s: pipelined, -c 1 -P %s (as the store'"'"'s one multiplexed connection sends), the one node gives %.0f calls/s; the store at %s keys reaches %.2f of it.\n", r, d, p, k, m / p }'
done
