# Helpers for the scenario scripts: each stage prints what it shows and
# asserts what it must.  A failed assertion stops the scenario, exit 1.
set -eu
: "${NHIR:=build/nhir}"
case $NHIR in /*) ;; *) NHIR=$PWD/$NHIR ;; esac
ROOT=$PWD
DATA=${NHIR_DATA:-$ROOT/../shared/data}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nhir-scenario-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export NHIR_DB="$WORK/nhir.db" NO_COLOR=1
export NHIR_CATALOG="$ROOT/catalog/actions.yaml" NHIR_POLICY="$ROOT/policy/routing.yaml"
export NHIR_CONNECTORS="$ROOT/examples/connectors/simulated.yaml"
export FAKE_STATE="$WORK/simulated-provider.json"
stage=0

stage() {
	stage=$((stage + 1))
	printf '\n== %d. %s\n' "$stage" "$*"
}

# expect TEXT FILE: FILE holds TEXT, or the scenario fails.
expect() {
	if ! grep -qF -- "$1" "$2"; then
		echo "scenario failed at stage $stage: '$1' not in:" >&2
		head -40 "$2" >&2
		exit 1
	fi
	echo "   ok: $1"
}

# json FILE PYTHON-EXPRESSION: the expression over d (the JSON) holds.
json() {
	if ! python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert $2" "$1"; then
		echo "scenario failed at stage $stage: $2" >&2
		exit 1
	fi
	echo "   ok: $2"
}

# run COMMAND...: runs it into $WORK/out (status 0 or 3 accepted).
run() {
	"$@" >"$WORK/out" 2>&1 || {
		s=$?
		if [ $s != 3 ]; then
			echo "scenario failed at stage $stage: '$*' exited $s" >&2
			cat "$WORK/out" >&2
			exit 1
		fi
	}
}

# Approves every pending step twice and runs the plan to its end.
run_plan() {
	"$NHIR" --as "$2" approve "$1" --all --why "reviewed" >/dev/null
	"$NHIR" --as "$3" approve "$1" --all --why "second pair of eyes" >/dev/null
	i=0
	while [ $i -lt 200 ] && "$NHIR" --as "$4" execute "$1" --next --confirm \
			>"$WORK/step" 2>&1; do
		i=$((i + 1))
	done
	if ! grep -q "no step left" "$WORK/step"; then
		echo "scenario failed at stage $stage: the plan stopped:" >&2
		cat "$WORK/step" >&2
		exit 1
	fi
	echo "   ok: $i steps run"
}

# A fresh database and the team: ada (admin), lena (lead), rory
# (responder), alex and ben (approvers).
team() {
	NHIR_USER=ada "$NHIR" init --fixed-clock >/dev/null
	for u in "lena lead" "rory responder" "alex approver" "ben approver"; do
		set -- $u
		NHIR_USER=ada "$NHIR" user add "$1" --role "$2" >/dev/null
	done
}
