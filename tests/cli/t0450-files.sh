#!/bin/sh
# Files nhir writes: new files only, no symbolic links, never the
# database, its side files or the evidence store; evidence limits.
. tests/cli/lib.sh

"$NHIR" init >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" --as rory incident declare --title "files" --severity low \
	--lead lena >/dev/null
printf 'CloudTrail export\n' >"$T/ct.txt"
sha=$(sha256sum "$T/ct.txt" | cut -c1-64)
"$NHIR" --as rory evidence add INC-1 "$T/ct.txt" --source s3 >/dev/null
EV=$(db_evidence)

# evidence export --to
check "export writes a new file" "$NHIR" evidence export 1 --to "$T/x.txt"
check "and it is 0600" test "$(stat -c %a "$T/x.txt")" = 600
check "an existing file is refused" exits 1 "$NHIR" evidence export 1 --to "$T/x.txt"
check "and said so" has "$T/last.err" "already exists (--force overwrites it)"
printf 'keep me\n' >"$T/keep.txt"
check "without --force it is left alone" sh -c \
	'! "$NHIR" evidence export 1 --to "$0/keep.txt" 2>/dev/null; grep -q "keep me" "$0/keep.txt"' "$T"
check "--force replaces it" "$NHIR" evidence export 1 --to "$T/keep.txt" --force
check "with the evidence" cmp "$T/ct.txt" "$T/keep.txt"
printf 'precious\n' >"$T/precious"
ln -s "$T/precious" "$T/link"
check "a symbolic link is not followed" exits 1 "$NHIR" evidence export 1 --to "$T/link"
check "not even with --force" exits 1 "$NHIR" evidence export 1 --to "$T/link" --force
check "and said so" has "$T/last.err" "symbolic link"
check "its target is untouched" has "$T/precious" "precious"
# the database file and its side files (a server's database has none:
# not checked on PostgreSQL)
if ! on_pg; then
	check "the database is refused" exits 1 "$NHIR" evidence export 1 --to "$NHIR_DB"
	check "even with --force" exits 1 "$NHIR" evidence export 1 --to "$NHIR_DB" --force
	check "and said so" has "$T/last.err" "it is the database or one of its files"
	check "by another name too" exits 1 "$NHIR" evidence export 1 \
		--to "$T/./sub/../test.db" --force
	mkdir "$T/sub"
	check "through .. too" exits 1 "$NHIR" evidence export 1 \
		--to "$T/sub/../test.db" --force
	ln "$NHIR_DB" "$T/hard.db"
	check "a hard link to it too" exits 1 "$NHIR" evidence export 1 \
		--to "$T/hard.db" --force
	check "and said so" has "$T/last.err" "it is the database, one of its files"
	for side in wal shm journal graph; do
		check "its -$side file is refused" exits 1 "$NHIR" evidence export 1 \
			--to "$NHIR_DB-$side" --force
	done
fi
check "the database is intact" sh -c \
	'"$NHIR" audit verify | grep -q "audit log intact"'
on_pg || check "no journal was made" test ! -e "$NHIR_DB-journal"
check "stored evidence is refused" exits 1 "$NHIR" evidence export 1 \
	--to "$EV/$sha" --force
check "and said so" has "$T/last.err" "inside the evidence store"
check "a new file in the store is refused" exits 1 "$NHIR" evidence export 1 \
	--to "$EV/new"
check "the stored copy still verifies" "$NHIR" evidence verify 1
check "a device is refused" exits 1 "$NHIR" evidence export 1 \
	--to /dev/null --force
check "a directory is refused" exits 1 "$NHIR" evidence export 1 --to "$T/"

