// bench-ingest's DuckDB peer: loads the CloudTrail records of the raw
// files into a table of a database file, the fields nhir keeps for an
// event (time, key, identity, action, target, source address, user
// agent, region, outcome, event id, file), then counts the records of
// KEY from the table.  Prints "SECONDS COUNT QUERY" for the load, the
// count and the query's seconds, the load timed from the instance's
// creation to its close, the query from opening the file again to its
// answer.
//   node bench/duckdb_load.js PEERS_DIR 'GLOB' DBFILE KEY [THREADS]
'use strict';
const path = require('path');
const [peers, glob, file, key, threads] = process.argv.slice(2);
const { DuckDBInstance } = require(path.resolve(peers, 'node_modules/@duckdb/node-api'));
const lit = (s) => "'" + s.replace(/'/g, "''") + "'";

(async () => {
	const t0 = process.hrtime.bigint();
	const db = await DuckDBInstance.create(file, { threads: threads || '2' });
	const c = await db.connect();
	await c.run(
		'CREATE TABLE event AS SELECT' +
		' CAST(r.eventTime AS TIMESTAMP) AS time,' +
		' r.userIdentity.accessKeyId AS actor_key,' +
		' r.userIdentity.arn AS identity,' +
		' r.eventSource || \':\' || r.eventName AS action,' +
		' CAST(r.requestParameters AS VARCHAR) AS target,' +
		' r.sourceIPAddress AS src_ip, r.userAgent AS user_agent,' +
		' r.awsRegion AS region, r.errorCode AS outcome,' +
		' r.eventID AS uid, filename AS file' +
		' FROM (SELECT unnest(Records) AS r, filename FROM read_json(' +
		lit(glob) + ', filename = true))');
	await c.run('CHECKPOINT');
	c.closeSync();
	db.closeSync();
	const t1 = process.hrtime.bigint();
	const load = Number(t1 - t0) / 1e9;
	const db2 = await DuckDBInstance.create(file, { threads: threads || '2' });
	const c2 = await db2.connect();
	const r = await c2.runAndReadAll('SELECT count(*) FROM event WHERE actor_key = ' + lit(key));
	const query = Number(process.hrtime.bigint() - t1) / 1e9;
	console.log(load.toFixed(3) + ' ' + String(r.getRows()[0][0]) + ' ' +
		query.toFixed(3));
})().catch((e) => { console.error('duckdb: ' + e.message); process.exit(1); });
