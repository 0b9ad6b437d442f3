/* pause: a pod sandbox's process for the CRI tests (tests/cri), what Kubernetes' pause image
 * does: holds the pod's namespaces, reaps orphans, exits 0 on SIGTERM or SIGINT. Built static,
 * packed as the sandbox image with tests/tools/oci_image.py. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { (void)sig; _exit(0); }

static void reap(int sig)
{
    (void)sig;
    while (waitpid(-1, 0, WNOHANG) > 0) {
    }
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = stop;
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
    sa.sa_handler = reap;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, 0);
    for (;;)
        pause();
}
