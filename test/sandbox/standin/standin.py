"""Paperless-ngx stand-in for tests.

Honours the same contract the cluster relies on: PAPERLESS_* database, Redis, port and directory
settings; migrations only through `manage.py migrate`; documents stored under the media root
with a database row; the consumer and the scheduler refuse to run on two nodes at once (a lock in
the shared Redis), and the search index in the data dir refuses a second writer. Wiring mistakes
therefore fail tests instead of passing silently.
"""
import base64
import hashlib
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import redis

ENV = os.environ
# As the real image's entrypoint does: PAPERLESS_X_FILE names a file (a Docker secret) holding PAPERLESS_X.
for _key in [k for k in ENV if k.startswith("PAPERLESS_") and k.endswith("_FILE")]:
    with open(ENV[_key], encoding="utf-8") as _f:
        ENV[_key[: -len("_FILE")]] = _f.read().strip()
NODE = ENV.get("PAPERLESS_HA_NODE") or os.uname().nodename
DATA = ENV.get("PAPERLESS_DATA_DIR", "/usr/src/paperless/data")
MEDIA = ENV.get("PAPERLESS_MEDIA_ROOT", "/usr/src/paperless/media")
CONSUME = ENV.get("PAPERLESS_CONSUMPTION_DIR", "/usr/src/paperless/consume")
SCHEDULER_RUN = "/etc/s6-overlay/s6-rc.d/svc-scheduler/run"
LOCK_TTL = 15
# Which build this is: the rolling-update test tells old instances from new ones by it.
VERSION = ENV.get("PAPERLESS_HA_STANDIN_VERSION", "1")


def log(msg):
    print(f"[standin {NODE}] {msg}", flush=True)


def connect_db():
    return psycopg2.connect(
        host=ENV["PAPERLESS_DBHOST"],
        port=int(ENV.get("PAPERLESS_DBPORT", "5432")),
        dbname=ENV.get("PAPERLESS_DBNAME", "paperless"),
        user=ENV.get("PAPERLESS_DBUSER", "paperless"),
        password=ENV.get("PAPERLESS_DBPASS", "paperless"),
        sslmode=ENV.get("PAPERLESS_DBSSLMODE", "prefer"),
        sslrootcert=ENV.get("PAPERLESS_DBSSLROOTCERT") or None,
        connect_timeout=5,
    )


def connect_redis():
    return redis.Redis.from_url(ENV["PAPERLESS_REDIS"], socket_timeout=5, socket_connect_timeout=5)


def migrate(conn):
    with conn.cursor() as cur:
        cur.execute(
            """
            CREATE TABLE IF NOT EXISTS standin_migrations (name text PRIMARY KEY, applied timestamptz DEFAULT now());
            CREATE TABLE IF NOT EXISTS auth_user (id serial PRIMARY KEY, username text UNIQUE NOT NULL, password_sha256 text NOT NULL);
            CREATE TABLE IF NOT EXISTS documents_document (
                id serial PRIMARY KEY, title text NOT NULL, checksum text NOT NULL,
                filename text NOT NULL, added_on text NOT NULL, added timestamptz DEFAULT now());
            INSERT INTO standin_migrations (name) VALUES ('0001_initial') ON CONFLICT DO NOTHING;
            """
        )
    conn.commit()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def scheduler_enabled():
    try:
        with open(SCHEDULER_RUN, encoding="utf-8") as f:
            return "s6-svc -Od" not in f.read()
    except FileNotFoundError:
        return True


ROLES = {"consumer": not ENV.get("PAPERLESS_CONSUMER_DISABLE"), "scheduler": scheduler_enabled()}


def hold_locks(r):
    """Take the cluster-wide lock of every singleton role this instance runs, or refuse to start."""
    for role, enabled in ROLES.items():
        if not enabled:
            continue
        key = f"standin:lock:{role}"
        if not r.set(key, NODE, nx=True, ex=LOCK_TTL):
            holder = (r.get(key) or b"").decode()
            if holder != NODE:
                sys.exit(f"refusing to start: the {role} already runs on {holder}")
            r.expire(key, LOCK_TTL)

    def renew():
        while True:
            time.sleep(LOCK_TTL / 3)
            try:
                for role, enabled in ROLES.items():
                    if enabled:
                        r.set(f"standin:lock:{role}", NODE, ex=LOCK_TTL)
                if ROLES["scheduler"]:
                    r.set("standin:scheduler:last", f"{NODE} {time.time()}")
            except redis.RedisError as e:
                log(f"lock renewal failed: {e}")

    threading.Thread(target=renew, daemon=True).start()


def claim_index():
    """The search index is single-writer: a data dir written by another node is refused."""
    path = os.path.join(DATA, "index")
    os.makedirs(path, exist_ok=True)
    owner = os.path.join(path, "writer")
    if os.path.exists(owner):
        with open(owner, encoding="utf-8") as f:
            holder = f.read().strip()
        if holder and holder != NODE:
            sys.exit(f"refusing to start: the index in {path} belongs to {holder}")
    with open(owner, "w", encoding="utf-8") as f:
        f.write(NODE)


