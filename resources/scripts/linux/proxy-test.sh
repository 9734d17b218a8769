# usage: proxy-test.sh METHOD TIMEOUT PROXY_HOST PROXY_PORT KIND HOST PORT [KIND HOST PORT ...]
# From this host, through an HTTP proxy, asks for each endpoint: KIND "connect" sends
# CONNECT HOST:PORT (what the Provider/MARS do for https), KIND "http" a HEAD for http://HOST:PORT/.
# stdin: line 1 the proxy user, line 2 its password (both empty: no authentication). They never
# reach argv: curl reads them from its config on stdin (-K -), the /dev/tcp fallback from stdin.
# METHOD: auto (curl if present, else bash /dev/tcp), curl, devtcp. POSIX sh (CentOS 6 era).
# One JSON line per endpoint: what the proxy answered, to be judged by the caller.
method=$1; t=$2; ph=$3; pp=$4; shift 4
IFS= read -r user || user=
IFS= read -r pass || pass=
if [ "$method" = auto ]; then
  if command -v curl >/dev/null 2>&1; then method=curl; else method=devtcp; fi
fi
if [ "$method" = devtcp ] && ! command -v bash >/dev/null 2>&1; then
  printf '{"error":"neither curl nor bash is available to test the proxy"}\n'; exit 3
fi
# JSON string content: drop quotes, backslashes and control characters, keep it short.
clean() { printf '%s' "$1" | tr -d '"\\\000-\037' | cut -c1-200; }
have_timeout=no; command -v timeout >/dev/null 2>&1 && have_timeout=yes

curl_probe() { # kind host port -> filtered verbose lines (never the request headers we send)
  if [ "$1" = connect ]; then set -- -p -k "https://$2:$3/"; else set -- -I "http://$2:$3/"; fi
  {
    printf 'proxy = "http://%s:%s"\n' "$ph" "$pp"
    if [ -n "$user" ]; then
      cred=$(printf '%s:%s' "$user" "$pass" | sed 's/\\/\\\\/g; s/"/\\"/g')
      printf 'proxy-user = "%s"\n' "$cred"
    fi
  } | curl -sS -v -K - --connect-timeout "$t" -m $((t * 2)) -o /dev/null "$@" 2>&1 |
    grep -E '^(< HTTP/|< [Xx]-[Ss]quid-[Ee]rror:|< [Pp]roxy-[Ss]tatus:|\* Connected to|curl: \()' | tr -d '\r'
}

devtcp_probe() { # kind host port; "Basic token" on stdin -> lines in curl's format
  set -- "$ph" "$pp" "$1" "$2" "$3"
  prog='IFS= read -r auth
cr=$(printf "\r")
exec 3<>"/dev/tcp/$1/$2" || exit 0
echo "* Connected to $1 port $2"
if [ "$3" = connect ]; then printf "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n" "$4" "$5" "$4" "$5" >&3
else printf "HEAD http://%s:%s/ HTTP/1.1\r\nHost: %s\r\n" "$4" "$5" "$4" >&3; fi
[ -n "$auth" ] && printf "Proxy-Authorization: %s\r\n" "$auth" >&3
printf "Connection: close\r\n\r\n" >&3
while IFS= read -r line <&3; do line=${line%"$cr"}; [ -z "$line" ] && break; echo "< $line"; done'
  if [ $have_timeout = yes ]; then timeout $((t * 2)) bash -c "$prog" proxy-probe "$@" 2>&1; else bash -c "$prog" proxy-probe "$@" 2>&1; fi |
    grep -E '^(< HTTP/|< [Xx]-[Ss]quid-[Ee]rror:|< [Pp]roxy-[Ss]tatus:|\* Connected to|proxy-probe: )'
}

auth=
if [ "$method" = devtcp ] && [ -n "$user" ]; then auth="Basic $(printf '%s:%s' "$user" "$pass" | base64 | tr -d '\n')"; fi
while [ $# -ge 3 ]; do
  kind=$1; h=$2; p=$3; shift 3
  if [ "$method" = curl ]; then out=$(curl_probe "$kind" "$h" "$p"); else out=$(printf '%s\n' "$auth" | devtcp_probe "$kind" "$h" "$p"); fi
  connected=false; printf '%s\n' "$out" | grep -q '^\* Connected to' && connected=true
  status=$(printf '%s\n' "$out" | grep '^< HTTP/' | head -n 1 | sed 's/^< //')
  perr=$(printf '%s\n' "$out" | grep -i -E '^< (x-squid-error|proxy-status):' | head -n 1 | sed 's/^< [^:]*: *//')
  err=$(printf '%s\n' "$out" | grep -E '^(curl: \(|proxy-probe: )' | head -n 1)
  printf '{"kind":"%s","host":"%s","port":%s,"method":"%s","connected":%s,"statusLine":"%s","proxyError":"%s","error":"%s"}\n' \
    "$kind" "$(clean "$h")" "$p" "$method" "$connected" "$(clean "$status")" "$(clean "$perr")" "$(clean "$err")"
done
