#!/bin/sh
# ASR Deploy: Linux facts.
#
# Run as `sh -s` over SSH with this file on stdin. Prints ONE JSON document that fills FactsSchema
# (src-main/model/facts.ts); a fact that cannot be read is null and a line in "notes" says why.
# Changes nothing on the host (except, where /dev/null is not usable, two temporary files that are
# removed on exit).
#
# Portability: POSIX sh (dash, bash 3.2/4.1, busybox ash) and the tools of a 2013-era CentOS 6 or
# SLES 11: POSIX sed/awk (mawk, busybox), grep -E, no `local`, no `ip -j`, no python, no jq.
#
# How JSON is made: the collectors print a line-based token stream (`{`, `}`, `[`, `]`,
# `k KEY`, `s STRING`, `r RAW`, `z` = null) and one awk program at the end adds commas and escapes
# every string (quotes, backslashes, control characters; other bytes, UTF-8 included, pass through).
# Values are never spliced into JSON by the shell.

LC_ALL=C
export LC_ALL
# Appended, not prepended: the caller's tools win; /sbin holds ip and lvs for non-root users on old systems.
PATH=$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

NL='
'
NOTES=''

# A sink and an empty input. /dev/null can be unusable for unprivileged users on hardened or
# containerised hosts (mode 0600): then temporary files stand in, so no redirection fails.
NULL=/dev/null
EMPTY=/dev/null
if [ ! -w /dev/null ] || [ ! -r /dev/null ]; then
  NULL=$(mktemp 2>&-) || NULL="${TMPDIR:-/tmp}/.asr-facts-null.$$"
  EMPTY=$(mktemp 2>&-) || EMPTY="${TMPDIR:-/tmp}/.asr-facts-empty.$$"
  : >"$NULL" 2>&-; : >"$EMPTY" 2>&-
  trap 'rm -f "$NULL" "$EMPTY"' EXIT
  NOTES="environment: /dev/null is not usable by $(id -un 2>&-); temporary files stand in$NL"
fi

note() { NOTES="$NOTES$1$NL"; }
have() { command -v "$1" >"$NULL" 2>&1; }

# Run a command with a time bound when coreutils `timeout` exists (hostname -f, lvs, sudo can hang).
bounded() {
  if [ -n "$HAVE_TIMEOUT" ]; then timeout "$@"; else shift; "$@"; fi
}

# ---- token helpers -----------------------------------------------------------------------------
o() { printf '%s\n' "$1"; }                  # structure: { } [ ]
k() { printf 'k %s\n' "$1"; }                # object key
s() { printf 's %s\n' "$1"; }                # string value
ks() { k "$1"; if [ -n "$2" ]; then s "$2"; else o z; fi; }          # key: string or null when empty
kb() { k "$1"; case "$2" in true|false) o "r $2" ;; *) o z ;; esac; } # key: boolean or null
kn() { k "$1"; case "$2" in ''|*[!0-9]*) o z ;; *) o "r $2" ;; esac; } # key: integer or null

# First line of a file, trailing whitespace and CR removed.
firstline() { sed -n '1{s/[[:space:]]*$//;p;q;}' "$1" 2>"$NULL"; }

# KEY=VALUE files (os-release, lsb-release): value of $2, outer quotes removed.
kv() {
  sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" 2>"$NULL" | sed -n '1{s/[[:space:]]*$//;p;q;}' |
    sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\\(.*\\)'\$/\\1/"
}

# The first dotted number in a line: "CentOS release 6.6 (Final)" -> 6.6
vernum() { printf '%s\n' "$1" | sed -n 's/^[^0-9]*\([0-9][0-9]*\(\.[0-9][0-9]*\)*\).*$/\1/p'; }

