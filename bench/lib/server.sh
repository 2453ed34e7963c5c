# Sourced by the bench cases that go through the REST API: publishes ferry-server as users would
# install it, runs it on 127.0.0.1 with its data directory in $work, and registers the rig's SFTP
# source and S3 bucket as one customer's endpoints.
#   bench_server [FERRY__X=value ...]   sets: api (base URL), token (the customer's API key), server_log,
#                                       bench_server_pid. With server_src set, publishes that checkout
#                                       instead of $root; with server_tag set, keeps its build, data and
#                                       log apart (two servers side by side: bench/ab-api-create)
#   bench_endpoints                     sets: sftp_endpoint (base $src_dir), s3_endpoint (bucket $bucket)
#   api METHOD PATH [JSON]              prints the response body; exits on a non-2xx answer

bench_server() {
  local port admin tag=${server_tag:+-$server_tag}
  dotnet publish "${server_src:-$root}/src/Ferry.Server" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$root/artifacts/bench-server$tag" --nologo -v q >/dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  admin=bench-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  api=http://127.0.0.1:$port
  server_log=$work/server$tag.log
  env FERRY__DATADIRECTORY="$work/ferry-data$tag" FERRY__LISTEN="$api" FERRY__ADMINKEY="$admin" FERRY__ALLOWPRIVATENETWORKS=true \
    Logging__LogLevel__Default=Warning "$@" "$root/artifacts/bench-server$tag/ferry-server" >"$server_log" 2>&1 &
  bench_server_pid=$!
  for _ in $(seq 1 100); do curl -fs "$api/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "$api/readyz" >/dev/null || { echo "bench: ferry-server did not become ready; its log:" >&2; cat "$server_log" >&2; exit 1; }
  token=$admin
  token=$(api POST /v1/customers '{"name":"bench"}' | jq -r .api_key.token)
}

api() {
  local method=$1 path=$2 body=${3:-} out status
  out=$(mktemp -p "$work")
  status=$(curl -s -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token" \
    ${body:+-H 'Content-Type: application/json' --data "$body"} "$api$path")
  if [ "${status:0:1}" != 2 ]; then echo "bench: $method $path answered $status: $(cat "$out")" >&2; exit 1; fi
  cat "$out"; rm -f "$out"
}

bench_endpoints() {
  local key
  key=$(jq -Rs . < "$SFTP_ED25519_KEY")
  sftp_endpoint=$(api POST /v1/endpoints "{\"name\":\"partner\",\"type\":\"sftp\",\"max_concurrency\":${BENCH_SFTP_CONCURRENCY:-8},
    \"sftp\":{\"host\":\"127.0.0.1\",\"port\":$SFTP_PORT,\"username\":\"ferryed\",\"base_path\":\"$src_dir\",\"host_key_sha256\":\"$SFTP_HOST_KEY_SHA256\"},
    \"credentials\":{\"private_key\":$key}}" | jq -r .endpoint_id)
  s3_endpoint=$(api POST /v1/endpoints "{\"name\":\"bucket\",\"type\":\"s3\",\"max_concurrency\":${BENCH_S3_CONCURRENCY:-16},
    \"s3\":{\"bucket\":\"$bucket\",\"region\":\"us-east-1\",\"service_url\":\"$S3_ENDPOINT\"},
    \"credentials\":{\"access_key_id\":\"$S3_ACCESS_KEY\",\"secret_access_key\":\"$S3_SECRET_KEY\"}}" | jq -r .endpoint_id)
}
