# usage: prepare-staging.sh DIR
# Creates (or re-uses, on resume) a private staging directory and prints one JSON line with the
# free space of its file system. Refuses a DIR that is a symlink or not ours (a /tmp race).
dir=$1
[ -n "$dir" ] || { echo '{"error":"no directory given"}'; exit 2; }
if [ -L "$dir" ]; then echo '{"error":"staging path is a symbolic link"}'; exit 3; fi
if [ -e "$dir" ]; then
  [ -d "$dir" ] && [ -O "$dir" ] || { echo '{"error":"staging path exists and is not a directory owned by this user"}'; exit 3; }
  chmod 700 "$dir" || exit 3
else
  (umask 077 && mkdir "$dir") || { echo '{"error":"cannot create the staging directory"}'; exit 4; }
fi
free=$(df -P -k "$dir" 2>/dev/null | awk 'NR==2 {print $4}')
printf '{"dir":"%s","freeKiB":%s}\n' "$dir" "${free:-null}"