# ---- OS ----------------------------------------------------------------------------------------
os_id=''; os_version=''; os_name=''; os_source=''; os_sp=''
detect_os() {
  if [ -r /etc/os-release ]; then
    os_from_os_release /etc/os-release && return
  fi
  # Legacy files, most specific first: Oracle Linux also ships a Red Hat redhat-release, CentOS
  # ships both centos-release and redhat-release.
  for f in /etc/oracle-release /etc/enterprise-release /etc/centos-release /etc/redhat-release; do
    [ -r "$f" ] || continue
    line=$(firstline "$f")
    [ -n "$line" ] || continue
    os_name=$line
    os_version=$(vernum "$line")
    os_source=${f#/etc/}
    case "$line" in
      *Oracle*|*"Enterprise Linux Enterprise Linux"*) os_id=ol ;;
      *CentOS*) os_id=centos ;;
      *"Red Hat"*) os_id=rhel ;;
      *Scientific*) os_id=scientific ;;
      *Fedora*) os_id=fedora ;;
      *) os_id=$(printf '%s\n' "$line" | awk '{print tolower($1)}') ;;
    esac
    [ "$f" = /etc/enterprise-release ] && os_id=ol
    return
  done
  if [ -r /etc/SuSE-release ]; then
    os_source=SuSE-release
    os_name=$(firstline /etc/SuSE-release)
    ver=$(sed -n 's/^[[:space:]]*VERSION[[:space:]]*=[[:space:]]*\([0-9.]*\).*/\1/p' /etc/SuSE-release | sed -n 1p)
    pl=$(sed -n 's/^[[:space:]]*PATCHLEVEL[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' /etc/SuSE-release | sed -n 1p)
    case "$os_name" in
      *openSUSE*) os_id=opensuse ;;
      *Desktop*) os_id=sled ;;
      *) os_id=sles ;;
    esac
    if [ -n "$pl" ] && [ "$pl" != 0 ]; then os_version="$ver.$pl"; os_sp="SP$pl"; else os_version=$ver; fi
    return
  fi
  if [ -r /etc/lsb-release ] && [ -n "$(kv /etc/lsb-release DISTRIB_ID)" ]; then
    os_source=lsb-release
    os_id=$(kv /etc/lsb-release DISTRIB_ID | awk '{print tolower($0)}')
    os_version=$(kv /etc/lsb-release DISTRIB_RELEASE)
    os_name=$(kv /etc/lsb-release DISTRIB_DESCRIPTION)
    return
  fi
  if [ -r /etc/debian_version ]; then
    os_source=debian_version
    os_id=debian
    os_version=$(firstline /etc/debian_version)
    os_name="Debian GNU/Linux $os_version"
    return
  fi
  # The os-release specification's fallback location, last: a machine without /etc/os-release
  # but with a legacy release file is described by that file.
  if [ -r /usr/lib/os-release ]; then
    os_from_os_release /usr/lib/os-release && return
  fi
  note "os: no readable /etc/os-release or distribution release file"
}

os_from_os_release() {
  id=$(kv "$1" ID)
  [ -n "$id" ] || return 1
  os_id=$(printf '%s\n' "$id" | awk '{print tolower($0)}')
  os_version=$(kv "$1" VERSION_ID)
  os_name=$(kv "$1" PRETTY_NAME)
  [ -n "$os_name" ] || os_name=$(kv "$1" NAME)
  os_source=os-release
  if [ "$os_id" = sles ] || [ "$os_id" = sled ]; then
    case "$os_version" in *.*) os_sp="SP${os_version#*.}" ;; esac
  fi
  return 0
}

# ---- network -----------------------------------------------------------------------------------
# Lines "NIC FAMILY ADDRESS" from `ip -o addr` (iproute2 text, no JSON), else ifconfig (old and new
# net-tools layouts).
nic_addresses() {
  if have ip && ip -o addr show >"$NULL" 2>&1; then
    ip -o addr show 2>"$NULL" | awk '
      $3 == "inet" || $3 == "inet6" {
        nic = $2; sub(/@.*/, "", nic); sub(/:$/, "", nic)
        a = $4; sub(/\/.*/, "", a)
        print nic, ($3 == "inet" ? 4 : 6), a
      }'
    return
  fi
  if have ifconfig; then
    ifconfig -a 2>"$NULL" | awk '
      /^[^ \t]/ { nic = $1; sub(/:$/, "", nic) }
      $1 == "inet" {
        a = $2; if (a == "addr:" ) a = $3; sub(/^addr:/, "", a); sub(/\/.*/, "", a)
        if (a != "") print nic, 4, a
      }
      $1 == "inet6" {
        a = $2; if (a == "addr:") a = $3; sub(/^addr:/, "", a); sub(/\/.*/, "", a); sub(/%.*/, "", a)
        if (a != "") print nic, 6, a
      }'
    return
  fi
  return 1
}

