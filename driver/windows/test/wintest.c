/*
 * wintest.c - proctree-wintest.exe: drives proctree-test.sys (the driver
 * built with PROCTREE_TEST_IOCTL) under Wine. One case per invocation:
 *
 *   proctree-wintest.exe CASE [ARGS]
 *
 * prints "ok CASE" and exits 0, or prints "FAIL CASE: why" and exits 1.
 * Cases: version order utf8 pended cancel close two-readers overflow stop
 *        dacl   (real Windows only: Wine keeps no device security descriptor)
 *        release (against proctree.sys, the release driver)
 *        tree PID_BASE   (injects a small known tree for the agent test)
 *        images PID_BASE PATH...  (one create per image path: the image-facts test)
 *        flood PID_BASE N    (overflows the agent's queue: events lost, resync)
 *        rate RATE SECONDS   (benchmark injector: offered records/s)
 */
#include "wintest.h"

#include <stdarg.h>
#include <stdlib.h>
#include <wchar.h>

static const wchar_t *current_case = L"?";

int wt_fail(const char *fmt, ...)
{
    va_list ap;

    fwprintf(stdout, L"FAIL %ls: ", current_case);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fprintf(stdout, " (last error %lu)\n", (unsigned long)GetLastError());
    fflush(stdout);
    return 1;
}

HANDLE wt_open(void)
{
    return CreateFileW(PT_WIN32_DEVICE, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                       FILE_FLAG_OVERLAPPED, NULL);
}

BOOL wt_ioctl(HANDLE h, DWORD code, const void *in, DWORD in_len, void *out, DWORD out_len, DWORD *got)
{
    OVERLAPPED ov;
    DWORD bytes = 0;
    BOOL ok;

    ZeroMemory(&ov, sizeof ov);
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ok = DeviceIoControl(h, code, (void *)in, in_len, out, out_len, &bytes, &ov);
    if (!ok && GetLastError() == ERROR_IO_PENDING) {
        ok = GetOverlappedResult(h, &ov, &bytes, TRUE);
    }
    if (ok && got) {
        *got = bytes;
    }
    {
        DWORD err = GetLastError();
        CloseHandle(ov.hEvent);
        SetLastError(err);
    }
    return ok;
}

BOOL wt_stats(HANDLE h, PT_STATS *stats)
{
    DWORD got = 0;

    return wt_ioctl(h, IOCTL_PT_GET_STATS, NULL, 0, stats, sizeof *stats, &got) && got == sizeof *stats;
}

BOOL wt_set_mask(HANDLE h, ULONG mask)
{
    return wt_ioctl(h, IOCTL_PT_SET_EVENT_MASK, &mask, sizeof mask, NULL, 0, NULL);
}

BOOL wt_inject(HANDLE h, uint16_t type, uint32_t pid, uint32_t count, uint32_t pid_step,
               uint32_t ppid, uint64_t start_ns, uint64_t parent_start_ns, int32_t exit_code,
               uint32_t tid, const wchar_t *image, const wchar_t *command)
{
    size_t il = image ? wcslen(image) : 0;
    size_t cl = command ? wcslen(command) : 0;
    DWORD size = (DWORD)(PT_INJECT_FIXED + 2 * (il + cl));
    uint8_t *buf = (uint8_t *)calloc(1, size);
    PT_INJECT *inj = (PT_INJECT *)buf;
    BOOL ok;

    if (!buf) {
        return FALSE;
    }
    inj->Type = type;
    inj->ImageChars = (uint16_t)il;
    inj->CommandChars = (uint16_t)cl;
    inj->Count = count;
    inj->PidStep = pid_step;
    inj->Pid = pid;
    inj->ParentPid = ppid;
    inj->CreatorPid = ppid;
    inj->CreatorTid = ppid + 1;
    inj->Tid = tid;
    inj->ExitCode = exit_code;
    inj->StartNs = start_ns;
    inj->ParentStartNs = parent_start_ns;
    inj->ImageBase = 0x7ff700000000ull;
    inj->ImageSize = 0x20000;
    memcpy(buf + PT_INJECT_FIXED, image, 2 * il);
    memcpy(buf + PT_INJECT_FIXED + 2 * il, command, 2 * cl);
    ok = wt_ioctl(h, IOCTL_PT_TEST_INJECT, buf, size, NULL, 0, NULL);
    free(buf);
    return ok;
}

