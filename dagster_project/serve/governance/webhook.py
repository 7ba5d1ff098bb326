"""Posting alerts to a webhook, each alert once.

The URL comes from the environment (AIFINOPS_ALERT_WEBHOOK_URL). Each alert is one HTTP POST
of its JSON (`Alert.payload`); any 2xx answer counts as delivered. What was delivered is
remembered by alert id (the sensor keeps the ids in its cursor), so the same alert is never
sent twice; an alert whose post failed is not remembered and is tried again on the next tick.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field

from dagster_project.serve.governance.alerts import Alert

WEBHOOK_URL_ENV = "AIFINOPS_ALERT_WEBHOOK_URL"
TIMEOUT_ENV = "AIFINOPS_ALERT_WEBHOOK_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 10.0


def webhook_url() -> str | None:
    return os.environ.get(WEBHOOK_URL_ENV, "").strip() or None


def _timeout() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV, "") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS


def post_json(url: str, payload: dict, timeout: float | None = None) -> None:
    """POST `payload` as JSON; raises on a network error or a non-2xx answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "aifinops-alerts"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout or _timeout()) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "not 2xx", response.headers, None)


@dataclass
class Delivery:
    sent: list[str] = field(default_factory=list)  # alert ids delivered on this tick
    failed: list[tuple[str, str]] = field(default_factory=list)  # (alert id, error)
    pending: int = 0  # new alerts not tried on this tick (after a failure)


def send_new(
    url: str, alerts: Iterable[Alert], already_sent: set[str], max_failures: int = 1
) -> Delivery:
    """Post every alert whose id is not in `already_sent`, in order. After `max_failures`
    failed posts the rest wait for the next tick (a dead endpoint costs one timeout a tick,
    not one per alert)."""
    delivery = Delivery()
    new = [alert for alert in alerts if alert.alert_id not in already_sent]
    for index, alert in enumerate(new):
        if len(delivery.failed) >= max_failures:
            delivery.pending = len(new) - index
            break
        try:
            post_json(url, alert.payload())
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            delivery.failed.append((alert.alert_id, f"{type(exc).__name__}: {exc}"))
        else:
            delivery.sent.append(alert.alert_id)
    return delivery
