#!/bin/sh
# Asterisk's container (docker/compose.yaml): install the configuration that the back end's image
# rendered into the asterisk-etc volume (docker/backend/entrypoint.sh render), check the directories
# shared with the back end, then run Asterisk in the foreground as the asterisk user.
#
# The rendered files belong to the back end's user, mode 0640. This script runs as root, so it
# copies them into the container's own /etc/asterisk as root:asterisk 0640: no user or group id has
# to be shared between the two images, and Asterisk cannot write its own configuration.
set -eu

# Where the asterisk-etc volume is mounted (read-only); the back end writes it at the same path.
rendered_dir=/etc/permanence/asterisk
# Written by the back end last, once the whole render succeeded.
marker=.permanence-rendered
wait_s=${ASTERISK_CONFIG_WAIT:-120}

die() { echo "asterisk-entrypoint: $*" >&2; exit 1; }
# Whether a directory is a mount point (a volume), from the kernel's own table.
mounted() { awk -v d="$1" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo; }

waited=0
until [ -f "$rendered_dir/$marker" ]; do
    [ "$waited" -lt "$wait_s" ] \
        || die "no rendered configuration in $rendered_dir after $wait_s s (did the asterisk-config service run?)"
    [ "$waited" -gt 0 ] || echo "asterisk-entrypoint: waiting for the configuration in $rendered_dir" >&2
    sleep 1
    waited=$((waited + 1))
done
[ -f "$rendered_dir/asterisk.conf" ] || die "$rendered_dir has no asterisk.conf"

# Only the rendered files, as in the sandbox: Debian's samples would configure what permanence never
# set up. Cleared first, so a file dropped from etc/asterisk does not linger across restarts.
find /etc/asterisk -mindepth 1 -delete
for f in "$rendered_dir"/*.conf; do
    install -o root -g asterisk -m 0640 "$f" /etc/asterisk/
done

# The directories shared with the back end, where the rendered dialplan says they are.
setting() { sed -n "s/^$1 = //p" /etc/asterisk/extensions_local.conf; }
recordings=$(setting PERMANENCE_RECORDINGS)
prompts=$(setting PERMANENCE_PROMPTS)
[ -n "$recordings" ] || die "extensions_local.conf names no recordings directory"
[ -n "$prompts" ] || die "extensions_local.conf names no prompts directory"
mounted "$recordings" || die "the recordings directory $recordings is not a mounted volume"
chown asterisk:asterisk "$recordings"
chmod 0755 "$recordings"
[ -d "$prompts/fr" ] || die "no French prompts in $prompts/fr"
[ -d "$prompts/en" ] || die "no English prompts in $prompts/en"

install -d -o asterisk -g asterisk /run/asterisk /var/log/asterisk /var/spool/asterisk /var/lib/asterisk

# Recordings readable by the back end's user (another uid), as in the sandbox.
umask 022
exec asterisk -f -n -U asterisk -G asterisk -C /etc/asterisk/asterisk.conf
