"""The production server (`uwsgi --ini config/uwsgi.ini`) with clients that pool their
connections (issue #14, item 2; ADR 0030).

uWSGI's http-socket closes a connection after each response. Before the ini said so
(`Connection: close`), requests.Session sent its second POST on the closed socket and got
"Connection reset by peer". Started once for the module (~5 s: migrate a SQLite file,
start two workers) on a free loopback port.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "pooled", "Pooled-client-2026"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = tmp_path_factory.mktemp("uwsgi") / "server.sqlite3"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("UWSGI_", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"))}
    env.update(DATABASE_URL=f"sqlite:///{db}")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "create_staff_user", USER, "--role", "reviewer",
                    "--password-stdin"], cwd=ROOT, env=env, check=True,
                   input=PASSWORD.encode(), capture_output=True)
    env.update(UWSGI_HTTP_SOCKET=f"127.0.0.1:{port}", UWSGI_PROCESSES="2")
    process = subprocess.Popen([str(Path(sys.executable).parent / "uwsgi"), "--ini",
                                "config/uwsgi.ini"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the server did not start"
                assert process.poll() is None, "the server exited"
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_a_pooled_client_posts_again_and_again(server):
    session = requests.Session()
    tokens = set()
    for _ in range(4):  # the second POST was the one reset
        response = session.post(f"{server}/api/v1/auth/token/",
                                json={"username": USER, "password": PASSWORD}, timeout=10)
        assert response.status_code == 200
        assert response.headers["Connection"] == "close"
        tokens.add(response.json()["token"])
        me = session.get(f"{server}/api/v1/me/", timeout=10,
                         headers={"Authorization": f"Token {tokens.pop()}"})
        assert (me.status_code, me.json()["username"]) == (200, USER)
        assert me.headers["Connection"] == "close"


@pytest.mark.parametrize("size", [2, 20_000, 300_000])
def test_an_answer_before_the_body_is_read_reaches_the_client(server, size):
    """A 404, or a 401 for a bad token, is decided before the app reads the body. Closing
    a socket with unread bytes in it sends a reset, which can destroy the response on its
    way; uWSGI reads the whole body first (post-buffering, to a temporary file above 64 kB)."""
    session = requests.Session()
    body = b"{" + b" " * (size - 2) + b"}"
    for _ in range(3):
        missing = session.post(f"{server}/api/v1/no-such-thing/", data=body, timeout=10,
                               headers={"Content-Type": "application/json"})
        assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
        refused = session.post(f"{server}/api/v1/claims/", data=body, timeout=10,
                               headers={"Content-Type": "application/json",
                                        "Authorization": "Token not-a-token"})
        assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")


def test_the_server_closes_what_it_says_it_closes(server):
    """http.client keeps a connection unless told otherwise; told, it opens a new one."""
    host, port = server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    for _ in range(3):
        conn.request("POST", "/api/v1/auth/token/", body=b'{"username": "x"}',
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 400
        assert response.getheader("Connection") == "close"
        response.read()
        assert response.will_close
        # it is really closed: the socket the response came on reads end-of-file
    raw = socket.create_connection((host, int(port)), timeout=10)
    raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    received = b""
    while chunk := raw.recv(65536):
        received += chunk
    raw.close()
    assert received.startswith(b"HTTP/1.1 200")
    assert b"\r\nConnection: close\r\n" in received


def test_pooled_clients_do_not_hold_workers(server):
    """Three pooled clients, two workers: each request is answered at once (with
    keep-alive a kept connection holds its worker until socket-timeout, 4 s)."""
    sessions = [requests.Session() for _ in range(3)]
    for _ in range(2):
        for session in sessions:
            started = time.monotonic()
            assert session.get(f"{server}/healthz", timeout=10).status_code == 200
            assert time.monotonic() - started < 2
