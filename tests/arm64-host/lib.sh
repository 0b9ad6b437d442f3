# What both arm64 guests' cases share (sourced; POSIX sh: busybox sh in the busybox host, dash
# in the Debian one). init.sh defines mark. Each case starts with '@@ CASE NAME' and ends with
# exactly one '@@ RESULT NAME PASS|FAIL detail'; what a failing case saw is printed between.
BINFMT=/proc/sys/fs/binfmt_misc

CASE=
OUT=/tmp/case.out
ERR=/tmp/case.err
result() { mark "RESULT $CASE $1 $2"; }
pass() { result PASS "$*"; }
# fail DETAIL: what went wrong, after the evidence (stderr, the hook's log, binfmt_misc).
fail() {
    echo "--- stdout:"; cat "$OUT" 2>/dev/null
    echo "--- stderr:"; cat "$ERR" 2>/dev/null
    echo "--- xarch log:"; tail -n 30 "$XARCH_LOG" 2>/dev/null
    echo "--- binfmt_misc:"
    for e in "$BINFMT"/*; do [ "${e##*/}" = register ] || echo "${e##*/}: $(tr '\n' ' ' <"$e")"; done
    result FAIL "$*"
}

# entries: the names of the registered binfmt_misc entries, one a line.
entries() {
    for e in "$BINFMT"/*; do
        case ${e##*/} in register|status) ;; *) echo "${e##*/}" ;; esac
    done
}

clear_binfmt() {
    for e in $(entries); do echo -1 >"$BINFMT/$e"; done
}

# entry_flags NAME: the flags of binfmt_misc entry NAME, or nothing when there is none.
entry_flags() {
    [ -f "$BINFMT/$1" ] && sed -n 's/^flags: //p' "$BINFMT/$1"
}

