#!/usr/bin/env python3
"""Recomputes an nhir audit chain in a database, as a forger would:
every entry's prev and hash from the first, and the recorded head.
usage: rechain.py DB [--check]  (--check: only compare, exit 1 if any
stored hash differs from the recomputed one)."""
import hashlib
import json
import sqlite3
import sys


def jstr(s):
    return json.dumps(s, ensure_ascii=False)


def entry_hash(prev, seq, at, actor, action, incident, detail):
    inc = "null" if incident is None else str(incident)
    text = ('{"action":%s,"actor":%s,"at":%d,"detail":%s,"incident":%s,'
            '"seq":%d}' % (jstr(action), jstr(actor), at, detail, inc, seq))
    return hashlib.sha256((prev + "\n" + text).encode()).hexdigest()


def main():
    db = sqlite3.connect(sys.argv[1])
    check = "--check" in sys.argv
    prev = "0" * 64
    last = None
    rows = db.execute("SELECT seq, at, actor, action, incident, detail, hash"
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
