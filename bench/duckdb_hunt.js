// bench-hunt's DuckDB peer: counts the CloudTrail records signed by KEY
// with one query straight over the raw files, as a responder without
// nhir would.  Prints the count.
//   node bench/duckdb_hunt.js PEERS_DIR 'GLOB' KEY [THREADS]
'use strict';
const path = require('path');
const [peers, glob, key, threads] = process.argv.slice(2);
const { DuckDBInstance } = require(path.resolve(peers, 'node_modules/@duckdb/node-api'));
const lit = (s) => "'" + s.replace(/'/g, "''") + "'";

(async () => {
	const db = await DuckDBInstance.create(':memory:', { threads: threads || '2' });
	const c = await db.connect();
	const r = await c.runAndReadAll(
		'SELECT count(*) FROM (SELECT unnest(Records) AS r FROM read_json(' +
		lit(glob) + ')) WHERE r.userIdentity.accessKeyId = ' + lit(key));
	console.log(String(r.getRows()[0][0]));
})().catch((e) => { console.error('duckdb: ' + e.message); process.exit(1); });
