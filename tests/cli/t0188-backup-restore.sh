#!/bin/sh
# Backing up and restoring the three parts together, as
# doc/guide/backup.md says: the database (pg_dump, then pg_restore
# --create after it is lost; SQLite's online .backup), the evidence
# folder and the fingerprint key.  On the restored copy every piece of
# evidence verifies against its hash, the audit chain verifies, a token
# still works and findings imported again are known by their
# fingerprints.  An altered evidence file and a lost key are caught.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/lib-pg.sh

pg_start || exit 1
PSQL="$PG_BIN/psql -X -At -h $PG_SOCK -U nhir"
db=$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_bk/')
export NHIR_DB="$db" NHIR_FILES="$T/files"

# what a team has: users, an incident, evidence, findings, a token
team() {
	"$NHIR" init >/dev/null &&
	"$NHIR" user add lena --role lead >/dev/null &&
	"$NHIR" --as lena incident declare --title 'kept safe' \
		--severity high --lead lena >/dev/null &&
	printf 'first export\n' >"$T/ev1.txt" &&
	printf 'second export\n' >"$T/ev2.txt" &&
	"$NHIR" --as lena evidence add INC-1 "$T/ev1.txt" --source s3 \
		>/dev/null &&
	"$NHIR" --as lena evidence add INC-1 "$T/ev2.txt" --source s3 \
		>/dev/null &&
	"$NHIR" --as lena note INC-1 'before the backup' >/dev/null &&
	"$NHIR" findings import generic tests/data/findings/generic.jsonl \
		>/dev/null &&
	"$NHIR" token create --user lena --scope read >"$1" 2>/dev/null
}
# $T/findings_n: how many findings the database of $NHIR_DB holds
cat >"$T/findings_n" <<EOF
#!/bin/sh
"$NHIR" findings list --format json | python3 -c \
	'import json, sys; print(len(json.load(sys.stdin)["findings"]))'
EOF
chmod +x "$T/findings_n"
findings() { "$T/findings_n"; }
# every piece of evidence of INC-1 verifies against its hash
evidence_verifies() {
	ids=$("$NHIR" evidence list INC-1 --format json | python3 -c '
import json, sys
print(" ".join(str(e["id"]) for e in json.load(sys.stdin)["evidence"]))')
	[ "$(echo $ids | wc -w)" = 2 ] || { echo "evidence: $ids" >&2; return 1; }
	for i in $ids; do
		"$NHIR" evidence verify "$i" || return 1
	done
}

check "a team's database on PostgreSQL" team "$T/tok"
nf=$(findings)
"$NHIR" audit log --format json >"$T/audit.before"

# the backup: the database first, then the folder (evidence is only
# ever added, named by its hash, and the key never changes: what the
# dump names is in the folder copied after it)
mkdir "$T/backup"
check "pg_dump takes the database" "$PG_BIN/pg_dump" -h "$PG_SOCK" -U nhir \
	-Fc -f "$T/backup/nhir.dump" nhir_bk
check "tar takes the evidence folder and the key" \
	tar -C "$T/files" -cf "$T/backup/files.tar" nhir-evidence nhir-key
"$NHIR" --as lena note INC-1 'after the backup' >/dev/null

# the loss: the database and the folder are gone
check "the database is dropped" $PSQL -d postgres -c 'DROP DATABASE nhir_bk'
rm -rf "$T/files"
check "nothing answers any more" exits 1 "$NHIR" incident list

# the restore
check "pg_restore --create brings the database back" \
	"$PG_BIN/pg_restore" -h "$PG_SOCK" -U nhir --create --exit-on-error \
	-d postgres "$T/backup/nhir.dump"
check "the folder is unpacked where NHIR_FILES names" sh -c \
	'mkdir -p -m 700 "$1/files" && tar -C "$1/files" -xf "$1/backup/files.tar"' \
	sh "$T"
check "the audit chain verifies on the restored copy" "$NHIR" audit verify
check "as it was at the backup" sh -c '
"$0" audit log --format json | python3 -c "
import json, sys
now = json.load(sys.stdin)[\"entries\"]
was = json.load(open(sys.argv[1]))[\"entries\"]
assert now == was, (len(now), len(was))
" "$1"' "$NHIR" "$T/audit.before"
check "every piece of evidence verifies against its hash" evidence_verifies
check "the note written after the backup is not there" sh -c \
	'! "$0" incident show INC-1 | grep -q "after the backup"' "$NHIR"
check "a token made before the backup still works" sh -c \
	'"$0" token list --user lena | grep -q read' "$NHIR"
check "findings imported again are known by their fingerprints" sh -c '
"$0" findings import generic tests/data/findings/generic.jsonl >/dev/null &&
test "$("$2/findings_n")" = "$1"' "$NHIR" "$nf" "$T"
check "the restored copy takes new changes" sh -c \
	'"$0" --as lena note INC-1 "after the restore" >/dev/null &&
	 "$0" audit verify' "$NHIR"

# an altered evidence file, and a restore without the key, are caught
sha=$(sha256sum "$T/ev1.txt" | cut -d' ' -f1)
chmod u+w "$T/files/nhir-evidence/$sha"
printf 'altered\n' >"$T/files/nhir-evidence/$sha"
check "an evidence file altered in the backup is caught" \
	exits 1 "$NHIR" evidence verify 1
check "restored without the key, imported findings are new" sh -c '
$2 -d postgres -c "CREATE DATABASE nhir_nokey TEMPLATE template0" &&
"$3/pg_restore" -h "$4" -U nhir --exit-on-error -d nhir_nokey "$1/backup/nhir.dump" &&
mkdir -m 700 "$1/nokey" && tar -C "$1/nokey" -xf "$1/backup/files.tar" nhir-evidence &&
export NHIR_DB="$5" NHIR_FILES="$1/nokey" &&
"$0" findings import generic tests/data/findings/generic.jsonl >/dev/null &&
test "$("$1/findings_n")" -gt "$6"' "$NHIR" "$T" "$PSQL" "$PG_BIN" "$PG_SOCK" \
	"$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_nokey/')" "$nf"

# the same on a database file: SQLite's online backup and the files
# beside it (nhir.db-evidence/, nhir.db-key)
unset NHIR_FILES
export NHIR_DB="$T/live/nhir.db"
mkdir -m 700 "$T/live" "$T/bk" "$T/restored"
check "a team's database file" team "$T/tok2"
nf=$(findings)
check "sqlite3 .backup takes the database" \
	sqlite3 "$T/live/nhir.db" ".backup '$T/bk/nhir.db'"
check "cp takes the evidence and the key" \
	cp -a "$T/live/nhir.db-evidence" "$T/live/nhir.db-key" "$T/bk/"
rm -rf "$T/live"
cp -a "$T/bk/." "$T/restored/"
export NHIR_DB="$T/restored/nhir.db"
check "the audit chain verifies on the restored file" "$NHIR" audit verify
check "its evidence verifies" evidence_verifies
check "its findings keep their fingerprints" sh -c '
"$0" findings import generic tests/data/findings/generic.jsonl >/dev/null &&
test "$("$2/findings_n")" = "$1"' "$NHIR" "$nf" "$T"

done_testing
