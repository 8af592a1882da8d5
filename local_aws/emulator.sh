#!/usr/bin/env bash
# Local AWS emulator (moto server + harness patches) for applying the
# Terraform stack without an AWS account.  See local_aws/README.md.
#
#   local_aws/emulator.sh start|stop|reset|status|env
#
# Settings (environment):
#   EMULATOR_PORT           port on 127.0.0.1            (default 4566)
#   EMULATOR_STATE_DIR      pid file + moto.log          (default .local-aws, repo-relative)
#   EMULATOR_START_TIMEOUT  seconds to wait for ready    (default 30)
#   EMULATOR_TIME_SCALE     health-check intervals and DNS TTLs run this many times faster (default 1)
#   EMULATOR_ADDRESSES      loopback block 127.X.Y of the regions' APIs and DNS (default 127.0.0)
#   PYTHON                  interpreter with moto[server] (default .venv/bin/python)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."   # repo root

PORT="${EMULATOR_PORT:-4566}"
STATE_DIR="${EMULATOR_STATE_DIR:-.local-aws}"
PYTHON="${PYTHON:-.venv/bin/python}"
START_TIMEOUT="${EMULATOR_START_TIMEOUT:-30}"
PID_FILE="$STATE_DIR/moto.pid"
TOKEN_FILE="$STATE_DIR/moto.token"
LOG_FILE="$STATE_DIR/moto.log"
URL="http://127.0.0.1:$PORT"
SERVER="local_aws.server"  # run as a module from the repo root

usage() {
  echo "usage: $0 start|stop|reset|status|env" >&2
  echo "  start   start the emulator on 127.0.0.1:\$EMULATOR_PORT (default 4566)" >&2
  echo "  stop    stop it (no-op when not running)" >&2
  echo "  reset   wipe all emulated AWS state" >&2
  echo "  status  print running / not running (exit 0 / 1)" >&2
  echo "  env     print export lines: eval \"\$($0 env)\"" >&2
}

die() { echo "emulator: $*" >&2; exit 1; }

# The process exists and has not exited. An exited server stays a zombie until whoever
# adopted it (init, or a container's subreaper) reaps it, which can take seconds; `kill -0`
# succeeds on a zombie, so it alone would keep `stop` waiting for a process long gone.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0  # no procfs: trust kill -0
  stat="${stat##*) }"
  [[ "${stat%% *}" != Z ]]
}

# The pid from the pid file, if that process is alive and is our launcher.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  # Guard against a recycled pid: the process must be running our server.py.
  if [[ -r "/proc/$pid/cmdline" ]]; then
    local cmdline
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmdline" == *"$SERVER"* ]] || return 1
  fi
  echo "$pid"
}

responding() {
  curl -fsS -o /dev/null --max-time 2 "$URL/moto-api/config" 2>/dev/null
}

# The start token of whichever server answers on the port ("" when none, or not ours).
served_token() {
  curl -fsS --max-time 2 "$URL/_local_aws/token" 2>/dev/null || true
}

# Our server answers, not another run's on the same port.
ours_responding() {
  [[ -s "$TOKEN_FILE" ]] && [[ "$(served_token)" == "$(cat "$TOKEN_FILE")" ]]
}

port_in_use() {
  "$PYTHON" - "$PORT" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)   # in use
sys.exit(1)       # free
EOF
}

kill_and_wait() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || { reap_group "$pid"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    alive "$pid" || { reap_group "$pid"; return 0; }
    sleep 0.1
  done
}

# The server runs in a session (and process group) of its own, started by setsid: whatever
# it started and left behind (a Lambda worker of a killed server) goes with it.
reap_group() {
  kill -KILL -- "-$1" 2>/dev/null || true
}

cmd_start() {
  local pid
  if pid="$(running_pid)"; then
    die "already running (pid $pid, $URL); use '$0 stop' first"
  fi
  [[ -x "$PYTHON" ]] || command -v "$PYTHON" >/dev/null 2>&1 \
    || die "python not found: $PYTHON (set PYTHON=...)"
  if port_in_use; then
    die "port $PORT on 127.0.0.1 is already in use; stop whatever holds it or set EMULATOR_PORT"
  fi
  mkdir -p "$STATE_DIR"
  [[ -e "$STATE_DIR/.gitignore" ]] || echo '*' >"$STATE_DIR/.gitignore"  # never commit state
  rm -f "$PID_FILE"
  # A token only this start knows: success means OUR server answers, never another run's that
  # won a race for the port (both saw it free, both launched, one bound it).
  local token
  token="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')"
  echo "$token" >"$TOKEN_FILE"
  # A session of its own: Ctrl-C in the terminal that started it (SIGINT to the foreground
  # process group) interrupts the deploy, never the emulator that holds the deployment's data.
  EMULATOR_PORT="$PORT" EMULATOR_TOKEN="$token" EMULATOR_STATE_DIR="$STATE_DIR" \
    nohup setsid "$PYTHON" -m "$SERVER" >"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"

  local deadline=$((SECONDS + START_TIMEOUT)) why=""
  while :; do
    if ! alive "$pid"; then
      why="exited during startup"
      [[ -n "$(served_token)" ]] && why="port $PORT was taken by another emulator starting at the same time"
      break
    fi
    if ours_responding; then
      echo "emulator: running (pid $pid) at $URL, log $LOG_FILE"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      why="not ready after ${START_TIMEOUT}s"; break
    fi
    sleep 0.2
  done

  echo "emulator: failed to start on $URL: $why (log $LOG_FILE):" >&2
  tail -n 20 "$LOG_FILE" >&2 || true
  kill_and_wait "$pid"
  rm -f "$PID_FILE" "$TOKEN_FILE"
  exit 1
}

cmd_stop() {
  local pid
  if pid="$(running_pid)"; then
    kill_and_wait "$pid"
    if alive "$pid"; then
      die "could not stop pid $pid"
    fi
    echo "emulator: stopped (pid $pid)"
  else
    echo "emulator: not running"
  fi
  rm -f "$PID_FILE" "$TOKEN_FILE"
}

cmd_reset() {
  running_pid >/dev/null || die "not running (start it with '$0 start')"
  curl -fsS -o /dev/null --max-time 10 -X POST "$URL/moto-api/reset" \
    || die "reset failed: POST $URL/moto-api/reset"
  echo "emulator: state reset"
}

cmd_status() {
  local pid
  if pid="$(running_pid)" && ours_responding; then
    echo "running (pid $pid, $URL)"
    return 0
  fi
  echo "not running ($URL)"
  return 1
}

cmd_env() {
  cat <<EOF
export AWS_ENDPOINT_URL=$URL
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required
export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
export AWS_EC2_METADATA_DISABLED=true
EOF
}

[[ $# -eq 1 ]] || { usage; exit 2; }
case "$1" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  reset) cmd_reset ;;
  status) cmd_status ;;
  env) cmd_env ;;
  -h | --help | help) usage; exit 0 ;;
  *) usage; exit 2 ;;
esac
