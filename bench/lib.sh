# bench/lib.sh: what the benchmark scripts share. Source it after setting BENCH_NAME (the prefix of
# every line they print on stderr).

say() {
  printf '%s: %s\n' "$BENCH_NAME" "$*" >&2
}

die() {
  say "$*"
  exit 1
}

# stop_pid WHAT PID: SIGTERM the daemon PID, wait up to 20 s (then SIGKILL). Returns 1 if it did
# not exit with status 0 by itself.
stop_pid() {
  local what=$1 pid=$2 rc=0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$what (pid $pid) still running 20 s after SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 1
  fi
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    say "$what exited with status $rc"
    return 1
  fi
}

# For the scripts with one daemon (DPID) and one work directory (WORK): stop_daemon, and a
# cleanup on every exit that keeps WORK only with KEEP_BENCH=1.
WORK=
DPID=

stop_daemon() {
  [ -n "$DPID" ] || return 0
  local pid=$DPID
  DPID=
  stop_pid liudongd "$pid"
}

bench_cleanup() {
  local rc=$?
  stop_daemon || rc=1
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "${KEEP_BENCH:-0}" = 1 ]; then
      say "kept $WORK"
    else
      rm -rf -- "$WORK"
    fi
  fi
  exit "$rc"
}