emit_addresses() {
  k addresses
  if ! have ip && ! have ifconfig; then note "addresses: neither ip nor ifconfig is available"; o z; return; fi
  list=$(nic_addresses)
  hosts_file=/etc/hosts
  if [ ! -r "$hosts_file" ]; then
    note "addresses: /etc/hosts is not readable, inEtcHosts unknown"
    hosts_file=''
  fi
  # /etc/hosts maps the host name (short or long) to which addresses? Compared case-insensitively.
  printf '%s\n' "$list" | awk -v hostsfile="$hosts_file" -v name="$host_name" -v fqdn="$fqdn" '
    BEGIN {
      n = tolower(name); f = tolower(fqdn); short = n; sub(/\..*/, "", short)
      if (hostsfile != "") {
        while ((getline line < hostsfile) > 0) {
          sub(/#.*/, "", line)
          c = split(line, w, /[ \t]+/)
          first = 1
          for (i = 1; i <= c; i++) {
            if (w[i] == "") continue
            if (first) { ip = w[i]; first = 0; continue }
            h = tolower(w[i]); hs = h; sub(/\..*/, "", hs)
            if (h == n || (f != "" && h == f) || h == short || (hs == short && short != "")) mapped[ip] = 1
          }
        }
        close(hostsfile)
      }
      print "["
    }
    NF >= 3 {
      print "{"; print "k nic"; print "s " $1; print "k address"; print "s " $3
      print "k family"; print "r " $2; print "k inEtcHosts"
      if (hostsfile == "") print "z"; else print "r " (($3 in mapped) ? "true" : "false")
      print "}"
    }
    END { print "]" }'
}

# ---- file systems, storage, boot ---------------------------------------------------------------
PSEUDO_FS=' proc sysfs devpts cgroup cgroup2 securityfs debugfs tracefs pstore bpf mqueue hugetlbfs configfs fusectl autofs binfmt_misc rpc_pipefs nsfs selinuxfs efivarfs devtmpfs usbfs rootfs '

emit_filesystems() {
  k fileSystems
  if [ ! -r /proc/mounts ]; then note "fileSystems: /proc/mounts is not readable"; o z; return; fi
  awk -v pseudo="$PSEUDO_FS" '
    BEGIN { print "[" }
    {
      if (index(pseudo, " " $3 " ")) next
      m = $2; gsub(/\\040/, " ", m)
      d = $1; gsub(/\\040/, " ", d)
      print "{"; print "k mount"; print "s " m; print "k type"; print "s " $3; print "k device"; print "s " d; print "}"
    }
    END { print "]" }' /proc/mounts
}

# Device mounted on $1 (the last mount of that path wins, as the kernel shows it).
mount_device() {
  awk -v p="$1" '$2 == p && $3 != "rootfs" { d = $1 } END { print d }' /proc/mounts 2>"$NULL"
}

emit_storage() {
  lvm=''; mpath=''
  # device-mapper tells what each dm device is: LVM-… (LVM), mpath-… (multipath). No root needed.
  dmseen=''
  for u in /sys/block/dm-*/dm/uuid; do
    [ -r "$u" ] || continue
    dmseen=1
    case "$(cat "$u" 2>"$NULL")" in
      LVM-*) lvm=true ;;
      mpath-*) mpath=true ;;
    esac
  done
  if [ -z "$lvm" ]; then
    if [ -d /sys/block ]; then lvm=false; fi
    if have lvs && [ "$(id -u)" = 0 ]; then
      lvout=$(bounded 20 lvs --noheadings -o lv_name 2>"$NULL" | sed '/^[[:space:]]*$/d')
      [ -n "$lvout" ] && lvm=true
    fi
    [ -z "$lvm" ] && note "storage: cannot tell whether LVM is used (no /sys/block, lvs needs root)"
  fi
  if [ -z "$mpath" ]; then
    mpath=false
    if [ -z "$dmseen" ] && [ -r /etc/multipath.conf ] && ls /dev/mapper 2>"$NULL" | grep -qi mpath; then mpath=true; fi
  fi
  if [ -d /dev/cciss ]; then cciss=true; else cciss=false; fi
  k storage; o '{'
  kb lvm "$lvm"
  kb multipath "$mpath"
  kb cciss "$cciss"
  # Whole disks (sd*, vd*, xvd*, hd*, nvme*n*, cciss) with sizes: master target sizing counts them.
  k disks
  if [ -d /sys/block ]; then
    o '['
    n=0
    for d in /sys/block/*; do
      b=${d##*/}
      case "$b" in sd*|vd*|xvd*|hd*|nvme*n*|cciss*) ;; *) continue ;; esac
      sectors=$(cat "$d/size" 2>"$NULL")
      case "$sectors" in ''|*[!0-9]*) continue ;; esac
      o '{'; kn number "$n"; kb dynamic false; k sizeBytes; o "r $((sectors * 512))"; k isSystem; o z; o '}'
      n=$((n + 1))
    done
    o ']'
  else
    note "storage: /sys/block is not readable"; o z
  fi
  k deviceNames
  if [ -r /proc/partitions ]; then
    awk 'BEGIN { print "[" } NR > 2 && NF >= 4 { print "s " $4 } END { print "]" }' /proc/partitions
  else
    o z
  fi
  o '}'
}

