#!/bin/sh
# The distro-host lane inside the Debian 13 guest (POSIX sh), run by lane.service at every boot
# from the read-only payload disk at /lane:
#   /lane/plan        the cases to run, one a line (tests/distro-host/CMakeLists.txt)
#   /lane/debs        xarch_*.deb of this build and a second one with a higher version
#                     (xarch-upgrade.deb), and sid/ with containerd 2.1 from Debian unstable
#   /lane/img         arm64-busybox.tar and arm64-cowsay.tar, rootfs tarballs of trixie's arm64
#                     busybox-static and of cowsay with perl-base and libc6 (a whalesay), and
#                     amd64-busybox.tar; pause.oci, arm64-busybox.oci and amd64-busybox.oci, OCI
#                     layouts for the CRI's image store
#   /lane/cri         tests/cri/cri.py and the CRI API compiled for it (api_pb2.py)
# Cases run in the order below, each in a shell of its own under a time limit; each prints
# '@@ t=UPTIME CASE NAME', its evidence, and exactly one '@@ t=UPTIME RESULT NAME PASS|FAIL
# detail' (tests/arm64-host/verdict.py judges the console outside). Cases named reboot.* reboot
# the machine halfway: /var/lib/xarch-lane holds where to go on.
# binfmt_misc states: 'debian' is what the distribution registers at boot (qemu-user-binfmt,
# flags POF); 'none' is made with `echo -1 > status`.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive
BF=/proc/sys/fs/binfmt_misc
STATE=/var/lib/xarch-lane
LOG=/tmp/case.log
APT="apt-get -q -y -o Dpkg::Use-Pty=0"
up() { cut -d' ' -f1 /proc/uptime; }
mark() { echo "@@ t=$(up) $*"; }