# report -o
check "report -o writes a new file" "$NHIR" report INC-1 -o "$T/r.md"
check "report -o refuses an existing one" exits 1 "$NHIR" report INC-1 -o "$T/r.md"
check "report -o --force replaces it" "$NHIR" report INC-1 -o "$T/r.md" --force
# (no database file on PostgreSQL: not checked there)
if ! on_pg; then
	check "report -o never writes the database" exits 1 "$NHIR" report \
		INC-1 -o "$NHIR_DB" --force
	check "nor its write-ahead log" exits 1 "$NHIR" report INC-1 \
		-o "$NHIR_DB-wal" --force
fi
check "nor follows a link" exits 1 "$NHIR" report INC-1 -o "$T/link" --force
check "nor writes into the evidence store" exits 1 "$NHIR" report INC-1 \
	-o "$EV/r.md"
check "the database still opens" "$NHIR" evidence verify 1

# a stored file replaced by a link; a linked evidence store
chmod u+w "$EV/$sha"
mv "$EV/$sha" "$T/moved"
ln -s "$T/moved" "$EV/$sha"
check "verify rejects a stored file replaced by a link" exits 1 \
	"$NHIR" evidence verify 1
check "and said so" has "$T/last.err" "replaced by a symbolic link"
check "so does export" exits 1 "$NHIR" evidence export 1 --to "$T/y.txt"
check "which leaves no file" test ! -e "$T/y.txt"
rm "$EV/$sha"
mv "$T/moved" "$EV/$sha"
mv "$EV" "$T/elsewhere"
ln -s "$T/elsewhere" "$EV"
check "a linked evidence store is refused by verify" exits 1 \
	"$NHIR" evidence verify 1
check "and said so" has "$T/last.err" "is a symbolic link; refusing it"
check "and by add" exits 1 "$NHIR" --as rory evidence add INC-1 "$T/ct.txt" \
	--source s3
rm "$EV"
mv "$T/elsewhere" "$EV"

# evidence add: size limit, no temporary files, pipes and stdin
check "stdin is evidence" sh -c \
	'printf "from a pipe\n" | "$NHIR" --as rory evidence add INC-1 - --source tty'
check "named stdin" sh -c '"$NHIR" evidence list INC-1 | grep -q " stdin "'
# a sender slow to write holds no lock while nhir reads it
# (the same bytes as above: one stored file still)
(sleep 4; printf "from a pipe\n") | "$NHIR" --as rory evidence add INC-1 - \
	--source slow >"$T/slow.out" 2>&1 &
slow=$!
sleep 1
check "while evidence waits on a pipe, another writer goes through" \
	env NHIR_BUSY_TIMEOUT=1 "$NHIR" --as rory note INC-1 "meanwhile"
wait $slow
check "and the slow evidence is then kept" test $? = 0
check "a bad size is a usage error" exits 2 "$NHIR" --as rory evidence add \
	INC-1 "$T/ct.txt" --source s3 --max-size 12Q
head -c 5000 /dev/zero >"$T/big"
check "too big is refused" exits 1 "$NHIR" --as rory evidence add INC-1 \
	"$T/big" --source s3 --max-size 4K
check "and said so" has "$T/last.err" "larger than the evidence limit of 4096 bytes"
check "too big from a pipe is refused" sh -c \
	'head -c 5000 /dev/zero | "$NHIR" --as rory evidence add INC-1 - --source s3 --max-size 4K; test $? = 1'
check "/dev/zero is refused at once" exits 1 "$NHIR" --as rory evidence add \
	INC-1 /dev/zero --source s3
check "and said so" has "$T/last.err" "not a regular file or a pipe"
check "nothing is left in the store" test \
	"$(ls -A "$EV" | wc -l)" = 2
check "within the limit it is kept" "$NHIR" --as rory evidence add INC-1 \
	"$T/big" --source s3 --max-size 5000
check "the same twice is one stored file" "$NHIR" --as rory evidence add \
	INC-1 "$T/big" --source s3
check "three stored files" test "$(ls -A "$EV" | wc -l)" = 3
check "stored read-only" test \
	"$(stat -c %a "$EV/$(sha256sum "$T/big" | cut -c1-64)")" = 400
done_testing
