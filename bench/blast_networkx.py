#!/usr/bin/python3
"""networkx side of bench-blast: the same forward edges, valid at AT,
read from the nhir SQLite database; times the graph build and a BFS
(nx.descendants) from each seed.  Prints one JSON object."""
import json
import sqlite3
import sys
import time

import networkx as nx

FORWARD_KINDS = (1, 2, 3, 4, 5, 7)   # authenticates issued assumes delegates can stored_in


def main():
    db, at = sys.argv[1], int(sys.argv[2])
    seeds = [int(s) for s in sys.argv[3:]]
    con = sqlite3.connect(db)
    t0 = time.perf_counter()
    rows = con.execute(
        "SELECT src, dst FROM edge WHERE kind IN (%s)"
        " AND (created IS NULL OR created <= ?) AND (expires IS NULL OR expires > ?)"
        % ",".join(map(str, FORWARD_KINDS)), (at, at))
    g = nx.DiGraph()
    g.add_edges_from(rows)
    build = time.perf_counter() - t0
    out = {"build_s": build, "edges": g.number_of_edges(), "seeds": []}
    for s in seeds:
        best = None
        for _ in range(3):
            t = time.perf_counter()
            reach = nx.descendants(g, s) if s in g else set()
            el = time.perf_counter() - t
            best = el if best is None or el < best else best
        out["seeds"].append({"seed": s, "reached": len(reach) + 1, "s": best})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