BOOL wt_start_read(HANDLE h, OVERLAPPED *ov, void *buf, DWORD len, DWORD *done_now)
{
    DWORD bytes = 0;

    ZeroMemory(ov, sizeof *ov);
    ov->hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (ReadFile(h, buf, len, &bytes, ov)) {
        *done_now = bytes;
        return FALSE;
    }
    *done_now = 0;
    return GetLastError() == ERROR_IO_PENDING;
}

BOOL wt_wait_read(HANDLE h, OVERLAPPED *ov, DWORD ms, DWORD *bytes, DWORD *err)
{
    if (WaitForSingleObject(ov->hEvent, ms) != WAIT_OBJECT_0) {
        return FALSE;
    }
    *err = GetOverlappedResult(h, ov, bytes, FALSE) ? 0 : GetLastError();
    CloseHandle(ov->hEvent);
    ov->hEvent = NULL;
    return TRUE;
}

void wt_records_init(wt_records *recs)
{
    recs->cap = 4u * WT_READ_BUFFER;
    recs->data = (uint8_t *)malloc(recs->cap);
    recs->bytes = 0;
}

void wt_records_free(wt_records *recs)
{
    free(recs->data);
    recs->data = NULL;
}

int wt_drain(HANDLE h, wt_records *recs)
{
    for (;;) {
        PT_STATS stats;
        OVERLAPPED ov;
        DWORD bytes = 0, err = 0;

        WT_CHECK(wt_stats(h, &stats), "GET_STATS failed");
        if (stats.QueuedRecords == 0) {
            return 0;
        }
        if (recs->cap - recs->bytes < WT_READ_BUFFER) {
            recs->cap *= 2;
            recs->data = (uint8_t *)realloc(recs->data, recs->cap);
        }
        if (!wt_start_read(h, &ov, recs->data + recs->bytes, WT_READ_BUFFER, &bytes)) {
            if (ov.hEvent) {
                CloseHandle(ov.hEvent);
            }
            WT_CHECK(bytes != 0, "ReadFile failed with records queued");
        } else {
            WT_CHECK(wt_wait_read(h, &ov, WT_DEADLINE_MS, &bytes, &err), "read did not complete");
            WT_CHECK(err == 0 && bytes != 0, "read failed: error %lu", (unsigned long)err);
        }
        recs->bytes += bytes;
    }
}

int wt_count(const wt_records *recs)
{
    uint32_t off = 0;
    int n = 0;

    while (off < recs->bytes) {
        const struct pt_record_header *h = (const struct pt_record_header *)(recs->data + off);
        if (recs->bytes - off < sizeof *h || h->size < sizeof *h || h->size % 8 || h->size > recs->bytes - off) {
            return -1;
        }
        off += h->size;
        n++;
    }
    return n;
}

const struct pt_record_header *wt_record(const wt_records *recs, int i)
{
    uint32_t off = 0;

    while (off < recs->bytes) {
        const struct pt_record_header *h = (const struct pt_record_header *)(recs->data + off);
        if (i-- == 0) {
            return h;
        }
        off += h->size;
    }
    return NULL;
}

int wmain(int argc, wchar_t **argv)
{
    static const struct {
        const wchar_t *name;
        int (*fn)(void);
    } cases[] = {
        { L"version", case_version }, { L"order", case_order },   { L"utf8", case_utf8 },
        { L"pended", case_pended },   { L"cancel", case_cancel }, { L"close", case_close },
        { L"two-readers", case_two_readers }, { L"dacl", case_dacl },
        { L"release", case_release }, { L"overflow", case_overflow }, { L"stop", case_stop },
    };
    size_t i;
    int rc = -1;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: proctree-wintest CASE [ARGS]\n");
        return 2;
    }
    current_case = argv[1];
    if (wcscmp(argv[1], L"tree") == 0) {
        rc = case_tree(argc - 2, argv + 2);
    } else if (wcscmp(argv[1], L"images") == 0) {
        rc = case_images(argc - 2, argv + 2);
    } else if (wcscmp(argv[1], L"flood") == 0) {
        rc = case_flood(argc - 2, argv + 2);
    } else if (wcscmp(argv[1], L"rate") == 0) {
        rc = case_rate(argc - 2, argv + 2);
    } else {
        for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            if (wcscmp(argv[1], cases[i].name) == 0) {
                rc = cases[i].fn();
            }
        }
    }
    if (rc < 0) {
        fprintf(stderr, "proctree-wintest: unknown case %ls\n", argv[1]);
        return 2;
    }
    if (rc == 0) {
        fwprintf(stdout, L"ok %ls\n", argv[1]);
    }
    return rc;
}
