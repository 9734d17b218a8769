# usage: run-step.sh STATE_DIR NAME CWD -- PROGRAM [ARG...]
# Runs one installer step detached from this SSH session (setsid), so a workstation crash or a
# dropped connection does not kill an install half-way, and waits for it. Re-running it for the
# same STATE_DIR/NAME (jobs resume) never starts the program twice: it reports the finished
# result, or waits for the run still in progress. Prints the program's output; exits with its code.
state=$1; name=$2; cwd=$3; shift 4
base="$state/$name"
if [ ! -f "$base.rc" ]; then
  if [ -f "$base.pid" ] && kill -0 "$(cat "$base.pid")" 2>/dev/null; then
    :
  else
    (cd "$cwd" && setsid sh -c '"$@" >"$0.out" 2>&1 </dev/null; echo $? >"$0.rc.tmp"; mv "$0.rc.tmp" "$0.rc"' "$base" "$@" </dev/null >/dev/null 2>&1 &
     echo $! >"$base.pid")
  fi
  while [ ! -f "$base.rc" ]; do
    if ! kill -0 "$(cat "$base.pid" 2>/dev/null)" 2>/dev/null; then
      sleep 1
      [ -f "$base.rc" ] || { echo "the $name process ended without reporting an exit code"; exit 125; }
    fi
    sleep 0.2 2>/dev/null || sleep 1
  done
fi
cat "$base.out" 2>/dev/null
exit "$(cat "$base.rc")"
