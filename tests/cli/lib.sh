# Shared by the CLI tests (sourced): failing with a message, and comparing
# a command's output with the exact expected text.
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expect NAME WANT GOT
  [ "$2" == "$3" ] || fail "$1: got
$3
want
$2"
}
