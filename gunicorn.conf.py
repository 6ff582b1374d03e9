"""Gunicorn settings for the production server (`make run`); each line says why."""

import multiprocessing

# Sync workers: the engine's work is CPU-bound and short, so one request per process is simplest.
workers = int(__import__("os").environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
# A request that takes longer than this is a bug: the worker is killed and replaced.
timeout = 30
graceful_timeout = 10
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
