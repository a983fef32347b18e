"""No way into a running crawl from outside: Scrapy's remote-control HTTP endpoint (it runs code sent to it)
and its telnet console stay off unless asked for."""

from __future__ import annotations

from gdcac_mirror.crawl import run_crawl
from tests.support.sites import free_port

LISTENING = "Remote control HTTP server listening"
QUICK = {"RETRY_TIMES": "0", "LOG_LEVEL": "INFO", "ROBOTSTXT_OBEY": "False"}


def test_the_remote_control_endpoint_is_off_unless_asked_for(tmp_path) -> None:
    base = f"http://127.0.0.1:{free_port()}"  # nothing there: the crawl starts its engine and ends at once
    default = run_crawl(base, tmp_path / "a.sqlite", settings=QUICK, timeout=120)
    assert "Spider opened" in default.stderr and LISTENING not in default.stderr
    assert "TelnetConsole" not in default.stderr.split("Enabled extensions", 1)[1].split("]", 1)[0]
    asked = run_crawl(base, tmp_path / "b.sqlite", settings={**QUICK, "REMOTE_CONTROL_ENABLED": "True"}, timeout=120)
    assert LISTENING in asked.stderr  # the operator's own choice, and the check above can see it
