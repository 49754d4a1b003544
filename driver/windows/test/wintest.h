/*
 * wintest.h - helpers shared by the cases of proctree-wintest.exe, the
 * client the Wine tests (tests/windows) run against proctree-test.sys.
 */
#ifndef PROCTREE_WINTEST_H
#define PROCTREE_WINTEST_H

#include <windows.h>
#include <winioctl.h>
#include <stdint.h>
#include <stdio.h>

#include "proctree_ioctl.h"
#include "proctree_wallclock.h"

#define WT_READ_BUFFER (1024u * 1024u)
#define WT_DEADLINE_MS 20000u

/* A record view into a read buffer. */
typedef struct wt_records {
    uint8_t *data;
    uint32_t bytes;
    uint32_t cap;
} wt_records;

/* Failure reporting: prints "FAIL case: message" and returns 1. */
int wt_fail(const char *fmt, ...);
#define WT_CHECK(cond, ...) do { if (!(cond)) return wt_fail(__VA_ARGS__); } while (0)

HANDLE wt_open(void);
BOOL wt_ioctl(HANDLE h, DWORD code, const void *in, DWORD in_len, void *out, DWORD out_len, DWORD *got);
BOOL wt_stats(HANDLE h, PT_STATS *stats);
BOOL wt_set_mask(HANDLE h, ULONG mask);

/* Injects `count` copies (pid stepping by pid_step) of one synthetic event. */
BOOL wt_inject(HANDLE h, uint16_t type, uint32_t pid, uint32_t count, uint32_t pid_step,
               uint32_t ppid, uint64_t start_ns, uint64_t parent_start_ns, int32_t exit_code,
               uint32_t tid, const wchar_t *image, const wchar_t *command);

/* Starts an overlapped read into buf; returns TRUE if it is pending. The
 * caller waits with wt_wait_read. */
BOOL wt_start_read(HANDLE h, OVERLAPPED *ov, void *buf, DWORD len, DWORD *done_now);
/* Waits up to ms for an overlapped operation; FALSE on timeout. On
 * completion *err is 0 or the Win32 error and *bytes the count. */
BOOL wt_wait_read(HANDLE h, OVERLAPPED *ov, DWORD ms, DWORD *bytes, DWORD *err);

/* Reads until the handle's queue is empty, appending to recs. */
int wt_drain(HANDLE h, wt_records *recs);
void wt_records_init(wt_records *recs);
void wt_records_free(wt_records *recs);
/* Checks sizes; returns record count or -1 on a malformed buffer. */
int wt_count(const wt_records *recs);
/* The i-th record or NULL. */
const struct pt_record_header *wt_record(const wt_records *recs, int i);


/* Cases (wintest_cases.c). Each returns 0 on success. */
int case_version(void);
int case_dacl(void);
int case_release(void);
int case_order(void);
int case_utf8(void);
int case_pended(void);
int case_cancel(void);
int case_close(void);
int case_two_readers(void);
int case_overflow(void);
int case_stop(void);
int case_tree(int argc, wchar_t **argv);
int case_images(int argc, wchar_t **argv);
int case_rate(int argc, wchar_t **argv);
int case_flood(int argc, wchar_t **argv);

#endif