GRUB_FILES='/boot/grub/grub.conf /boot/grub/menu.lst /etc/grub.conf /boot/grub2/grub.cfg /boot/grub/grub.cfg /etc/default/grub'

emit_boot() {
  root_dev=$(mount_device /)
  boot_dev=$(mount_device /boot)
  if [ "$root_dev" = /dev/root ] && [ -r /proc/cmdline ]; then
    r=$(sed -n 's/.*[[:space:]]root=\([^[:space:]]*\).*/\1/p' /proc/cmdline)
    [ -n "$r" ] && root_dev=$r
  fi
  [ -n "$boot_dev" ] || boot_dev=$root_dev
  efi=''
  for f in /boot/efi/EFI/*/grub.cfg /boot/efi/EFI/*/grub.conf; do [ -f "$f" ] && efi="$efi $f"; done
  read_any=''; offenders=''
  for f in $GRUB_FILES $efi; do
    [ -e "$f" ] || continue
    if [ ! -r "$f" ]; then note "boot: $f is not readable by $(id -un 2>"$NULL")"; continue; fi
    read_any=1
    # Kernel arguments that name a disk by its device name change meaning when disks are renumbered
    # (after failover to Azure); UUID=, LABEL=, /dev/mapper and /dev/disk/by-* are stable.
    hits=$(grep -v '^[[:space:]]*#' "$f" 2>"$NULL" |
      grep -Eo '(root|resume)=/dev/(sd|hd|xvd|vd)[a-z]+[0-9]*' | sort -u)
    for h in $hits; do offenders="$offenders$f: $h$NL"; done
  done
  k boot; o '{'
  ks rootDevice "$root_dev"
  ks bootDevice "$boot_dev"
  k grubUsesUuid
  if [ -z "$read_any" ]; then
    o z
    note "boot: no readable GRUB configuration found"
  elif [ -n "$offenders" ]; then o 'r false'; else o 'r true'; fi
  k grubDeviceNames
  if [ -z "$read_any" ]; then o z; else
    o '['
    printf '%s' "$offenders" | while IFS= read -r line; do [ -n "$line" ] && s "$line"; done
    o ']'
  fi
  k systemDrive; o z
  k systemRoot; o z
  o '}'
}

emit_free_space() {
  k freeSpace; o '['
  for p in / /tmp /usr/local; do
    if [ ! -d "$p" ]; then note "freeSpace: $p does not exist"; continue; fi
    line=$(df -P -k "$p" 2>"$NULL" | awk 'NR == 2 { printf "%.0f %.0f", $4 * 1024, $2 * 1024 }')
    if [ -z "$line" ]; then note "freeSpace: df failed for $p"; continue; fi
    o '{'
    ks path "$p"
    kn freeBytes "${line% *}"
    kn totalBytes "${line#* }"
    o '}'
  done
  o ']'
}

# ---- access ------------------------------------------------------------------------------------
# The sshd that is running may use another config file (`sshd -f FILE`): read that one.
sshd_configs() {
  cfgs=''
  if have pgrep; then pids=$(pgrep -x sshd 2>"$NULL"); else pids=$(ps -e -o pid= -o comm= 2>"$NULL" | awk '$2 == "sshd" { print $1 }'); fi
  for pid in $pids; do
    [ -r "/proc/$pid/cmdline" ] || continue
    # OpenSSH 9 rewrites its argv into one string ("sshd: /usr/sbin/sshd -f FILE [listener] ..."):
    # split on NULs and blanks alike.
    c=$(tr '\000' ' ' < "/proc/$pid/cmdline" 2>"$NULL" | awk '{ for (i = 1; i <= NF; i++) { if ($i == "-f" && i < NF) { print $(i + 1); exit } if ($i ~ /^-f./) { print substr($i, 3); exit } } }')
    case " $cfgs " in *" $c "*) ;; *) [ -n "$c" ] && cfgs="$cfgs $c" ;; esac
  done
  [ -n "$cfgs" ] || cfgs=/etc/ssh/sshd_config
  printf '%s\n' $cfgs
}

