/* Reusing a pid within one clock tick on the real kernel (as root):
 * /proc/sys/kernel/ns_last_pid set to pid - 1 makes the next fork take pid,
 * and starting at the beginning of a tick leaves room for both processes in
 * it. Shared by pid_reuse_helper (C) and the C++ tests. */
#ifndef PROCTREE_TESTS_PID_REUSE_H
#define PROCTREE_TESTS_PID_REUSE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline unsigned long long pid_reuse_boottime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Field 22 of /proc/PID/stat (after the ")" that ends the name); -1 if gone. */
static inline long long pid_reuse_start_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    for (int field = 2; field < 22 && p; field++) p = strchr(p + 1, ' ');
    return p ? atoll(p + 1) : -1;
}

/* The next pid this pid namespace gives is last + 1. 0, or -1 (errno). */
static inline int pid_reuse_set_last_pid(pid_t last)
{
    FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
    if (!f) return -1;
    int ok = fprintf(f, "%d", (int)last) > 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Returns at the start of a clock tick (its first tenth). */
static inline void pid_reuse_wait_tick_start(void)
{
    unsigned long long tick = 1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK);
    while (pid_reuse_boottime_ns() % tick > tick / 10) {}
}

#endif
