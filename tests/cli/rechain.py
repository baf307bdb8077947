#!/usr/bin/env python3
"""Recomputes an nhir audit chain in a database, as a forger would:
every entry's prev and hash from the first, and the recorded head.
usage: rechain.py DB [--check]  (--check: only compare, exit 1 if any
stored hash differs from the recomputed one).  DB is an SQLite file or
a PostgreSQL DSN (through psql)."""
import glob
import hashlib
import json
import os
import sqlite3
import subprocess
import sys


class Pg:
    """The little of sqlite3's connection used below, through psql."""

    def __init__(self, dsn):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda b: int(b.split("/")[-2]))
        bindir = os.environ.get("PG_BINDIR") or (bins[-1] if bins else "")
        self.psql = [os.path.join(bindir, "psql") if bindir else "psql",
                     "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn]
        self.sql = []

    def rows(self):
        out = subprocess.run(self.psql + ["-c", "SELECT coalesce(json_agg("
                             "json_build_array(seq, at, actor, action,"
                             " incident, detail, hash) ORDER BY seq), '[]')"
                             " FROM audit"], check=True, capture_output=True,
                             text=True).stdout
        return json.loads(out)

    def execute(self, sql, args=()):
        for a in args:
            v = str(a) if isinstance(a, int) else \
                "'" + str(a).replace("'", "''") + "'"
            sql = sql.replace("?", v, 1)
        self.sql.append(sql)

    def commit(self):
        subprocess.run(self.psql + ["-c", "BEGIN; " + "; ".join(self.sql) +
                                    "; COMMIT"], check=True,
                       capture_output=True)


def jstr(s):
    return json.dumps(s, ensure_ascii=False)


def entry_hash(prev, seq, at, actor, action, incident, detail):
    inc = "null" if incident is None else str(incident)
    text = ('{"action":%s,"actor":%s,"at":%d,"detail":%s,"incident":%s,'
            '"seq":%d}' % (jstr(action), jstr(actor), at, detail, inc, seq))
    return hashlib.sha256((prev + "\n" + text).encode()).hexdigest()


def main():
    pg = sys.argv[1].startswith(("postgres://", "postgresql://"))
    db = Pg(sys.argv[1]) if pg else sqlite3.connect(sys.argv[1])
    check = "--check" in sys.argv
    prev = "0" * 64
    last = None
    rows = db.rows() if pg else \
        db.execute("SELECT seq, at, actor, action, incident, detail, hash"
                   " FROM audit ORDER BY seq").fetchall()
    for seq, at, actor, action, inc, detail, stored in rows:
        h = entry_hash(prev, seq, at, actor, action, inc, detail)
        if check and h != stored:
            print("entry %d differs" % seq)
            return 1
        if not check:
            db.execute("UPDATE audit SET prev = ?, hash = ? WHERE seq = ?",
                       (prev, h, seq))
        prev = h
        last = seq
    if not check:
        db.execute("DELETE FROM meta WHERE key = 'audit_head'")
        if last is not None:
            db.execute("INSERT INTO meta VALUES('audit_head', ?)",
                       ("%d:%s" % (last, prev),))
        db.commit()
    return 0


sys.exit(main())
