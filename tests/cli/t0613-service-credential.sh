#!/bin/sh
# IAM service-specific credentials (CodeCommit, Keyspaces passwords):
# made by a key, they are its persistence; deleting one, or
# deactivating it, ends it at that time; a failed deletion ends
# nothing; deleting the user ends what is left of them.
#
# tests/data/cloudtrail-ssc/trail.json, CloudTrail records in the shape
# IAM logs them: ci-bot's key AKIAEXAMPLESSCKEY001 creates two
# credentials for git-bot (10:00, 10:01), deactivates the second
# (10:10), deletes the first (10:20), fails to delete the second
# (10:22, AccessDenied), activates it again (10:30) and deletes the
# user git-bot (10:50).
. tests/cli/lib.sh

F=$ROOT/tests/data/cloudtrail-ssc/trail.json
K=AKIAEXAMPLESSCKEY001
C1=ACCAEXAMPLESSC000001
C2=ACCAEXAMPLESSC000002

"$NHIR" init --fixed-clock >/dev/null
check "ingest" "$NHIR" ingest cloudtrail "$F"

# in_section FILE SECTION ID TEXT: ID's line in SECTION holds TEXT
in_section() {
	sed -n "/^$2/,/^\$/p" "$T/$1" | grep -q "^  $3 .*$4"
}

"$NHIR" blast "$K" --at 2024-06-03T10:05:00Z >"$T/a.txt"
check "a service-specific credential made by the key is persistence" \
	in_section a.txt Persistence "$C1" "survives revocation of its parent"
check "of the user it was made for" has "$T/a.txt" \
	"path: $K -created-> $C1 -authenticates-> arn:aws:iam::111122223333:user/git-bot"

"$NHIR" blast "$K" --at 2024-06-03T10:15:00Z >"$T/b.txt"
check "deactivated, it is ended, by which event and where" \
	in_section b.txt "Expired or ended" "$C2" \
	"\[ended 2024-06-03T10:10:00Z: deactivated by UpdateServiceSpecificCredential, $F@"
check "the other one is still live" in_section b.txt Persistence "$C1" ""

"$NHIR" blast "$K" --at 2024-06-03T10:25:00Z >"$T/c.txt"
check "deleted, it is ended" in_section c.txt "Expired or ended" "$C1" \
	"\[ended 2024-06-03T10:20:00Z: deleted by DeleteServiceSpecificCredential, $F@"
check "a failed deletion ends nothing: still the deactivation" \
	in_section c.txt "Expired or ended" "$C2" \
	"\[ended 2024-06-03T10:10:00Z: deactivated"

"$NHIR" blast "$K" --at 2024-06-03T10:40:00Z >"$T/d.txt"
check "activated again, it is live persistence" \
	in_section d.txt Persistence "$C2" "survives revocation of its parent"
check "the deleted one stays ended" in_section d.txt "Expired or ended" \
	"$C1" "deleted by DeleteServiceSpecificCredential"

"$NHIR" blast "$K" --at 2024-06-03T10:55:00Z >"$T/e.txt"
check "deleting the user ends it" in_section e.txt "Expired or ended" "$C2" \
	"\[ended 2024-06-03T10:50:00Z: .*DeleteUser"
check "nothing is live persistence then" sh -c \
	'! sed -n "/^Persistence/,/^$/p" "$0/e.txt" | grep -q ACCA' "$T"

check "show lists the end facts" sh -c '"$NHIR" show '"$C2"' >"$0/s.txt" &&
	grep -q "deactivated 2024-06-03T10:10:00Z by UpdateServiceSpecificCredential" "$0/s.txt" &&
	grep -q "reactivated 2024-06-03T10:30:00Z by UpdateServiceSpecificCredential" "$0/s.txt"' "$T"
check "usage keeps them in the lineage" sh -c \
	'"$NHIR" usage '"$K"' | grep -q "iam:DeleteServiceSpecificCredential"'

done_testing
