/* storm_spawner - the fork storm of the collector benchmarks (forkstorm.py).
 *
 *   storm_spawner fork|vfork COUNT WORKERS PIDFILE
 *
 * WORKERS processes each start their share of COUNT children running
 * /bin/true, one after the other (fork+exec, or vfork+exec as posix_spawn and
 * shells' fast paths do), waiting for each. Every worker appends the PIDs it
 * started to PIDFILE, one "worker child" pair a line: the ground truth the
 * recorders are counted against. Prints the storm's wall time in seconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* argv as a shell passes it: in the heap (anonymous memory the child's page
 * tables have after a fork, as tracers reading it at execve expect). */
static pid_t start_child(int use_vfork, char *const *argv)
{
    pid_t pid = use_vfork ? vfork() : fork();
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* One worker: n children, their PIDs written at the end (no I/O inside the storm). */
static int worker(int use_vfork, long n, const char *pidfile)
{
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    char *argv[] = {strdup("/bin/true"), NULL};
    if (!pids || !argv[0]) return 1;
    for (long i = 0; i < n; i++) {
        pid_t pid = start_child(use_vfork, argv);
        if (pid < 0) {
            perror("storm_spawner: fork");
            return 1;
        }
        pids[i] = pid;
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    }
    FILE *f = fopen(pidfile, "a");
    if (!f) {
        perror(pidfile);
        return 1;
    }
    /* One append per worker, under a lock: a large write may be cut short
     * and finished by a second one, which the other worker's could split. */
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    for (long i = 0; i < n; i++) fprintf(f, "%d %d\n", (int)getpid(), (int)pids[i]);
    if (flock(fileno(f), LOCK_EX) != 0) perror("storm_spawner: flock");
    int failed = fflush(f) != 0;
    return fclose(f) == 0 && !failed ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "fork") != 0 && strcmp(argv[1], "vfork") != 0)) {
        fprintf(stderr, "usage: storm_spawner fork|vfork COUNT WORKERS PIDFILE\n");
        return 2;
    }
    int use_vfork = strcmp(argv[1], "vfork") == 0;
    long count = atol(argv[2]);
    long workers = atol(argv[3]);
    if (count <= 0 || workers <= 0 || workers > 64) {
        fprintf(stderr, "storm_spawner: COUNT > 0 and 1 <= WORKERS <= 64\n");
        return 2;
    }
    double t0 = now_s();
    for (long w = 0; w < workers; w++) {
        long n = count / workers + (w < count % workers ? 1 : 0);
        pid_t pid = fork();
        if (pid == 0) _exit(worker(use_vfork, n, argv[4]));
        if (pid < 0) {
            perror("storm_spawner: fork");
            return 1;
        }
    }
    int failed = 0, status;
    pid_t done;
    while ((done = wait(&status)) > 0 || (done < 0 && errno == EINTR))
        if (done > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) failed = 1;
    printf("%.6f\n", now_s() - t0);
    return failed;
}
