# usage: kill-step.sh STATE_DIR NAME — ends a detached step (timeout or cancel): its whole process group.
base="$1/$2"
pid=$(cat "$base.pid" 2>/dev/null) || exit 0
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 25 ]; do sleep 0.2 2>/dev/null || sleep 1; i=$((i + 1)); done
kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
echo 137 >"$base.rc"
exit 0
