#!/usr/bin/env bash
# The global options (--db, --retention, --read-only, --recover) are taken
# before the subcommand and after it, also after a subcommand's positional
# arguments; an unknown option is still refused with a clear message.
# Usage: global_options_test.sh <path-to-sessionstore> <scratch-dir>
set -euo pipefail
bin=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
db="$work/db"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cat > "$work/t.jsonl" <<'EOF'
{"trace_id":"g-1","session_id":"glob","user_id":"u","start_time":"2026-01-01T00:00:00Z","output":"hello world"}
{"trace_id":"g-2","session_id":"glob","user_id":"u","start_time":"2026-01-01T00:01:00Z","output":"bye"}
EOF

# ingest FILE --db D: the option after the positional.
"$bin" ingest "$work/t.jsonl" --db "$db" --quiet > "$work/ingest.out" || fail "ingest FILE --db"
grep -q "2 inserted" "$work/ingest.out" || fail "ingest printed: $(cat "$work/ingest.out")"
[ -d "$db" ] || fail "ingest FILE --db D did not create D"

# Before and after give the same answer.
"$bin" --db "$db" sessions --json > "$work/before.json"
"$bin" sessions --db "$db" --json > "$work/after.json"
"$bin" sessions --json --db "$db" > "$work/last.json"
grep -q '"session_id":"glob"' "$work/after.json" || fail "sessions --db: $(cat "$work/after.json")"
cmp -s "$work/before.json" "$work/after.json" || fail "sessions: --db after differs from before"
cmp -s "$work/before.json" "$work/last.json" || fail "sessions: --db last differs"

# Global flags after a subcommand's positional argument(s).
"$bin" session glob --db "$db" --read-only --json | grep -q '"trace_count":2' ||
  fail "session ID --db --read-only"
"$bin" search hello --db "$db" --json | grep -q '"trace_id":"g-1"' || fail "search TEXT --db"
"$bin" timeline glob --json --db "$db" --recover | grep -q '"trace_id":"g-2"' ||
  fail "timeline ID --json --db --recover"
# --retention after the positional is applied: traces of 2026 are inside 3650d.
"$bin" ingest "$work/t.jsonl" --db "$db" --retention 3650d --quiet > /dev/null ||
  fail "ingest FILE --retention"
"$bin" backup "$work/backups" --db "$db" > /dev/null || fail "backup DEST --db"
"$bin" restore "$work/backups" "$work/restored" --db "$work/ignored" > /dev/null ||
  fail "restore BACKUP DIR --db"
"$bin" session glob --db "$work/restored" --json | grep -q '"trace_count":2' ||
  fail "restored store"
# A global option's value is checked wherever it stands.
set +e
"$bin" compact --db "$db" --retention 3x > /dev/null 2> "$work/ret.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "compact --retention 3x exited $rc, want 2"
grep -q "not a positive duration" "$work/ret.err" || fail "no hint: $(cat "$work/ret.err")"
# --read-only after a writing command is refused as before it.
set +e
"$bin" compact --db "$db" --read-only > /dev/null 2> "$work/ro.err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "compact --read-only exited $rc, want 2"
grep -q "this command writes" "$work/ro.err" || fail "no reason: $(cat "$work/ro.err")"

# A genuinely unknown option: a clear error naming it, exit 2, before or after.
for args in "sessions --db $db --bogus" "--bogus sessions --db $db" "ingest $work/t.jsonl --nope"; do
  set +e
  # shellcheck disable=SC2086
  "$bin" $args > "$work/unknown.out" 2> "$work/unknown.err"
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "'$args' exited $rc, want 2"
  grep -Eq -- "--bogus|--nope" "$work/unknown.err" || fail "'$args': $(cat "$work/unknown.err")"
done

# A subcommand's help lists its own options and says where the global ones are.
"$bin" ingest --help > "$work/help.txt" || fail "ingest --help exited non-zero"
grep -q -- "--format" "$work/help.txt" || fail "ingest --help lacks --format"
grep -q -- "--db" "$work/help.txt" || fail "ingest --help does not mention --db"

echo "global_options_test: passed"
