# Sourced by scripts that need a running tiny vLLM for a while (captures, capacity check):
# vllm_server_start LOG [EXTRA VLLM ARGS...] starts scripts/vllm-serve on a free loopback port in
# its own process group and waits for GET /v1/models; it sets VLLM_URL and VLLM_SERVER_PID and
# installs an EXIT trap that stops the group. Needs vllm-env.sh sourced first.

vllm_server_stop() {
  [[ -n "${VLLM_SERVER_PID:-}" ]] || return 0
  kill -TERM "$VLLM_SERVER_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 300); do
    kill -0 -- "-$VLLM_SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  # Still there after 30 s: the engine or worker hung; take the whole group down.
  kill -KILL -- "-$VLLM_SERVER_PID" 2>/dev/null || true
  VLLM_SERVER_PID=""
}

vllm_server_start() {
  local log="$1" port started=$SECONDS
  shift
  port="$("$VLLM_CPU_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  mkdir -p "$(dirname "$log")"
  trap vllm_server_stop EXIT
  setsid "$(dirname "${BASH_SOURCE[0]}")/vllm-serve" "$port" "$@" >"$log" 2>&1 &
  VLLM_SERVER_PID=$!
  VLLM_URL="http://127.0.0.1:$port"
  until curl -sf -o /dev/null "$VLLM_URL/v1/models"; do
    if ! kill -0 "$VLLM_SERVER_PID" 2>/dev/null; then
      echo "vLLM exited during start-up; the end of $log:" >&2
      tail -n 15 "$log" >&2
      VLLM_SERVER_PID=""
      return 1
    fi
    if ((SECONDS - started > ${VLLM_READY_TIMEOUT_S:-600})); then
      echo "vLLM was not ready after $((SECONDS - started)) s; see $log" >&2
      vllm_server_stop
      return 1
    fi
    sleep 1
  done
  VLLM_READY_S=$((SECONDS - started))
}
