#!/bin/sh
# package_deb.sh: the .deb cpack makes of this build, on a machine with nothing configured.
# lintian reports no errors; `apt-get install ./xarch_*.deb` needs no other step for podman
# (its hooks.d entries are where podman looks) and one, `xarch configure docker`, for Docker:
# both then run an arm64 image (binfmt entry without F: only xarch's mount makes it run);
# `apt-get purge` leaves none of the package's files, nothing in /run/xarch, and removes the
# binfmt_misc entries xarch registered (the hook under policy register, `xarch install`, also its
# /etc/binfmt.d file) while leaving those made by hand or changed by hand since.
# The package's programs are called by path: a /usr/local install (scripts/quickstart.sh) comes
# first in PATH.
. "$(dirname "$0")/lib.sh"
[ -n "${XARCH_BUILD_DIR:-}" ] || fail "XARCH_BUILD_DIR is not set; run through ctest"
grep -q '^CMAKE_INSTALL_PREFIX:PATH=/usr$' "$XARCH_BUILD_DIR/CMakeCache.txt" ||
    skip "the build's prefix is not /usr (scripts/test.sh configures -DCMAKE_INSTALL_PREFIX=/usr, as a .deb needs)"
for tool in cpack lintian apt-get podman dockerd; do command -v $tool >/dev/null || skip "$tool is not installed"; done
if dpkg-query -W -f='${Status}' xarch 2>/dev/null | grep -q "ok installed"; then
    fail "a package 'xarch' is installed on this machine; the test would replace and purge it"
fi

cpack -G DEB -B "$WORK/pkg" --config "$XARCH_BUILD_DIR/CPackConfig.cmake" > "$WORK/cpack.log" 2>&1 \
    || { cat "$WORK/cpack.log"; fail "cpack failed"; }
deb=$(ls "$WORK"/pkg/xarch_*.deb)
lintian --fail-on error --tag-display-limit 0 "$deb" > "$WORK/lintian.log" 2>&1 || { cat "$WORK/lintian.log"; fail "lintian reports errors"; }
echo "lintian: $(grep -c '^W:' "$WORK/lintian.log") warnings, no errors"

ls /proc/sys/fs/binfmt_misc 2>/dev/null | sort > "$WORK/binfmt.before"
# Purge removes /run/xarch: what is there (records of a quickstart's or of earlier tests' hooks,
# whose entries their snapshot restores have removed or registered again) is put back afterwards.
# A machine with nothing configured has no records.
[ ! -e /run/xarch ] || cp -a /run/xarch "$WORK/run-xarch.saved"
rm -rf /run/xarch/registrations
test_cleanup() {
    [ -n "${dockerd_pid:-}" ] && stop_daemon "$dockerd_pid"
    podman --root "$WORK/storage" --runroot "$WORK/runroot" rm -af >/dev/null 2>&1
    umount -R "$WORK/storage/overlay" 2>/dev/null
    if dpkg-query -W -f='${Status}' xarch 2>/dev/null | grep -q "installed"; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -q xarch >/dev/null 2>&1
    fi
    if [ -n "${made_conf:-}" ]; then
        rm -f "$made_conf"
        [ -z "${made_conf_dir:-}" ] || rmdir "$made_conf_dir" 2>/dev/null
    fi
    rm -rf /run/xarch
    [ ! -d "$WORK/run-xarch.saved" ] || cp -a "$WORK/run-xarch.saved" /run/xarch
    return 0
}
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" > "$WORK/apt.log" 2>&1 \
    || { cat "$WORK/apt.log"; fail "apt-get install of the .deb failed"; }
dpkg -L xarch > "$WORK/files"
[ -x /usr/bin/xarch-hook ] && [ -x /usr/bin/xarch-runtime ] && [ -x /usr/bin/xarch ] || fail "the programs are not in /usr/bin"
# The package itself changes nothing else: no registration, no engine configuration.
ls /proc/sys/fs/binfmt_misc 2>/dev/null | sort | cmp -s - "$WORK/binfmt.before" || fail "installing registered binfmt_misc entries"

make_bundle arm64 "$WORK/bundle"
tar -C "$WORK/bundle/rootfs" -cf "$WORK/rootfs.tar" .
binfmt_state arm64 debian
ls /proc/sys/fs/binfmt_misc | sort > "$WORK/binfmt.state"

# podman: nothing to do after installing; its default hooks directories hold xarch's entries.
write_containers_conf "$WORK/containers.conf"
export CONTAINERS_CONF="$WORK/containers.conf"
PODMAN="podman --root $WORK/storage --runroot $WORK/runroot --storage-driver overlay"
$PODMAN import --arch arm64 "$WORK/rootfs.tar" localhost/xarch-test >/dev/null || fail "podman import failed"
got=$(timeout 120 $PODMAN run --rm --network none localhost/xarch-test uname -m 2>"$WORK/err") \
    || { cat "$WORK/err"; fail "podman run of an arm64 image failed after installing the .deb"; }
[ "$got" = aarch64 ] || fail "podman printed '$got'"