def store_document(title, content):
    with connect_db() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO documents_document (title, checksum, filename, added_on) VALUES (%s, %s, '', %s) RETURNING id",
            (title, sha256(content), NODE),
        )
        doc_id = cur.fetchone()[0]
        filename = f"documents/originals/{doc_id:07d}.pdf"
        path = os.path.join(MEDIA, filename)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".part", "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(path + ".part", path)
        cur.execute("UPDATE documents_document SET filename = %s WHERE id = %s", (filename, doc_id))
    with open(os.path.join(DATA, "index", "documents.log"), "a", encoding="utf-8") as f:
        f.write(f"{doc_id}\t{title}\n")
    return doc_id


def consume_loop():
    while True:
        time.sleep(2)
        try:
            for name in sorted(os.listdir(CONSUME)):
                path = os.path.join(CONSUME, name)
                if name.startswith(".") or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    content = f.read()
                doc_id = store_document(name, content)
                os.remove(path)
                log(f"consumed {name} as document {doc_id}")
        except Exception as e:  # keep consuming after a transient failure
            log(f"consume failed: {e}")


class Handler(BaseHTTPRequestHandler):
    server_version = "paperless-standin"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=b"", ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def user(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return None
        try:
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return None
        with connect_db() as conn, conn.cursor() as cur:
            cur.execute("SELECT id FROM auth_user WHERE username = %s AND password_sha256 = %s", (name, sha256(password.encode())))
            return name if cur.fetchone() else None

    def backends_ok(self):
        try:
            with connect_db() as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
            connect_redis().ping()
            return True
        except Exception as e:
            self.reply(503, {"node": NODE, "error": str(e)})
            return False

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            return self.reply(302, b"", headers={"Location": "/accounts/login/"})
        if path == "/accounts/login/":
            return self.reply(200, b"<html><body>paperless stand-in login</body></html>", "text/html")
        if path == "/api/ha/":
            if not self.backends_ok():
                return None
            return self.reply(200, {"node": NODE, "version": VERSION, **ROLES})
        if not path.startswith("/api/"):
            return self.reply(404, {"detail": "not found"})
        if not self.backends_ok():
            return None
        if not self.user():
            return self.reply(401, {"detail": "Authentication credentials were not provided."})
        if path == "/api/":
            return self.reply(200, {"node": NODE, "documents": "/api/documents/"})
        if path == "/api/documents/":
            with connect_db() as conn, conn.cursor() as cur:
                cur.execute("SELECT id, title, checksum, added_on FROM documents_document ORDER BY id")
                rows = [{"id": i, "title": t, "checksum": c, "added_on": n} for i, t, c, n in cur.fetchall()]
            return self.reply(200, {"count": len(rows), "results": rows, "served_by": NODE})
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["api", "documents"] and parts[3] == "download" and parts[2].isdigit():
            with connect_db() as conn, conn.cursor() as cur:
                cur.execute("SELECT filename FROM documents_document WHERE id = %s", (int(parts[2]),))
                row = cur.fetchone()
            if not row:
                return self.reply(404, {"detail": "no such document"})
            with open(os.path.join(MEDIA, row[0]), "rb") as f:
                return self.reply(200, f.read(), "application/pdf")
        return self.reply(404, {"detail": "not found"})

    def do_POST(self):
        if self.path.split("?", 1)[0] != "/api/documents/post_document/":
            return self.reply(404, {"detail": "not found"})
        if not self.backends_ok():
            return None
        if not self.user():
            return self.reply(401, {"detail": "Authentication credentials were not provided."})
        content = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        title = self.headers.get("X-Title", "untitled")
        return self.reply(200, {"id": store_document(title, content), "node": NODE})


def main():
    with connect_db() as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('standin_migrations') IS NOT NULL")
        if not cur.fetchone()[0]:
            sys.exit("refusing to start: the database is not migrated (run manage.py migrate first)")
        if ENV.get("PAPERLESS_ADMIN_USER") and ENV.get("PAPERLESS_ADMIN_PASSWORD"):
            cur.execute(
                "INSERT INTO auth_user (username, password_sha256) VALUES (%s, %s) "
                "ON CONFLICT (username) DO UPDATE SET password_sha256 = EXCLUDED.password_sha256",
                (ENV["PAPERLESS_ADMIN_USER"], sha256(ENV["PAPERLESS_ADMIN_PASSWORD"].encode())),
            )
    r = connect_redis()
    r.ping()
    hold_locks(r)
    claim_index()
    if ROLES["consumer"]:
        threading.Thread(target=consume_loop, daemon=True).start()
    port = int(ENV.get("PAPERLESS_PORT", "8000"))
    log(f"serving on :{port} consumer={ROLES['consumer']} scheduler={ROLES['scheduler']}")
    server = ThreadingHTTPServer((ENV.get("PAPERLESS_BIND_ADDR", "0.0.0.0"), port), Handler)
    # As Paperless's web server does on `docker stop`: stop accepting, finish the requests in flight.
    server.daemon_threads = False

    def stop(_signum, _frame):
        log("stopping: no new connections, finishing requests in flight")
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()
    server.server_close()
    log("stopped")


if __name__ == "__main__":
    main()