# --- helpers for the cases ----------------------------------------------------------------
CASE=
pass() { mark "RESULT $CASE PASS $*"; exit 0; }
fail() {
    echo "--- binfmt_misc:"; bf
    echo "--- journal (xarch, systemd-binfmt):"; journalctl -b --no-pager -n 15 -t xarch-hook -u systemd-binfmt 2>/dev/null | tail -n 15
    mark "RESULT $CASE FAIL $*"
    exit 1
}
# run CMD...: runs it with its output in $LOG (shown), fails the case if it fails.
run() { echo "\$ $*"; "$@" >"$LOG" 2>&1; rc=$?; cat "$LOG"; [ $rc = 0 ] || fail "'$*' exited $rc"; }
# bf: every binfmt_misc entry, name and text on one line (a snapshot to compare).
bf() {
    for e in "$BF"/*; do
        case ${e##*/} in register|status) ;; *) echo "${e##*/}: $(tr '\n' ' ' <"$e")" ;; esac
    done
}
none() { echo -1 >"$BF/status"; }
# debian_op: Debian's aarch64 line registered without F (execution-time mode, flags OP).
debian_op() {
    debian
    line=$(grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf)
    echo -1 >"$BF/qemu-aarch64"
    printf '%s' "${line%:*}:OP" >"$BF/register"
}
has_entry() { [ -f "$BF/$1" ]; }
# debian: what systemd-binfmt registers from the binfmt.d files (the state after boot).
debian() { none; systemctl restart systemd-binfmt || fail "systemctl restart systemd-binfmt failed"; }
mask_debian() { mkdir -p /etc/binfmt.d; ln -sfn /dev/null /etc/binfmt.d/qemu-aarch64.conf; }
unmask_debian() { [ ! -L /etc/binfmt.d/qemu-aarch64.conf ] || rm -f /etc/binfmt.d/qemu-aarch64.conf; }
expect_out() { grep -q -- "$1" "$LOG" || fail "${2:-output} lacks '$1'"; }
cow() { grep -q '(oo)' "$LOG" || fail "no cow in the output"; }
as_alice() { su - alice -c "$*"; }
# loop_start NAME: a detached arm64 podman container that execs uname -m every second.
loop_start() {
    run podman run -d --name "$1" --network none localhost/arm64-busybox sh -c 'while :; do uname -m; sleep 1; done'
}
# records: the hook's records of what it created in root filesystems (not registrations, not locks).
records() { find /run/xarch -type f ! -path '*/registrations/*' ! -name '.*' 2>/dev/null | wc -l; }
# loop_count NAME: lines 'aarch64' the loop printed; loop_errors NAME: any other line.
loop_count() { podman logs "$1" 2>&1 | grep -c '^aarch64$'; }
loop_errors() { podman logs "$1" 2>&1 | grep -v '^aarch64$' | head -n 5; }
# loop_survives NAME WHAT: WHAT (a command) runs while the loop runs; the loop goes on after it.
loop_survives() {
    n=$1; shift
    sleep 3
    a=$(loop_count "$n")
    [ "$a" -gt 0 ] || fail "the loop printed nothing before: $(loop_errors "$n")"
    run "$@"
    sleep 6
    b=$(loop_count "$n")
    echo "loop $n: $a lines before '$*', $b after; running: $(podman inspect -f '{{.State.Running}}' "$n")"
    [ -z "$(loop_errors "$n")" ] || fail "the loop failed after '$*': $(loop_errors "$n")"
    [ "$b" -ge $((a + 3)) ] || fail "the loop stopped after '$*' ($a lines before, $b after)"
}
# no_xarch_files: nothing of the package's or of xarch's run-time files is left.
no_xarch_files() {
    left=""
    while read -r f; do [ ! -f "$f" ] && [ ! -L "$f" ] || left="$left $f"; done <"$STATE/files"
    for f in /run/xarch /run/binfmt.d/xarch-*.conf /etc/xarch/config.json; do [ ! -e "$f" ] || left="$left $f"; done
    for f in /etc/binfmt.d/*.conf; do [ -f "$f" ] && head -n 1 "$f" | grep -q '^# Written by xarch' && left="$left $f"; done
    [ -z "$left" ] || fail "left after purge:$left"
}
install_xarch() { run $APT install ./"$(basename "$(ls /lane/debs/xarch_*.deb)")" ; }
ctr_image() { ctr -n default images ls -q | grep arm64-busybox | head -n 1; }

# --- the cases ----------------------------------------------------------------------------
case_setup() {
    run sh -c 'uname -r; cat /etc/debian_version; systemctl --version | head -n 1; stat -fc %T /sys/fs/cgroup;
               podman --version; crun --version | head -n 1; docker --version; containerd --version; buildah --version'
    cp "$LOG" "$STATE/versions"
    grep -q '^podman version 5' "$LOG" || fail "not podman 5"
    grep -q 'cgroup2fs' "$LOG" || fail "not cgroup v2"
    has_entry qemu-aarch64 || fail "the distribution registered no qemu-aarch64 at boot"
    bf >"$STATE/bf.boot"
    cd /lane/debs && install_xarch
    dpkg -L xarch >"$STATE/files"
    bf | cmp -s - "$STATE/bf.boot" || fail "installing the package changed binfmt_misc"
    run podman import --arch arm64 /lane/img/arm64-busybox.tar localhost/arm64-busybox
    run podman import --arch arm64 --change 'ENTRYPOINT ["/usr/games/cowsay"]' /lane/img/arm64-cowsay.tar localhost/arm64-cowsay
    run as_alice "podman import --arch arm64 --change 'ENTRYPOINT [\"/usr/games/cowsay\"]' /lane/img/arm64-cowsay.tar localhost/arm64-cowsay"
    run podman save --format oci-archive -o /var/tmp/bb.oci localhost/arm64-busybox
    pass "Debian $(sed -n 2p "$STATE/versions"), $(sed -n 5p "$STATE/versions"); xarch installed, binfmt_misc unchanged ($(wc -l <"$STATE/bf.boot") entries)"
}

case_podman_none() {
    none
    run podman run --rm --network none localhost/arm64-busybox uname -m
    expect_out aarch64
    has_entry qemu-aarch64 || fail "podman printed aarch64 but nothing is registered"
    [ -f /run/xarch/registrations/qemu-aarch64 ] || fail "the hook registered qemu-aarch64 without recording it"
    pass "aarch64 with only the package's hooks.d files; the hook registered $(sed -n 's/^flags: //p' $BF/qemu-aarch64) qemu-aarch64"
}

case_podman_rootless() {
    none
    run as_alice 'podman info --format "{{.Host.CgroupsVersion}} {{.Host.CgroupManager}} rootless={{.Host.Security.Rootless}}"'
    expect_out "v2 systemd rootless=true" "podman info"
    run as_alice 'podman run --rm --network none localhost/arm64-cowsay moo from a rootless arm64 image'
    cow
    [ -z "$(bf)" ] || fail "rootless podman changed the host's binfmt_misc: $(bf)"
    pass "the cow is drawn for alice (cgroup v2, systemd); the host's binfmt_misc unchanged (empty)"
}

case_docker_runtime() {
    run systemctl start docker
    run xarch configure docker
    expect_out "systemctl daemon-reload && systemctl restart docker" "xarch configure docker"
    [ -f /etc/systemd/system/docker.service.d/xarch.conf ] || fail "no docker.service drop-in for BuildKit's runc command"
    run systemctl daemon-reload
    run systemctl restart docker
    run docker import --platform linux/arm64 /lane/img/arm64-busybox.tar localhost/arm64-busybox
    run docker import --platform linux/amd64 /lane/img/amd64-busybox.tar localhost/amd64-busybox
    run docker import --platform linux/arm64 --change 'ENTRYPOINT ["/usr/games/cowsay"]' /lane/img/arm64-cowsay.tar localhost/arm64-cowsay
    none
    run docker run --rm --runtime xarch --network none localhost/arm64-busybox uname -m
    expect_out aarch64
    pass "docker $(docker version -f '{{.Server.Version}}') --runtime xarch: aarch64 with nothing registered"
}

# docker_build TAG DOCKERFILE-TEXT [PLATFORM]: docker build (BuildKit, Docker's default builder)
# of a context holding only that Dockerfile, without its cache.
docker_build() {
    rm -rf /var/tmp/bk; mkdir -p /var/tmp/bk
    printf "$2" >/var/tmp/bk/Dockerfile
    run docker build --progress plain --no-cache --network none ${3:+--platform "$3"} -t "$1" /var/tmp/bk
}

case_docker_buildkit() {
    # docker.runtime configured Docker (daemon.json and docker.service's drop-in) and restarted it.
    run sh -c 'tr "\0" "\n" </proc/$(pidof dockerd)/environ | grep ^DOCKER_BUILDKIT_RUNC_COMMAND='
    expect_out "=/usr/bin/xarch-runtime" "dockerd's environment"
    run docker buildx version
    mkdir -p /etc/xarch
    trap 'rm -f /etc/xarch/config.json /run/xarch-lane-runtime.log; rmdir /etc/xarch 2>/dev/null' EXIT
    printf '{"log_level": "debug", "log_file": "/run/xarch-lane-runtime.log"}\n' >/etc/xarch/config.json
    # Two RUN steps, each a pipeline that forks; the second lists the entry's interpreter
    # directory, which only xarch-runtime's bind mount can make appear.
    arm='FROM localhost/arm64-busybox\nRUN uname -m > /m1 && cat /m1 | grep aarch64 | wc -l > /n\nRUN cat /m1 /n > /m; ls /usr/libexec/qemu-binfmt > /seen 2>&1 || echo nothing > /seen\n'
    none
    docker_build localhost/bk-none "$arm" linux/arm64
    has_entry qemu-aarch64 || fail "the build ran arm64 steps but nothing is registered"
    run docker run --rm --runtime xarch --network none --platform linux/arm64 localhost/bk-none cat /m /seen
    [ "$(sed -n 1p "$LOG")" = aarch64 ] && [ "$(sed -n 2p "$LOG")" = 1 ] && [ "$(sed -n 3p "$LOG")" = nothing ] ||
        fail "nothing registered: the image's /m and /seen are not 'aarch64', '1', 'nothing'"
    debian_op
    docker_build localhost/bk-op "$arm" linux/arm64
    run docker run --rm --runtime xarch --network none --platform linux/arm64 localhost/bk-op cat /m /seen
    [ "$(sed -n 1p "$LOG")" = aarch64 ] && [ "$(sed -n 3p "$LOG")" = aarch64-binfmt-P ] ||
        fail "entry without F: the RUN steps did not see the emulator at the entry's path"
    # What the image holds (not what a container of it shows: xarch would mount the emulator there).
    run sh -c 'docker create --name bk-op localhost/bk-op /bin/true >/dev/null && docker export bk-op | tar -t; docker rm bk-op >/dev/null'
    ! grep -q '^usr' "$LOG" || fail "the built image holds the emulator's mount target: $(grep '^usr' "$LOG" | head -n 3)"
    grep -q 'bind mount .* read-only at /usr/libexec/qemu-binfmt/aarch64-binfmt-P' /run/xarch-lane-runtime.log ||
        fail "xarch-runtime did not log the bind mount: $(tail -n 20 /run/xarch-lane-runtime.log)"
    grep -q 'run --keep: removed \([1-9][0-9]*\) of \1 paths' /run/xarch-lane-runtime.log ||
        fail "xarch-runtime did not remove the mount target when runc returned: $(tail -n 20 /run/xarch-lane-runtime.log)"
    : >/run/xarch-lane-runtime.log
    docker_build localhost/bk-native 'FROM localhost/amd64-busybox\nRUN uname -m > /m && cat /m | grep -c x86_64\n'
    run docker run --rm --network none localhost/bk-native cat /m
    expect_out x86_64
    grep -q 'native platform linux/amd64: nothing to do' /run/xarch-lane-runtime.log ||
        fail "xarch-runtime did not see the native RUN step, or changed it: $(cat /run/xarch-lane-runtime.log)"
    ! grep -q 'xarch-runtime.* info:' /run/xarch-lane-runtime.log || fail "xarch-runtime changed the native RUN step"
    rm -f /etc/xarch/config.json /run/xarch-lane-runtime.log
    debian
    pass "docker build (BuildKit, $(docker buildx version | cut -d' ' -f2)) --platform linux/arm64: aarch64 with nothing registered and through the bind mount of an entry without F (no trace in the image); a native build unchanged"
}

case_docker_default() {
    run xarch configure docker --default
    run systemctl restart docker
    none
    run docker run --rm --network none localhost/arm64-cowsay moo from docker
    cow
    run xarch configure docker --undo
    [ ! -e /etc/docker/daemon.json ] || fail "--undo left /etc/docker/daemon.json: $(cat /etc/docker/daemon.json)"
    [ ! -e /etc/systemd/system/docker.service.d ] || fail "--undo left $(ls -d /etc/systemd/system/docker.service.d/*)"
    run systemctl daemon-reload
    run systemctl restart docker
    pass "default runtime xarch draws the cow; --undo leaves no daemon.json and no docker.service drop-in"
}

case_containerd17_ctr() {
    run containerd --version
    expect_out " 1\.7\." "containerd --version"
    run ctr -n default images import --platform linux/arm64 --index-name localhost/arm64-busybox:latest /var/tmp/bb.oci
    none
    run ctr -n default run --rm --platform linux/arm64 --runc-binary /usr/bin/xarch-runtime "$(ctr_image)" c17 uname -m
    expect_out aarch64
    pass "ctr run --runc-binary xarch-runtime: aarch64 with nothing registered"
}

# The CRI: containerd's own config (containerd config default) with the pause image of the lane,
# `xarch configure containerd`, and tests/cri/cri.py as the kubelet.
cri() { python3 /lane/cri/cri.py --socket /run/containerd/containerd.sock --proto-dir /lane/cri --timeout 300 "$@"; }
cri_setup() {
    cp /etc/containerd/config.toml /var/tmp/config.toml.before 2>/dev/null || :
    containerd config default >/etc/containerd/config.toml
    sed -i -e 's|^\( *sandbox_image = \).*|\1"localhost/xarch-pause:1"|' \
        -e "s|^\\( *sandbox = \\).*pause.*|\\1'localhost/xarch-pause:1'|" /etc/containerd/config.toml
    grep -q 'localhost/xarch-pause:1' /etc/containerd/config.toml || fail "no place for the sandbox image in containerd's config"
    run xarch configure containerd
    run systemctl restart containerd
    for i in pause arm64-busybox amd64-busybox; do run ctr -n k8s.io images import --all-platforms /lane/img/$i.oci; done
}
cri_teardown() {
    run xarch configure containerd --undo
    if [ -f /var/tmp/config.toml.before ]; then mv /var/tmp/config.toml.before /etc/containerd/config.toml; else rm -f /etc/containerd/config.toml; fi
    run systemctl restart containerd
}
# cri_pod NAME HANDLER IMAGE: a pod of one container running uname -m; its log must be $4.
cri_pod() {
    run cri pod --handler "$2" --image "localhost/$3:1" --name "$1" --log-dir /var/tmp/cri-logs -- uname -m
    expect_out "\"log\": \"$4\\\\n\"" "pod $1's result"
}
cri_cases() {
    run cri version
    none
    cri_pod a1 xarch arm64-busybox aarch64
    debian_op
    cri_pod a2 xarch arm64-busybox aarch64
    cri_pod n1 xarch amd64-busybox x86_64
    none
    run cri pod --handler runc --image localhost/arm64-busybox:1 --name c1 --log-dir /var/tmp/cri-logs -- uname -m
    expect_out "exec format error" "the control pod's log (handler runc, nothing registered)"
    debian
}

case_cri17() {
    cri_setup
    cri_cases
    cri_teardown
    pass "containerd $(containerd --version | cut -d' ' -f3) CRI: pods with handler xarch print aarch64 (nothing registered, an entry without F) and x86_64; handler runc fails with exec format error"
}

case_cri21() {
    containerd --version | grep -q ' 2\.' || fail "containerd 2 is not installed (case containerd21)"
    cri_setup
    grep -q '^version = 3' /etc/containerd/config.toml || fail "not config version 3"
    cri_cases
    cri_teardown
    pass "containerd $(containerd --version | cut -d' ' -f3) CRI (config version 3): pods with handler xarch print aarch64 (nothing registered, an entry without F) and x86_64; handler runc fails with exec format error"
}

case_buildah_bud() {
    mkdir -p /var/tmp/ctx
    printf 'FROM localhost/arm64-busybox\nRUN uname -m > /m && cat /m | grep -c aarch64\n' >/var/tmp/ctx/Containerfile
    none
    run buildah bud --platform linux/arm64 --network none -t localhost/built-buildah /var/tmp/ctx
    run podman run --rm --network none localhost/built-buildah cat /m
    expect_out aarch64
    pass "buildah bud --platform linux/arm64: the RUN step wrote aarch64"
}

case_restart_hook() {
    # Debian's own aarch64 file masked (as `xarch uninstall --persist` leaves it): only what xarch
    # does can bring the entry back after systemd-binfmt removed every entry.
    mask_debian
    none
    loop_start loop1
    [ -f /run/binfmt.d/xarch-qemu-aarch64.conf ] || fail "the hook's registration has no /run/binfmt.d file"
    loop_survives loop1 systemctl restart systemd-binfmt
    podman rm -f loop1 >/dev/null 2>&1
    pass "a loop execing uname -m goes on across a restart of systemd-binfmt (hook registration)"
}

case_restart_install() {
    none
    run xarch install arm64
    loop_start loop2
    loop_survives loop2 systemctl restart systemd-binfmt
    podman rm -f loop2 >/dev/null 2>&1
    run xarch uninstall arm64
    [ ! -e /run/binfmt.d/xarch-qemu-aarch64.conf ] || fail "uninstall left /run/binfmt.d/xarch-qemu-aarch64.conf"
    unmask_debian
    pass "goes on across a restart of systemd-binfmt (xarch install); uninstall removed it all"
}

case_upgrade() {
    # An entry without F: the hook bind-mounts the emulator and records the mount target it made.
    debian_op
    loop_start loop3
    records=$(records)
    [ "$records" -gt 0 ] || fail "the hook recorded nothing it created (nothing for poststop to prove)"
    loop_survives loop3 sh -c "cd /lane/debs && $APT install ./xarch-upgrade.deb"
    run dpkg-query -W xarch
    run podman stop -t 2 loop3
    run podman rm loop3
    [ "$(records)" = 0 ] || fail "after stopping, the upgraded poststop left records: $(find /run/xarch -type f)"
    debian
    pass "upgraded to $(dpkg-query -W -f '${Version}' xarch) under a running container; its poststop removed the $records record(s)"
}

case_containerd21() {
    cd /lane/debs/sid || fail "no containerd 2.1 .debs"
    run $APT -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install ./*.deb
    run containerd --version
    expect_out " 2\.[0-9]" "containerd --version"
    cp /etc/containerd/config.toml /var/tmp/config.toml.debian 2>/dev/null || :
    containerd config default >/etc/containerd/config.toml
    grep -q '^version = 3' /etc/containerd/config.toml || fail "containerd config default is not version 3"
    run xarch configure containerd
    run systemctl restart containerd
    run sh -c 'containerd config dump | grep -A4 "runtimes.xarch"'
    expect_out "BinaryName = ./usr/bin/xarch-runtime." "config dump"  # containerd 2 prints TOML strings in single quotes
    run ctr -n default images import --platform linux/arm64 --index-name localhost/arm64-busybox:latest /var/tmp/bb.oci
    none
    run ctr -n default run --rm --platform linux/arm64 --runc-binary /usr/bin/xarch-runtime "$(ctr_image)" c21 uname -m
    expect_out aarch64
    run xarch configure containerd --undo
    debian
    pass "containerd 2.1, config version 3: the handler in config dump, ctr run prints aarch64"
}

# reboot.persist: install --persist, reboot; the entry is back and a container runs.
case_reboot_persist() {
    if [ "${1:-}" != after ]; then
        none
        run xarch install arm64 --persist
        ls -l /etc/binfmt.d
        reboot_into reboot.persist
    fi
    has_entry qemu-aarch64 || fail "no qemu-aarch64 after the reboot"
    grep -q '^# Written by xarch' /etc/binfmt.d/qemu-aarch64.conf || fail "/etc/binfmt.d/qemu-aarch64.conf is not xarch's"
    run podman run --rm --network none localhost/arm64-busybox uname -m
    expect_out aarch64
    pass "after the reboot qemu-aarch64 is back ($(sed -n 's/^flags: //p' $BF/qemu-aarch64)) and a container runs"
}

# reboot.uninstall: uninstall --persist, reboot; the entry is gone, Debian's file stays masked.
case_reboot_uninstall() {
    if [ "${1:-}" != after ]; then
        run xarch uninstall arm64 --persist
        reboot_into reboot.uninstall
    fi
    ! has_entry qemu-aarch64 || fail "qemu-aarch64 is registered after uninstall --persist and a reboot"
    [ "$(readlink /etc/binfmt.d/qemu-aarch64.conf)" = /dev/null ] || fail "Debian's qemu-aarch64.conf is not masked"
    has_entry qemu-arm || fail "Debian's other entries are gone"
    unmask_debian
    debian
    pass "gone after the reboot; Debian's qemu-aarch64.conf stayed masked"
}

# purge.*: apt purge with qemu-user-binfmt installed leaves the distribution's entries exactly.
purge_checked() {
    bf >"$STATE/bf.before"
    run $APT purge xarch
    bf >"$STATE/bf.after"
    diff "$STATE/bf.before" "$STATE/bf.after" || fail "purge changed the distribution's entries"
    no_xarch_files
}

case_purge_debian() {
    debian
    purge_checked
    pass "the distribution's $(wc -l <"$STATE/bf.after") entries exactly as before; no xarch file left"
}

case_purge_hook() {
    cd /lane/debs && install_xarch
    mask_debian
    none
    run podman run --rm --network none localhost/arm64-busybox uname -m
    has_entry qemu-aarch64 || fail "the hook registered nothing"
    bf | grep -v '^qemu-aarch64:' >"$STATE/bf.before"
    run $APT purge xarch
    bf >"$STATE/bf.after"
    diff "$STATE/bf.before" "$STATE/bf.after" || fail "purge left the hook's entry or changed others"
    no_xarch_files
    unmask_debian
    pass "the hook's registration (Debian's file masked) removed with the package; nothing else changed"
}

case_purge_install() {
    # The fault: xarch install from nothing, then systemd-binfmt restarted registers Debian's
    # identical line; purge used to remove it.
    cd /lane/debs && install_xarch
    none
    run xarch install arm64
    run systemctl restart systemd-binfmt
    purge_checked
    has_entry qemu-aarch64 || fail "Debian's qemu-aarch64 is gone"
    pass "Debian's qemu-aarch64 re-registered by systemd-binfmt stays; no xarch file left"
}

reboot_into() {
    echo "$1" >"$STATE/resume"
    mark "REBOOT in $1"
    touch /run/lane-reboot
    sync
    systemctl reboot
    sleep 600
    exit 1
}

# --- the runner ---------------------------------------------------------------------------
ORDER="setup podman.none podman.rootless docker.runtime docker.buildkit docker.default containerd17.ctr cri17
       buildah.bud restart.hook restart.install upgrade reboot.persist reboot.uninstall containerd21 cri21
       purge.debian purge.hook purge.install"

if [ "${1:-}" = --case ]; then
    CASE=$2
    fn=case_$(echo "$2" | tr . _)
    shift 2
    "$fn" "$@"
    mark "RESULT $CASE FAIL the case ended without a result"
    exit 1
fi

# one CASE [after]: runs a case in a shell of its own, bounded; a case that did not say how it
# ended (timed out, killed) fails here. A case that reboots leaves the rest to the next boot.
one() {
    rc=0
    timeout "${XARCH_CASE_TIMEOUT:-600}" sh /lane/guest.sh --case "$@" </dev/null 2>&1 || rc=$?
    [ ! -e /run/lane-reboot ] || exit 0
    case $rc in
        0|1) ;;
        124) mark "RESULT $1 FAIL timed out after ${XARCH_CASE_TIMEOUT:-600} s" ;;
        *) mark "RESULT $1 FAIL the case exited $rc" ;;
    esac
}

mkdir -p "$STATE"
resume=$(cat "$STATE/resume" 2>/dev/null || true)
rm -f "$STATE/resume"
mark "PLAN $(tr '\n' ' ' </lane/plan)${resume:+(resuming in $resume)}"
for c in $ORDER; do
    grep -qx "$c" /lane/plan || continue
    if [ -n "$resume" ]; then
        [ "$c" = "$resume" ] || continue
        resume=
        mark "RESUME $c"
        one "$c" after
        continue
    fi
    mark "CASE $c"
    one "$c"
done
mark END
