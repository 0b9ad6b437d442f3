#!/bin/sh
# The programs that run as root are static-pie, with RELRO bound at start, a stack protector
# and fortified libc calls. Usage: check_hardening.sh PROGRAM...
set -u
fail=0
for prog; do
    name=$(basename "$prog")
    bad() { echo "FAIL $name: $*"; fail=1; }
    readelf -h "$prog" | grep -q 'Type:.*DYN' || bad "not position independent (ELF type is not DYN)"
    readelf -l "$prog" | grep -q 'INTERP' && bad "has a program interpreter: not statically linked"
    readelf -l "$prog" | grep -q 'GNU_RELRO' || bad "no RELRO segment (-z relro)"
    readelf -d "$prog" | grep -q 'BIND_NOW' || bad "relocations not bound at start (-z now)"
    nm "$prog" | grep -q '__stack_chk_fail' || bad "no stack protector (-fstack-protector-strong)"
    nm "$prog" | grep -qE ' __[a-z_]+_chk$' || bad "no fortified libc call (-D_FORTIFY_SOURCE=2)"
    [ "$fail" = 0 ] && echo "ok   $name: static-pie, relro, now, stack protector, fortify"
done
exit "$fail"
