#!/bin/bash
# Container health: nginx answers /nginx-health on 127.0.0.1:8080 within 2 s. bash's /dev/tcp, because
# neither the official nginx image nor the Debian base ships curl or wget.
# Used by the Dockerfile's HEALTHCHECK and by the ECS task definition's healthCheck command.
set -u
exec 3<>/dev/tcp/127.0.0.1/8080 || exit 1
printf 'GET /nginx-health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 2 status <&3 || exit 1
case "$status" in
    "HTTP/1."?" 200 "*) exit 0 ;;
    *) echo "unhealthy: ${status}" >&2; exit 1 ;;
esac
