#!/bin/sh
# Render what depends on the environment, then exec nginx as PID 1 (STOPSIGNAL SIGQUIT: graceful).
#
# client_max_body_size follows MAX_UPLOAD_MB, the app's own variable (default 10, like the app's), so
# nginx and the app always agree: nginx admits the PDF limit plus the app's 64 KiB of form room
# (humangov.factory.FORM_OVERHEAD_BYTES), and the app answers anything in between with its own message.
set -eu

DEFAULT_MAX_UPLOAD_MB=10
FORM_OVERHEAD_KB=64
MAX_MAX_UPLOAD_MB=100
run_dir="${HUMANGOV_NGINX_RUN_DIR:-/run/nginx}" # the only directory nginx writes (tests point it elsewhere)

mb="${MAX_UPLOAD_MB:-$DEFAULT_MAX_UPLOAD_MB}"
case "$mb" in
    '' | *[!0-9]*)
        echo "humangov-nginx: MAX_UPLOAD_MB=${MAX_UPLOAD_MB} is not a whole number of megabytes" >&2
        exit 64
        ;;
esac
# Leading zeros would make shell arithmetic octal; the app reads "010" as 10.
while [ "${mb#0}" != "$mb" ] && [ "${#mb}" -gt 1 ]; do mb="${mb#0}"; done
if [ "$mb" -lt 1 ] || [ "$mb" -gt "$MAX_MAX_UPLOAD_MB" ]; then
    echo "humangov-nginx: MAX_UPLOAD_MB=${MAX_UPLOAD_MB} must be from 1 to ${MAX_MAX_UPLOAD_MB} (as the app requires)" >&2
    exit 64
fi
printf 'client_max_body_size %sk;\n' "$((mb * 1024 + FORM_OVERHEAD_KB))" >"${run_dir}/limits.conf"

exec "$@"
