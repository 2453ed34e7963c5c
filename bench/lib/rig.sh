# Sourced by the bench cases: installs what the benchmarks need, starts the project's own servers
# (OpenSSH sshd and Ceph RGW) on 127.0.0.1 in a temp directory that is removed on exit, and
# configures rclone for them through environment variables.
#   bench_rig S3_MEMSTORE_MIB      sets: work root src_dir dst_dir bucket, the rig's env, RCLONE_CONFIG_*
#   cpu_cs NAME...                 CPU time (1/100 s) used so far by the processes with these names
# src_dir belongs to the key user (ferryed, rclone remote "src"), dst_dir to the password user
# (ferrypw, remote "dst"); the bucket "bench" exists (remote "s3").

bench_packages=(wrk jq curl)

bench_install() {
  "$root/test.sh" --install-only >/dev/null
  local missing=() sudo=""
  for p in "${bench_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# Includes their exited children: sshd's per-connection processes end up in the listener's count.
cpu_cs() {
  local t=0 p v
  for p in $(pgrep -x "$(IFS='|'; echo "$*")"); do
    v=$(awk '{print $14+$15+$16+$17}' "/proc/$p/stat" 2>/dev/null) || v=0
    t=$(( t + ${v:-0} ))
  done
  echo "$t"
}

bench_cleanup() {
  [ -n "${bench_server_pid:-}" ] && kill "$bench_server_pid" 2>/dev/null && wait "$bench_server_pid" 2>/dev/null
  "$root/rig/sftp/stop" "$work/sftp" >/dev/null 2>&1 || true
  "$root/rig/s3/stop" "$work/s3" >/dev/null 2>&1 || true
  rm -rf "$work"
}

bench_rig() {
  local s3_mib=$1
  bench_install
  work=$(mktemp -d /tmp/ferry-bench.XXXXXX); chmod 755 "$work"
  trap bench_cleanup EXIT
  "$root/rig/sftp/start" "$work/sftp" >/dev/null
  "$root/rig/s3/start" "$work/s3" "$s3_mib" >/dev/null
  set -a; source "$work/sftp/env"; source "$work/s3/env"; set +a
  unset AWS_CA_BUNDLE   # rclone 1.60 fails with LoadCustomCABundleError when it is set

  src_dir=$SFTP_ED25519_BASE/bench; dst_dir=$SFTP_PASSWORD_BASE/bench
  mkdir -p "$src_dir" "$dst_dir"; chown ferryed: "$src_dir"; chown ferrypw: "$dst_dir"
  bucket=bench
  export RCLONE_CONFIG_SRC_TYPE=sftp RCLONE_CONFIG_SRC_HOST=127.0.0.1 RCLONE_CONFIG_SRC_PORT=$SFTP_PORT RCLONE_CONFIG_SRC_USER=ferryed RCLONE_CONFIG_SRC_KEY_FILE=$SFTP_ED25519_KEY
  export RCLONE_CONFIG_DST_TYPE=sftp RCLONE_CONFIG_DST_HOST=127.0.0.1 RCLONE_CONFIG_DST_PORT=$SFTP_PORT RCLONE_CONFIG_DST_USER=ferrypw RCLONE_CONFIG_DST_PASS=$(rclone obscure "$SFTP_PASSWORD")
  export RCLONE_CONFIG_S3_TYPE=s3 RCLONE_CONFIG_S3_PROVIDER=Ceph RCLONE_CONFIG_S3_ENDPOINT=$S3_ENDPOINT RCLONE_CONFIG_S3_ACCESS_KEY_ID=$S3_ACCESS_KEY RCLONE_CONFIG_S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY
  rclone mkdir s3:$bucket -q
}
