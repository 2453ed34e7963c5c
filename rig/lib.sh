# Shared helpers for the test-rig scripts. Sourced, never run.
set -euo pipefail

# free_port: print a TCP port on 127.0.0.1 that nothing listens on right now.
# Below Linux's ephemeral range (32768-60999 by default): a port there can be the local end of some
# outgoing connection, which nothing listens on but a server still cannot bind (the likely cause of
# one "sshd did not listen" seen right after a test run had made thousands of connections).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(shuf -i 20000-32000 -n 1)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"; return 0
    fi
  done
  echo "no free port found on 127.0.0.1" >&2; return 1
}

# wait_port PORT SECONDS: wait until something accepts connections on 127.0.0.1:PORT.
wait_port() {
  local port=$1 secs=$2 i
  for i in $(seq 1 $((secs * 10))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

die() { echo "rig: $*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: run ./test.sh --install-only (it installs $2 with apt-get)"
}
