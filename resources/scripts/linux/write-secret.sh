# usage: write-secret.sh FILE — writes stdin to FILE with mode 0600 (the secret never touches argv).
umask 077
cat >"$1" && chmod 600 "$1"