emit_access() {
  user=$(id -un 2>"$NULL")
  [ -n "$user" ] || user=$(whoami 2>"$NULL")
  uid=$(id -u 2>"$NULL")
  if [ "$uid" = 0 ]; then is_root=true; elif [ -n "$uid" ]; then is_root=false; else is_root=''; fi
  sudo_ok=''
  if have sudo; then
    err=$(bounded 10 sudo -n true 2>&1 <"$EMPTY")
    if [ $? -eq 0 ]; then sudo_ok=true; else
      sudo_ok=false
      case "$err" in *tty*) note "access: sudo requires a terminal (Defaults requiretty): $err" ;; esac
    fi
  else
    note "access: sudo is not installed"
  fi
  sftp=''
  for cfg in $(sshd_configs); do
    files=$cfg
    dir=${cfg%/*}
    # Include files (OpenSSH 8.2+) commonly live in sshd_config.d.
    for inc in "$dir"/sshd_config.d/*.conf; do [ -r "$inc" ] && files="$files $inc"; done
    for f in $files; do
      if [ ! -r "$f" ]; then note "access: $f is not readable, SFTP subsystem unknown"; continue; fi
      if grep -Eiq '^[[:space:]]*subsystem[[:space:]]+sftp[[:space:]]' "$f" 2>"$NULL"; then sftp=true; elif [ -z "$sftp" ]; then sftp=false; fi
    done
  done
  k access; o '{'
  ks user "$user"
  kb isRoot "$is_root"
  kb sudoNoPassword "$sudo_ok"
  kb sftp "$sftp"
  kb isAdmin "$is_root"
  o '}'
}

# ---- installed ASR components ------------------------------------------------------------------
emit_components() {
  vx=/usr/local/.vx_version
  svc=''
  if have pgrep; then
    if pgrep -x svagents >"$NULL" 2>&1; then svc=running; fi
  elif ps -e -o comm= 2>"$NULL" | grep -qx svagents; then svc=running
  fi
  if [ -z "$svc" ]; then
    if [ -e /etc/init.d/svagents ] || [ -e /usr/lib/systemd/system/svagents.service ] || [ -e /etc/systemd/system/svagents.service ] || [ -e /lib/systemd/system/svagents.service ]; then
      if have service && bounded 10 service svagents status >"$NULL" 2>&1 <"$EMPTY"; then svc=running; else svc=stopped; fi
    else
      svc=absent
    fi
  fi
  k components; o '['
  if [ -e "$vx" ] || [ "$svc" != absent ]; then
    version=''; configured=''; dir=''
    if [ -r "$vx" ]; then
      # KEY=VALUE lines; the version key is VERSION or Version (case-insensitive).
      version=$(awk -F= 'toupper($1) ~ /^[ \t]*VERSION[ \t]*$/ { v = $2; sub(/^[ \t]+/, "", v); sub(/[ \t\r]+$/, "", v); print v; exit }' "$vx")
      status=$(awk -F= 'toupper($1) ~ /^[ \t]*AGENT_CONFIGURATION_STATUS[ \t]*$/ { v = $2; sub(/^[ \t]+/, "", v); sub(/[ \t\r]+$/, "", v); print v; exit }' "$vx")
      dir=$(awk -F= 'toupper($1) ~ /^[ \t]*INSTALLATION_DIR[ \t]*$/ { v = substr($0, index($0, "=") + 1); sub(/^[ \t]+/, "", v); sub(/[ \t\r]+$/, "", v); print v; exit }' "$vx")
      if [ "$status" = Succeeded ]; then configured=true; else configured=false; fi
    elif [ -e "$vx" ]; then
      note "components: $vx is not readable"
    fi
    o '{'
    ks id mobility-service
    ks version "$version"
    kb configured "$configured"
    ks service "$svc"
    ks installDir "$dir"
    o '}'
  fi
  o ']'
}

# ---- the document ------------------------------------------------------------------------------
main() {
  if have timeout && timeout 5 true 2>"$NULL"; then HAVE_TIMEOUT=1; else HAVE_TIMEOUT=''; fi
  detect_os
  # The running kernel: what `uname -r` prints, read from the kernel's own file first (proc(5):
  # osrelease holds the same string as uname(2)); uname where /proc is not mounted.
  kernel=$(cat /proc/sys/kernel/osrelease 2>"$NULL")
  [ -n "$kernel" ] || kernel=$(uname -r 2>"$NULL")
  arch=$(uname -m 2>"$NULL")
  flavor=''
  if [ "$os_id" = ol ]; then
    case "$kernel" in *uek*) flavor=uek ;; *) flavor=rhck ;; esac
  fi
  host_name=$(cat /proc/sys/kernel/hostname 2>"$NULL")
  [ -n "$host_name" ] || host_name=$(uname -n 2>"$NULL")
  fqdn=$(bounded 5 hostname -f 2>"$NULL" | sed -n 1p)
  [ -n "$fqdn" ] || note "fqdn: hostname -f gave no name"

  o '{'
  k schema; o 'r 1'
  ks family linux
  ks collectedAt "$(date -u '+%Y-%m-%dT%H:%M:%SZ' 2>"$NULL")"
  k os; o '{'
  ks id "$os_id"
  ks version "$os_version"
  ks name "$os_name"
  ks source "$os_source"
  ks kernel "$kernel"
  ks kernelFlavor "$flavor"
  ks architecture "$arch"
  ks servicePack "$os_sp"
  ks build ''
  o '}'
  ks hostName "$host_name"
  ks fqdn "$fqdn"
  emit_addresses
  emit_filesystems
  emit_storage
  emit_boot
  emit_free_space
  emit_access
  k windows; o z
  k pendingReboot
  # Debian/Ubuntu flag it; elsewhere a kernel newer than the running one under /boot means a reboot is due.
  running=$kernel
  newest=$(ls /boot 2>"$NULL" | sed -n 's/^vmlinuz-//p' | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)
  if [ -e /var/run/reboot-required ]; then o 'r true'
  elif [ -n "$newest" ] && [ -n "$running" ]; then
    if ls /boot 2>"$NULL" | grep -qx "vmlinuz-$running"; then
      if [ "$newest" = "$running" ]; then o 'r false'; else o 'r true'; fi
    else o 'r true'; fi
  elif [ -d /var/lib/update-notifier ]; then o 'r false'
  else note "pendingReboot: no /var/run/reboot-required mechanism and no kernels under /boot to compare"; o z; fi
  k bootedAt
  btime=$(sed -n 's/^btime \([0-9][0-9]*\)$/\1/p' /proc/stat 2>"$NULL")
  if [ -n "$btime" ]; then o "r $btime"; else note "bootedAt: no btime line in /proc/stat"; o z; fi
  emit_components
  k notes; o '['
  printf '%s' "$NOTES" | while IFS= read -r line; do [ -n "$line" ] && s "$line"; done
  o ']'
  o '}'
}

# Token stream -> JSON. Strings are escaped byte by byte; commas follow nesting.
EMIT='
BEGIN {
  for (i = 1; i < 32; i++) ctl[sprintf("%c", i)] = sprintf("\\u%04x", i)
  ctl["\t"] = "\\t"; ctl["\n"] = "\\n"; ctl["\r"] = "\\r"; ctl["\b"] = "\\b"; ctl["\f"] = "\\f"
  ctl[sprintf("%c", 127)] = "\\u007f"
  depth = 0; first[0] = 1; afterkey = 0
}
function esc(v,   out, i, n, c) {
  out = ""; n = length(v)
  for (i = 1; i <= n; i++) {
    c = substr(v, i, 1)
    if (c == "\\") out = out "\\\\"
    else if (c == "\"") out = out "\\\""
    else if (c in ctl) out = out ctl[c]
    else out = out c
  }
  return "\"" out "\""
}
function sep() {
  if (afterkey) { afterkey = 0; return }
  if (!first[depth]) printf ","
  first[depth] = 0
}
{
  t = substr($0, 1, 1); v = substr($0, 3)
  if (t == "{" || t == "[") { sep(); printf "%s", t; depth++; first[depth] = 1 }
  else if (t == "}" || t == "]") { depth--; printf "%s", t }
  else if (t == "k") { sep(); printf "%s:", esc(v); afterkey = 1 }
  else if (t == "s") { sep(); printf "%s", esc(v) }
  else if (t == "r") {
    sep()
    if (v == "true" || v == "false" || v ~ /^-?[0-9]+(\.[0-9]+)?$/) printf "%s", v; else printf "null"
  }
  else if (t == "z") { sep(); printf "null" }
}
END { printf "\n" }
'

# stdin is the rest of this script when run as `sh -s`: nothing below may read it.
main <"$EMPTY" 2>"$NULL" | awk "$EMIT"
