/* ebpf_thread_helper: multi-threaded exits for ebpf_collector_test.py.
 *   group    a second thread calls exit(3) while the leader waits: one
 *            process exit with code 3, the second thread's exit a thread exit
 *   leader   the leader leaves first (pthread_exit), the second thread ends
 *            last: the leader's end is a thread exit, the process exit (0)
 *            comes with the last thread */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *exit_three(void *arg)
{
    (void)arg;
    exit(3);
}

/* Ends only once the leader has ended (its task is a zombie), so the order
 * does not depend on scheduling. */
static void *end_late(void *arg)
{
    char path[64], buf[512];
    (void)arg;
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)getpid(), (int)getpid());
    for (int i = 0; i < 20000; i++) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f) fclose(f);
        buf[n] = 0;
        char *close = strrchr(buf, ')');
        if (!f || (close && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X'))) break;
        usleep(1000);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    if (argc == 2 && strcmp(argv[1], "group") == 0) {
        if (pthread_create(&t, NULL, exit_three, NULL) != 0) return 10;
        for (;;) pause();
    }
    if (argc == 2 && strcmp(argv[1], "leader") == 0) {
        if (pthread_create(&t, NULL, end_late, NULL) != 0) return 10;
        pthread_exit(NULL);
    }
    return 2;
}
