# Prints one JSON document: is the Mobility service installed, which version, is it registered
# (configured) and is svagents running. Reads /usr/local/.vx_version (KEY=VALUE lines; the
# documented "Version" field is matched case-insensitively). POSIX sh; no bash, jq or python.
vx=/usr/local/.vx_version
esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\000-\037'; }
field() { sed -n "s/^$1=//Ip" "$vx" 2>/dev/null | head -n 1 | tr -d '\r'; }
if [ -r "$vx" ]; then
  installed=true
  version=$(field VERSION)
  dir=$(field INSTALLATION_DIR)
  status=$(field AGENT_CONFIGURATION_STATUS)
elif [ -e "$vx" ]; then
  printf '{"installed":null,"error":"%s is not readable"}\n' "$vx"; exit 0
else
  installed=false; version=; dir=; status=
fi
if pgrep -x svagents >/dev/null 2>&1; then service=running
elif ps -e -o comm= 2>/dev/null | grep -qx svagents; then service=running
elif [ "$installed" = true ]; then service=stopped
else service=absent; fi
configured=null
[ -n "$status" ] && { [ "$status" = Succeeded ] && configured=true || configured=false; }
[ "$installed" = false ] && configured=false
printf '{"installed":%s,"version":%s,"installDir":%s,"configured":%s,"configurationStatus":%s,"service":"%s"}\n' \
  "$installed" \
  "$( [ -n "$version" ] && printf '"%s"' "$(esc "$version")" || printf null)" \
  "$( [ -n "$dir" ] && printf '"%s"' "$(esc "$dir")" || printf null)" \
  "$configured" \
  "$( [ -n "$status" ] && printf '"%s"' "$(esc "$status")" || printf null)" \
  "$service"
