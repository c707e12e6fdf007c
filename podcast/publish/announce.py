"""Telling the world a feed changed: a WebSub hub (apps subscribed there hear at once) and
update notifications in the style of Podcast Index's pubnotify. Optional; a failure is
reported and never undoes the publish."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

ANNOUNCE_TIMEOUT_S = 20.0


def _send(request: urllib.request.Request) -> str | None:
    try:
        with urllib.request.urlopen(request, timeout=ANNOUNCE_TIMEOUT_S) as response:
            if response.status >= 300:
                return f"answered {response.status}"
    except urllib.error.HTTPError as error:
        return f"answered {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"cannot be reached: {error}"
    return None


def announce(
    feed_urls: list[str], hub: str | None, notify: tuple[str, ...], blocked: tuple[str, ...] = ()
) -> list[str]:
    """Ping the WebSub `hub` for each feed and every `notify` address for each feed not
    `blocked` from directories (those exist to list feeds); what went wrong."""
    failures = []
    for feed_url in feed_urls:
        if hub:
            # WebSub publishers tell the hub with a form POST: hub.mode=publish, hub.url=<topic>.
            form = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode()
            request = urllib.request.Request(hub, data=form, method="POST")
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
            problem = _send(request)
            if problem:
                failures.append(f"WebSub hub {hub} {problem} (for {feed_url})")
        for endpoint in () if feed_url in blocked else notify:
            separator = "&" if "?" in endpoint else "?"
            query = urllib.parse.urlencode({"url": feed_url})
            problem = _send(urllib.request.Request(f"{endpoint}{separator}{query}"))
            if problem:
                failures.append(f"update notification {endpoint} {problem} (for {feed_url})")
    return failures
