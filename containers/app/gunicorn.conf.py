"""gunicorn settings for one HumanGov task: 1 vCPU / 3 GB on Fargate, nginx in front on the same host.

Sizing. The seed ran one sync worker: one slow DynamoDB or S3 call (a PDF upload) blocked every other
user of the task, and the ALB health check could time out behind it. The app is I/O-bound (it waits on
DynamoDB and S3, nginx buffers slow clients), so threads, not processes, carry the concurrency:
2 processes x 4 threads = 8 requests in flight on one vCPU. Two processes, so one busy or recycling
worker never takes the task offline; not more, because each costs ~60 MB and a boto3 session, and CPU
beyond one vCPU does not exist. GUNICORN_CMD_ARGS overrides any value here (e.g. "--workers 3").
"""

import os

bind = "0.0.0.0:8000"  # nginx reaches it on 127.0.0.1 (shared network namespace); only nginx's port is open
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A worker silent for 30 s is stuck (a boto3 call has its own shorter timeouts) and is replaced.
timeout = 30
# SIGTERM from ECS (or `docker stop`): finish in-flight requests for up to 20 s, inside ECS's default
# stopTimeout of 30 s, so nothing is cut off before SIGKILL.
graceful_timeout = 20
# nginx opens one connection per request; a short keep-alive is enough for direct clients.
keepalive = 5
# Recycle workers now and then (jittered, so never both at once) to bound slow memory growth.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat file in memory: a slow or read-only root filesystem cannot make workers look stuck.
worker_tmp_dir = "/dev/shm"
# No runtime control socket (gunicorn >= 24): nothing in the task uses it, and the app user has no home
# to put it in.
control_socket_disable = True
# X-Forwarded-Proto is trusted only from nginx in the same network namespace.
forwarded_allow_ips = "127.0.0.1"

# Logs: to stdout, the container's log stream (awslogs on ECS). No access log: nginx logs every request.
accesslog = None
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False}},
}
