/*
 * Events: normalized telemetry (cloud audit logs, Kubernetes and Vault
 * audit, ...).  Each keeps its provenance: the file it came from, its
 * byte offset and length there (after decompression), and the SHA-256
 * of its raw bytes, so it can be re-read and shown unchanged.
 */
#ifndef NHIR_EVENT_H
#define NHIR_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include "error.h"

/* Event flags. */
enum nhir_ev_flags {
	NHIR_EV_READ_ONLY = (1 << 0),
	NHIR_EV_PERSISTENCE = (1 << 1),	/* new keys, users, login profiles */
	NHIR_EV_ESCALATION = (1 << 2),	/* policy or trust changes */
	NHIR_EV_MINT = (1 << 3),	/* issued a session or token */
	NHIR_EV_FAILED = (1 << 4),	/* errored or denied */
	/*
	 * Made by the provider on the caller's behalf ("AWS Internal", a
	 * *.amazonaws.com service): its source is no address of the
	 * caller's, so never a new address nor concurrent use.
	 */
	NHIR_EV_INTERNAL = (1 << 5),
};

/*
 * Is the source address ip the provider itself ("AWS Internal", or an
 * AWS service such as "ec2.amazonaws.com")?
 */
bool nhir_ev_internal_source(const char *ip);

/* Worth a responder's look; the store indexes these (30). */
#define NHIR_EV_NOTABLE (NHIR_EV_PERSISTENCE | NHIR_EV_ESCALATION | \
			 NHIR_EV_MINT | NHIR_EV_FAILED)

/*
 * One event.  Strings are borrowed for the call that receives it; any
 * may be NULL.  time is seconds since the epoch, UTC.
 */
struct nhir_event {
	int64_t time;
	const char *source;	/* "cloudtrail", "k8s-audit", ... */
	const char *actor_key;	/* credential or token that signed it */
	const char *identity;	/* who it acted as (ARN, username) */
	const char *action;	/* "iam:CreateAccessKey" */
	const char *target;	/* what it acted on, when known */
	const char *src_ip;
	const char *user_agent;
	const char *region;
	const char *outcome;	/* "success", or an error code */
	unsigned flags;		/* enum nhir_ev_flags */
	/*
	 * The record's identity in its log (CloudTrail eventID, audit id
	 * and stage, ...) hashed, or for a record with none the first 8
	 * bytes of the SHA-256 of its bytes (the ingest sets it).  The
	 * same record read from two files is stored once.
	 */
	uint64_t uid;
	/*
	 * Provenance: the record's bytes are len bytes at offset in the
	 * file (after decompression), and the file is known by its own
	 * SHA-256 (nhir_store_file_find()).
	 */
	int64_t file;		/* source file id (set by the store) */
	uint64_t offset;
	uint32_t len;
};

/* Return non-zero to stop early. */
typedef int (*nhir_event_cb)(const struct nhir_event *ev, void *data);

/* Which events to read: by signing key(s) or by identity, in a window. */
struct nhir_event_query {
	const char *const *keys;	/* actor_key in this set, or NULL */
	size_t key_nr;
	const char *identity;		/* or this identity, or NULL */
	int64_t since, until;		/* NHIR_TIME_UNSET for open ends */
	/*
	 * Lean: only time, actor_key, action, src_ip, user_agent, outcome
	 * and flags are filled, and target for events with a flag other
	 * than read-only (no provenance, identity, region or source).  For
	 * keys the rows are found by (key, time) and read without their
	 * other columns' strings.  Lean events come key by key, each key's
	 * in (time, id) order: the index's, ties sorted.
	 */
	bool lean;
	/*
	 * Notable: only events with a flag in NHIR_EV_NOTABLE, the first
	 * limit of them (0: all) in time order; one key.
	 */
	bool notable;
	size_t limit;
};

#endif
