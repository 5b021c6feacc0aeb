#!/bin/sh
# The back end's container (docker/compose.yaml).
#
#   render  write Asterisk's full configuration (`permanence asterisk-config`) and the prompts into
#           the volumes the Asterisk container reads, then exit: the asterisk-config service, which
#           runs to completion before Asterisk starts, so Asterisk never starts on a stale render
#   serve   `permanence serve`: FastAGI server, AMI listener and web app (the default)
#   other   run as given, e.g. `permanence users list`
#
# Configuration comes from the environment only (PERMANENCE_<SECTION>_<KEY>, see
# permanence/config.py); no permanence.toml is in the image.
set -eu

# Where the asterisk-etc volume is mounted; docker/asterisk/entrypoint.sh reads the same volume.
rendered_dir=/etc/permanence/asterisk
# Written last, once the whole render succeeded; the Asterisk container waits for it.
marker=.permanence-rendered
# The prompts shipped with the image (svi_prompts/), copied into the prompts volume.
prompts_src=/app/svi_prompts

say() { echo "permanence-entrypoint: $*" >&2; }

render() {
    permanence check-config >&2
    rm -f "$rendered_dir/$marker" "$rendered_dir"/*.conf
    permanence asterisk-config --out "$rendered_dir" >/dev/null
    [ -f "$rendered_dir/asterisk.conf" ] || { say "no asterisk.conf rendered into $rendered_dir"; exit 1; }

    prompts=$(permanence config-value paths.prompts)
    [ -d "$prompts" ] || { say "prompts directory $prompts is not mounted"; exit 1; }
    cp -R "$prompts_src"/. "$prompts"/
    chmod -R a+rX "$prompts"

    touch "$rendered_dir/$marker"
    say "Asterisk configuration in $rendered_dir, prompts in $prompts"
}

case "${1:-serve}" in
    render) render ;;
    serve)
        permanence check-config >&2
        exec permanence serve
        ;;
    *) exec "$@" ;;
esac
