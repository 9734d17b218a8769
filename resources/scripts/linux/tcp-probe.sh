# usage: tcp-probe.sh TIMEOUT_SECONDS HOST PORT [HOST PORT ...]
# Tries a TCP connection FROM this host to each target (is the configuration server's 443 /
# the process server's 9443 reachable from where the Mobility service will run?). One JSON line each.
t=$1; shift
while [ $# -ge 2 ]; do
  h=$1; p=$2; shift 2
  if command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
    err=$(timeout "$t" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$h" "$p" 2>&1); rc=$?
  elif command -v nc >/dev/null 2>&1; then
    err=$(nc -z -w "$t" "$h" "$p" 2>&1); rc=$?
  else
    printf '{"target":"%s","port":%s,"ok":false,"error":"neither bash+timeout nor nc is available to test"}\n' "$h" "$p"; continue
  fi
  if [ $rc -eq 0 ]; then ok=true; else ok=false; fi
  [ $rc -eq 124 ] && err="timed out after ${t}s"
  err=$(printf '%s' "$err" | tr -d '"\\\000-\037' | cut -c1-160)
  printf '{"target":"%s","port":%s,"ok":%s,"error":"%s"}\n' "$h" "$p" "$ok" "$err"
done
