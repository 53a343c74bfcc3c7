"""The alerts' webhook: JSON POSTs sent by a worker thread, with bounded retries, never blocking."""

from __future__ import annotations

import logging
import queue
import threading
import time

import requests

log = logging.getLogger(__name__)

QUEUE_SIZE = 256  # messages waiting; beyond this the oldest news is dropped (and logged)
RETRY_PAUSE = 1.0  # seconds before the first retry, doubling


class Webhook:
    """Posts each message to `url` in order, from its own thread."""

    def __init__(self, url: str, timeout: float, retries: int,
                 retry_pause: float = RETRY_PAUSE) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.retry_pause = retry_pause
        self._queue: queue.Queue[dict | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread = threading.Thread(target=self._run, name="alert-webhook", daemon=True)
        self._thread.start()

    def send(self, message: dict) -> None:
        """Queue a message (from the loop: returns at once)."""
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            log.error("alert webhook queue full: dropped %s", message.get("alert"))

    def close(self, wait: float = 2.0) -> None:
        """Stop after the messages queued so far, waiting at most `wait` seconds."""
        try:
            self._queue.put(None, timeout=wait)
        except queue.Full:
            return
        self._thread.join(wait)

    def _run(self) -> None:
        with requests.Session() as session:
            while (message := self._queue.get()) is not None:
                self._post(session, message)

    def _post(self, session: requests.Session, message: dict) -> None:
        pause = self.retry_pause
        for attempt in range(self.retries + 1):
            try:
                response = session.post(self.url, json=message, timeout=self.timeout)
                if response.status_code < 300:
                    return
                problem = f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if attempt < self.retries:
                time.sleep(pause)
                pause *= 2
        log.error("alert webhook: %s %s not delivered after %d attempts: %s",
                  message.get("alert"), message.get("status"), self.retries + 1, problem)