# Docker: one step, xarch configure docker (into a daemon.json of the test's own dockerd).
/usr/bin/xarch configure docker --config-file "$WORK/daemon.json" > "$WORK/out" || fail "xarch configure docker failed"
grep -q '"path": "/usr/bin/xarch-runtime"' "$WORK/daemon.json" || fail "daemon.json: $(cat "$WORK/daemon.json")"
sock=$WORK/docker.sock
dockerd --config-file "$WORK/daemon.json" --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/docker.pid" \
    -H "unix://$sock" --iptables=false --ip6tables=false --bridge=none > "$WORK/dockerd.log" 2>&1 &
dockerd_pid=$!
dk() { docker -H "unix://$sock" "$@"; }
wait_for 30 dk info || { tail -20 "$WORK/dockerd.log"; fail "dockerd did not start"; }
dk import --platform linux/arm64 "$WORK/rootfs.tar" xarch-test:latest >/dev/null || fail "docker import failed"
got=$(timeout 120 docker -H "unix://$sock" run --rm --runtime xarch --network none xarch-test:latest uname -m 2>"$WORK/err") \
    || { cat "$WORK/err"; tail -20 "$WORK/dockerd.log"; fail "docker run --runtime xarch failed after installing the .deb"; }
[ "$got" = aarch64 ] || fail "docker printed '$got'"
stop_daemon "$dockerd_pid"; dockerd_pid=

# What purge must remove: the hook's host-wide registration (s390x, nothing registered: policy
# register), `xarch install --persist` (riscv64, and its /etc/binfmt.d file). What it must leave:
# an entry xarch made but someone disabled since (ppc64le), one made by hand (m68k), and one xarch
# made that was removed and registered again from Debian's binfmt.d line, which reads byte for
# byte as xarch's own (mips64el; what a restart of systemd-binfmt does to an entry xarch made).
B=/proc/sys/fs/binfmt_misc
make_bundle s390x "$WORK/s390x"
tar -C "$WORK/s390x/rootfs" -cf "$WORK/s390x.tar" .
$PODMAN import --arch s390x "$WORK/s390x.tar" localhost/xarch-s390x >/dev/null || fail "podman import failed"
got=$(timeout 120 $PODMAN run --rm --network none localhost/xarch-s390x uname -m 2>"$WORK/err") \
    || { cat "$WORK/err"; fail "podman run of an s390x image with nothing registered failed"; }
[ "$got" = s390x ] || fail "podman printed '$got' for s390x"
[ -f /run/xarch/registrations/qemu-s390x ] || fail "the hook registered qemu-s390x without recording it: $(ls $B)"
made_conf=/etc/binfmt.d/qemu-riscv64.conf
[ ! -e "$made_conf" ] || fail "$made_conf exists; the test would remove it"
[ -d /etc/binfmt.d ] || made_conf_dir=/etc/binfmt.d
/usr/bin/xarch install riscv64 --persist --persist-with binfmt.d > "$WORK/out" 2>&1 || { cat "$WORK/out"; fail "xarch install riscv64 failed"; }
/usr/bin/xarch install ppc64le > "$WORK/out" 2>&1 || { cat "$WORK/out"; fail "xarch install ppc64le failed"; }
echo 0 > $B/qemu-ppc64le
/usr/bin/xarch install mips64el > "$WORK/out" 2>&1 || { cat "$WORK/out"; fail "xarch install mips64el failed"; }
view=$(cat $B/qemu-mips64el)
echo -1 > $B/qemu-mips64el
printf '%s' "$(grep -v '^#' /usr/lib/binfmt.d/qemu-mips64el.conf)" > $B/register || fail "registering Debian's mips64el line failed"
[ "$(cat $B/qemu-mips64el)" = "$view" ] || fail "Debian's mips64el entry reads differently from xarch's: $(cat $B/qemu-mips64el)"
printf '%s' "$(grep -v '^#' /usr/lib/binfmt.d/qemu-m68k.conf)" > $B/register || fail "registering m68k by hand failed"
ls $B | sort > "$WORK/binfmt.made"
grep -qx qemu-s390x "$WORK/binfmt.made" && grep -qx qemu-riscv64 "$WORK/binfmt.made" || fail "entries: $(ls $B)"

DEBIAN_FRONTEND=noninteractive apt-get purge -y -q xarch > "$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; fail "purge failed"; }
left=""
while read -r f; do
    if [ -f "$f" ] || [ -L "$f" ]; then left="$left $f"; fi
done < "$WORK/files"
[ -z "$left" ] || fail "purge left files:$left"
[ ! -e /run/xarch ] || fail "purge left /run/xarch: $(ls -A /run/xarch)"
[ ! -e /usr/share/xarch ] || fail "purge left /usr/share/xarch"
[ ! -e "$made_conf" ] || fail "purge left $made_conf"
{ cat "$WORK/binfmt.state"; echo qemu-m68k; echo qemu-mips64el; echo qemu-ppc64le; } | sort > "$WORK/binfmt.expected"
ls $B | sort | cmp -s - "$WORK/binfmt.expected" ||
    fail "binfmt_misc entries after purge: $(ls $B | tr '\n' ' '), expected $(tr '\n' ' ' < "$WORK/binfmt.expected")"
grep -q '^disabled' $B/qemu-ppc64le || fail "purge touched the entry disabled by hand"
echo "PASS: the .deb installs, runs an arm64 image under podman and Docker, and purge removes the entries xarch made (only)"
