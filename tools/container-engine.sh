#!/usr/bin/env bash
# Make a Docker-compatible engine answer on /var/run/docker.sock, with a local base image for krmfn's
# container, on a Debian-like machine where we are root and no container registry is reachable.
#
#   1. The docker CLI (kustomize and kpt run it): podman-docker when no `docker` is on PATH.
#   2. If an engine already answers on the socket: use it, set up no engine.
#      Otherwise: podman (+ runc) from Debian's packages, /etc/containers/containers.conf, and
#      `podman system service` on the socket, started in the background.
#   3. A base image (python3 + PyYAML + jsonschema from Debian) made with debootstrap and imported as
#      localhost/krmfn-base:bookworm, unless the engine has it already (or KRMFN_BASE_IMAGE names another
#      base for the tests).
#
# Idempotent: every step checks first and says what it skips. See DEVELOPERS.md.
set -euo pipefail

SOCK=/var/run/docker.sock  # where the docker CLI, kustomize, kpt and the docker SDK look by default
SUITE=${KRMFN_BASE_SUITE:-bookworm}
BASE=localhost/krmfn-base:$SUITE
LOG=${KRMFN_ENGINE_LOG:-/var/log/krmfn-podman-service.log}
PACKAGES_IN_BASE=python3-minimal,python3-yaml,python3-jsonschema

START=$(date +%s)
elapsed() { echo "$(( $(date +%s) - START ))s"; }
say() { echo "container-engine [$(elapsed)]: $*"; }

# True when something answers Docker's /_ping on the socket (python3 is on every machine we target).
engine_answers() {
  [ -S "$SOCK" ] || return 1
  python3 - "$SOCK" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
    s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
    sys.exit(0 if s.recv(4096).split(b"\r\n", 1)[0].split()[1:2] == [b"200"] else 1)
except (OSError, IndexError):
    sys.exit(1)
EOF
}

apt_updated=no
apt_install() {
  if [ "$apt_updated" = no ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=yes
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

write_containers_conf() {
  local conf=/etc/containers/containers.conf
  if [ -f "$conf" ] && grep -q 'runtime *= *"runc"' "$conf" && grep -q 'default_ulimits *= *\[\]' "$conf"; then
    say "$conf already set (runc, no default ulimits)"
    return
  fi
  [ -f "$conf" ] && cp "$conf" "$conf.krmfn-backup" && say "saved the old $conf as $conf.krmfn-backup"
  mkdir -p /etc/containers
  say "writing $conf (runtime runc, no default ulimits: a nested sandbox may refuse setting them)"
  cat >"$conf" <<'EOF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
EOF
}

start_podman_service() {
  rm -f "$SOCK"  # a stale socket, or podman-docker's link to a socket nobody serves
  say "starting podman system service on unix://$SOCK (log: $LOG)"
  # From /: the service outlives this checkout, and conmon fails ("Failed to get working directory")
  # once the directory it was started from is gone.
  (cd / && nohup setsid podman system service --time=0 "unix://$SOCK" >"$LOG" 2>&1 </dev/null &)
  local i
  for i in $(seq 1 60); do
    engine_answers && { say "engine answers after ${i}x0.5s"; return; }
    sleep 0.5
  done
  say "podman service did not answer on $SOCK; its log:" >&2
  cat "$LOG" >&2 || true
  exit 1
}

setup_engine() {
  if engine_answers; then
    say "an engine already answers on $SOCK: using it"
    return
  fi
  local missing
  missing=$(missing_packages podman runc)
  if [ -n "$missing" ]; then apt_install $missing; else say "podman and runc already installed"; fi
  write_containers_conf
  start_podman_service
}

setup_cli() {
  if command -v docker >/dev/null; then
    say "docker CLI: $(command -v docker)"
  else
    apt_install podman-docker
  fi
}

image_exists() {
  docker image inspect "$1" >/dev/null 2>&1
}

make_base_image() {
  if [ -n "${KRMFN_BASE_IMAGE:-}" ] && [ "$KRMFN_BASE_IMAGE" != "$BASE" ]; then
    say "KRMFN_BASE_IMAGE=$KRMFN_BASE_IMAGE: the tests build from it; no local base made"
    return
  fi
  if image_exists "$BASE"; then
    say "base image $BASE already in the engine"
    return
  fi
  local missing
  missing=$(missing_packages debootstrap)
  if [ -n "$missing" ]; then apt_install debootstrap; fi
  local root
  root=$(mktemp -d /var/tmp/krmfn-rootfs.XXXXXX)
  say "debootstrap --variant=minbase --include=$PACKAGES_IN_BASE $SUITE (about a minute)"
  debootstrap --variant=minbase --include="$PACKAGES_IN_BASE" "$SUITE" "$root" >"$root.log" 2>&1 || {
    tail -20 "$root.log" >&2
    rm -rf "$root"
    exit 1
  }
  rm -f "$root.log"
  # The image needs python3 and its modules only: drop apt's caches, docs, man pages and locales.
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/var/log/*
  chroot "$root" python3 -c 'import yaml, jsonschema; yaml.CSafeLoader' || {
    say "the base lacks python3 with PyYAML (libyaml) and jsonschema" >&2
    exit 1
  }
  say "importing the root file system as $BASE"
  tar -C "$root" -c . | docker import - "$BASE" >/dev/null
  rm -rf "$root"
}

setup_cli  # first: podman-docker's tmpfiles entry turns $SOCK into a link to podman's own socket
setup_engine
make_base_image
say "ready: engine on $SOCK, base image ${KRMFN_BASE_IMAGE:-$BASE}"
