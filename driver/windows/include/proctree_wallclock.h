/*
 * proctree_wallclock.h - the user-mode wall clock of the agent and the test
 * client, in the wire format's unit: ns since the Unix epoch.
 */
#ifndef PROCTREE_WALLCLOCK_H
#define PROCTREE_WALLCLOCK_H

#include <windows.h>
#include <stdint.h>

/* FILETIME counts 100 ns intervals since 1601-01-01. */
#define PT_FILETIME_UNIX_EPOCH 116444736000000000ull

static __inline uint64_t pt_wall_clock_ns(void)
{
    FILETIME ft;
    ULARGE_INTEGER u;

    GetSystemTimePreciseAsFileTime(&ft);
    u.LowPart = ft.dwLowDateTime;
    u.HighPart = ft.dwHighDateTime;
    return (u.QuadPart - PT_FILETIME_UNIX_EPOCH) * 100ull;
}

#endif /* PROCTREE_WALLCLOCK_H */
