# usage: fetch-installer.sh probe URL PIN CAFILE
#        fetch-installer.sh fetch URL DEST SHA256 PIN CAFILE
# Pull staging: THIS host fetches an installer from the repository, then checks its SHA-256
# against the one the workstation trusts (catalog or `sources trust` pin; never the repository's
# word) before anything can run it. curl is preferred: with PIN (sha256//BASE64 of the pinned
# certificate's public key) it runs `--pinnedpubkey` (the pin replaces the CA and name checks,
# as on the workstation); without PIN the system CAs and the name are checked. wget has no key
# pinning: with a pin it trusts CAFILE (the pinned certificate itself) with the name check.
# One JSON line; exit 0 ok, 3 hash mismatch (file removed), 4 no fetch tool, 5 unreachable, 6 other.
mode=$1; url=$2
if command -v curl >/dev/null 2>&1; then tool=curl
elif command -v wget >/dev/null 2>&1; then tool=wget
else echo '{"ok":false,"error":"no_tool","message":"neither curl nor wget is installed"}'; exit 4; fi
clean() { printf '%s' "$1" | tr -d '"\\\000-\037' | cut -c1-300; }
# get URL OUT PIN CAFILE -> exit status of the tool; its stderr in $err
get() {
  if [ "$tool" = curl ]; then
    if [ -n "$3" ]; then err=$(curl -sS -f -k --pinnedpubkey "$3" --connect-timeout 10 -o "$2" "$1" 2>&1); else err=$(curl -sS -f --connect-timeout 10 -o "$2" "$1" 2>&1); fi
  else
    if [ -n "$3" ]; then err=$(wget -q -T 10 -t 1 --ca-certificate="$4" -O "$2" "$1" 2>&1); else err=$(wget -q -T 10 -t 1 -O "$2" "$1" 2>&1); fi
  fi
}
# curl: 6/7/28/35/60/90 = resolve/connect/timeout/TLS/CA/pin; 22 = HTTP error. wget: 4 network, 5 TLS, 8 server error.
unreachable() { case "$tool:$1" in curl:6|curl:7|curl:28|curl:35|curl:60|curl:90|curl:51|wget:4|wget:5) return 0;; esac; return 1; }
case "$mode" in
  probe)
    pin=$3; ca=$4
    get "$url" /dev/null "$pin" "$ca"; rc=$?
    # Any HTTP answer (even 404 for a listing-less base URL) proves the host reaches the repository and trusts it.
    if [ $rc -eq 0 ] || { [ "$tool" = curl ] && [ $rc -eq 22 ]; } || { [ "$tool" = wget ] && [ $rc -eq 8 ]; }; then
      printf '{"ok":true,"tool":"%s"}\n' "$tool"; exit 0
    fi
    printf '{"ok":false,"tool":"%s","error":"unreachable","exit":%s,"message":"%s"}\n' "$tool" "$rc" "$(clean "$err")"; exit 5 ;;
  fetch)
    dest=$3; want=$4; pin=$5; ca=$6
    part="$dest.partial"
    rm -f -- "$part"
    umask 077
    get "$url" "$part" "$pin" "$ca"; rc=$?
    if [ $rc -ne 0 ]; then
      rm -f -- "$part"
      if unreachable $rc; then e=unreachable; x=5; else e=fetch_failed; x=6; fi
      printf '{"ok":false,"tool":"%s","error":"%s","exit":%s,"message":"%s"}\n' "$tool" "$e" "$rc" "$(clean "$err")"; exit $x
    fi
    # openssl first: its SHA-256 uses the CPU's SHA extensions, coreutils' often does not (5x here).
    got=
    command -v openssl >/dev/null 2>&1 && got=$(openssl dgst -sha256 < "$part" 2>/dev/null | sed 's/.*= *//')
    [ -n "$got" ] || got=$(sha256sum < "$part" | cut -d' ' -f1)
    bytes=$(wc -c < "$part" | tr -d ' ')
    if [ "$got" != "$want" ]; then
      rm -f -- "$part"
      printf '{"ok":false,"tool":"%s","error":"hash_mismatch","sha256":"%s","bytes":%s}\n' "$tool" "$got" "$bytes"; exit 3
    fi
    chmod 600 "$part" && mv -f -- "$part" "$dest" || { echo '{"ok":false,"error":"fetch_failed","message":"cannot move the file into place"}'; exit 6; }
    printf '{"ok":true,"tool":"%s","sha256":"%s","bytes":%s}\n' "$tool" "$got" "$bytes"; exit 0 ;;
  *) echo '{"ok":false,"error":"usage"}'; exit 2 ;;
esac
