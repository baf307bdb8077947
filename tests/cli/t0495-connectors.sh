#!/bin/sh
# Exec connectors get only the environment variables their configuration
# names (no PATH, none of nhir's secrets), run by the absolute path found
# when the file is loaded (not through $PATH or the working directory); a
# connectors file others may write or replace is refused.
. tests/cli/lib.sh

export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
mkdir "$T/bin"
cat >"$T/bin/ir-act" <<'SH'
#!/bin/sh
cat >/dev/null
env >"$OUT_DIR/env.$$"
echo '{"status":"done"}'
SH
chmod 755 "$T/bin/ir-act"
conf() {
	cat >"$T/conn.yaml" <<YAML
version: 1
connectors:
  - name: act
    type: exec
    command: [$1]
    env: [OUT_DIR, ALLOWED_VAR, UNSET_VAR]
    timeout: 10
    actions: ["*"]
YAML
	chmod 644 "$T/conn.yaml"
}
conf ir-act
export NHIR_CONNECTORS="$T/conn.yaml" OUT_DIR="$T" ALLOWED_VAR=yes
export SOAR_TOKEN=not-for-connectors
"$NHIR" init >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "leak" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as lena plan INC-1 >/dev/null

check "a bare command is not looked for in \$PATH" exits 1 env \
	PATH="$T/bin:$PATH" "$NHIR" --as rory execute INC-1 --next --confirm
check "naming file and line" has "$T/last.err" \
	"$T/conn.yaml:5: 'act': command 'ir-act' is not an executable file in /usr/local/bin:/usr/bin:/bin"
conf bin/ir-act
check "a relative command is taken from the file's directory" sh -c \
	'cd / && "$NHIR" --as rory execute INC-1 --next --confirm'
env=$(ls "$T"/env.* | head -1)
check "it got the variables named" has "$env" "ALLOWED_VAR=yes"
check "and OUT_DIR" has "$env" "OUT_DIR=$T"
check "not a secret of nhir's environment" hasnt "$env" "SOAR_TOKEN"
check "nor PATH" sh -c '! grep -q "^PATH=" "$0"' "$env"
check "nor NHIR_DB" hasnt "$env" "NHIR_DB"
check "nor an unset one" hasnt "$env" "UNSET_VAR"

conf "$T/bin/ir-act"
chmod 664 "$T/conn.yaml"
check "a file its group may write is refused" exits 1 \
	"$NHIR" --as rory execute INC-1 --next --confirm
check "and said so" has "$T/last.err" "'$T/conn.yaml' is writable by its group (mode 0664)"
chmod 646 "$T/conn.yaml"
check "one others may write too" exits 1 \
	"$NHIR" --as rory execute INC-1 --next --confirm
check "and said so" has "$T/last.err" "is writable by others"
chmod 644 "$T/conn.yaml"
# its directory: whoever may write it may replace the file
chmod 775 "$T"
check "one in a directory its group may write is refused" exits 1 \
	"$NHIR" --as rory execute INC-1 --next --confirm
check "and said so" has "$T/last.err" \
	"'$T/conn.yaml': its directory '$T' is writable by its group (mode 0775)"
mkdir "$T/shared"
cp "$T/conn.yaml" "$T/shared/conn.yaml"
chmod 777 "$T/shared"
ln -s "$T/shared/conn.yaml" "$T/link.yaml"
chmod 700 "$T"
check "one reached through a link into such a directory too" exits 1 \
	env NHIR_CONNECTORS="$T/link.yaml" "$NHIR" --as rory execute INC-1 \
	--next --confirm
check "naming the directory the link leads to" has "$T/last.err" \
	"its directory '$T/shared' is writable by others (mode 0777)"
chmod 1777 "$T/shared"
check "a sticky directory (as /tmp) is no such risk (a dry run)" exits 0 \
	env NHIR_CONNECTORS="$T/shared/conn.yaml" "$NHIR" --as rory \
	execute INC-1 --next
if [ "$(id -u)" = 0 ]; then
	chown nobody "$T/shared/conn.yaml"
	check "a file of another user is refused" exits 1 \
		env NHIR_CONNECTORS="$T/shared/conn.yaml" "$NHIR" --as rory \
		execute INC-1 --next --confirm
	check "and said so" has "$T/last.err" "'$T/shared/conn.yaml' belongs to user $(id -u nobody), not to you or root"
	chown 0 "$T/shared/conn.yaml"
	chown nobody "$T/shared"
	chmod 755 "$T/shared"
	check "so is one in a directory of another user" exits 1 \
		env NHIR_CONNECTORS="$T/shared/conn.yaml" "$NHIR" --as rory \
		execute INC-1 --next --confirm
	check "and said so" has "$T/last.err" "its directory '$T/shared' belongs to user $(id -u nobody)"
else
	n=$((n + 1))
	echo "ok $n - # SKIP giving a file to another user needs root"
fi
printf 'version: 1\nconnectors:\n  - name: act\n    type: exec\n    command: [%s]\n    env: [PATH=/tmp]\n    actions: ["*"]\n' \
	"$T/bin/ir-act" >"$T/conn.yaml"
check "env takes names only" exits 1 \
	"$NHIR" --as rory execute INC-1 --next --confirm
check "and said so" has "$T/last.err" "$T/conn.yaml:6: 'act': env lists variable names, not 'PATH=/tmp'"
done_testing
