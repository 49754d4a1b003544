/* pid_reuse_helper QUICK NEWPROC HITS MAX_ROUNDS
 * Reuses a pid within one clock tick, HITS times (at most MAX_ROUNDS tries):
 * at the start of a tick it runs QUICK (which exits at once), reaps it,
 * writes its pid - 1 to /proc/sys/kernel/ns_last_pid and starts
 * `NEWPROC 600`, which takes the same pid. A round hits when the pid and
 * the start tick (/proc/PID/stat field 22) are both the same; another
 * process taking the pid first, or a tick boundary in between, is a miss.
 * Prints "round QUICK_PID QUICK_TICKS NEW_PID NEW_TICKS" per round, then
 * "done HITS". Then a line "kill" on stdin ends every NEWPROC with SIGTERM
 * and reaps it ("killed"); end of input does the same and ends the helper
 * (so that no sleeper outlives a failed test holding its output open). */
#define _GNU_SOURCE
#include "pid_reuse.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t spawn(const char *path, const char *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl(path, path, arg, (char *)NULL);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: pid_reuse_helper QUICK NEWPROC HITS MAX_ROUNDS\n");
        return 2;
    }
    int want = atoi(argv[3]), max_rounds = atoi(argv[4]), hits = 0, started = 0;
    pid_t *sleepers = calloc((size_t)max_rounds, sizeof *sleepers);
    if (!sleepers) return 1;
    for (int round = 0; round < max_rounds && hits < want; round++) {
        pid_reuse_wait_tick_start(); /* room for both in one tick */
        pid_t quick = spawn(argv[1], NULL);
        siginfo_t info;
        if (quick < 0 || waitid(P_PID, (id_t)quick, &info, WEXITED | WNOWAIT) != 0) return 1;
        long long quick_ticks = pid_reuse_start_ticks(quick); /* a zombie still has its stat */
        waitpid(quick, NULL, 0);
        if (pid_reuse_set_last_pid(quick - 1) != 0) {
            perror("pid_reuse_helper: /proc/sys/kernel/ns_last_pid");
            return 1;
        }
        pid_t fresh = spawn(argv[2], "600");
        if (fresh < 0) return 1;
        sleepers[started++] = fresh;
        long long fresh_ticks = pid_reuse_start_ticks(fresh);
        if (fresh == quick && fresh_ticks == quick_ticks && quick_ticks >= 0) hits++;
        printf("round %d %lld %d %lld\n", (int)quick, quick_ticks, (int)fresh, fresh_ticks);
    }
    printf("done %d\n", hits);
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin) && strncmp(line, "kill", 4) != 0) {}
    for (int i = 0; i < started; i++) kill(sleepers[i], SIGTERM);
    for (int i = 0; i < started; i++) waitpid(sleepers[i], NULL, 0);
    printf("killed\n");
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {}
    free(sleepers);
    return 0;
}
