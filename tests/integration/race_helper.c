/* race_helper: the moving parts of races.sh, compiled by the test with cc.
 *   race_helper swap DIR A B    exchanges DIR/A and DIR/B (renameat2 RENAME_EXCHANGE) until
 *                               SIGTERM, then prints how many exchanges it made
 *   race_helper unmount PID SRC in the mount namespace of PID, detaches every mount whose root is
 *                               SRC (a bind of that file) and prints each mount point, as that
 *                               namespace's root sees it, one a line (nothing if there is none)
 * Exit status 0, or 1 with a message on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static int swap(const char* dir, const char* a, const char* b) {
    int d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (d < 0) { perror(dir); return 1; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    unsigned long n = 0;
    while (!stop) {
        if (renameat2(d, a, d, b, RENAME_EXCHANGE) != 0) {
            if (errno == EINTR) continue;
            perror("renameat2");
            return 1;
        }
        ++n;
    }
    printf("%lu\n", n);
    return 0;
}

/* Mount points in mountinfo escape space, tab, newline and backslash as \ooo. */
static void unescape(char* s) {
    char* out = s;
    for (char* in = s; *in; ++in) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] && in[3]) {
            *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
            in += 3;
        } else {
            *out++ = *in;
        }
    }
    *out = 0;
}

static int unmount_binds(const char* pid, const char* source) {
    char path[64], root_path[64], proc_path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/mnt", pid);
    snprintf(root_path, sizeof root_path, "/proc/%s/root", pid);
    snprintf(proc_path, sizeof proc_path, "/proc/%s", pid);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    int root_fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    /* The host's /proc/PID/mountinfo: the container's own /proc is of its pid namespace, where
     * this process has no "self" (and the image may have replaced it). */
    int proc_fd = open(proc_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (ns < 0 || root_fd < 0 || proc_fd < 0 || setns(ns, CLONE_NEWNS) != 0) { perror(path); return 1; }
    /* The container's root, as nsenter --root does: the namespace's first root is gone after
     * pivot_root. A swap can move a mount point between reading it and unmounting it: read
     * again until none is left. */
    if (fchdir(root_fd) != 0 || chroot(".") != 0) { perror(root_path); return 1; }
    for (int attempt = 0; attempt < 1000; ++attempt) {
        int fd = openat(proc_fd, "mountinfo", O_RDONLY | O_CLOEXEC);
        FILE* f = fd < 0 ? NULL : fdopen(fd, "r");
        if (!f) { perror("mountinfo"); return 1; }
        char line[8192], root[4096], point[4096];
        int found = 0;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2) continue;
            unescape(root);
            if (strcmp(root, source) != 0) continue;
            unescape(point);
            ++found;
            if (umount2(point, MNT_DETACH | UMOUNT_NOFOLLOW) == 0) printf("%s\n", point);
            else if (errno != ENOENT && errno != EINVAL) { perror(point); fclose(f); return 1; }
        }
        fclose(f);
        if (!found) return 0;
    }
    fprintf(stderr, "mounts of %s keep moving\n", source);
    return 1;
}

int main(int argc, char** argv) {
    if (argc == 5 && strcmp(argv[1], "swap") == 0) return swap(argv[2], argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "unmount") == 0) return unmount_binds(argv[2], argv[3]);
    fprintf(stderr, "usage: race_helper swap DIR A B | unmount PID SOURCE\n");
    return 2;
}
