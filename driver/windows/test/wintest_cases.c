/*
 * wintest_cases.c - the cases of proctree-wintest.exe (see wintest.c).
 * Every wait is bounded by WT_DEADLINE_MS and polls for its condition.
 */
#include "wintest.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define IMG_CMD L"\\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe"
#define CMD_CMD L"cmd.exe /c echo hello"

static const char *str_at(const struct pt_process_create *c, uint32_t skip)
{
    return (const char *)c + PT_PROCESS_CREATE_FIXED + skip;
}

static int check_str(const char *what, const char *got, uint32_t got_len, const char *want)
{
    size_t n = strlen(want);
    WT_CHECK(got_len == n && memcmp(got, want, n) == 0, "%s: got '%.*s' (%u bytes), want '%s'", what,
             (int)got_len, got, got_len, want);
    return 0;
}

/* The device's DACL as the driver set it: SYSTEM and Administrators only. */
static int check_dacl(HANDLE h)
{
    static uint8_t sd[4096];
    DWORD need = 0;
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = NULL;
    uint8_t system_sid[SECURITY_MAX_SID_SIZE], admins_sid[SECURITY_MAX_SID_SIZE];
    DWORD sl = sizeof system_sid, al = sizeof admins_sid;
    int seen_system = 0, seen_admins = 0;

    WT_CHECK(GetKernelObjectSecurity(h, DACL_SECURITY_INFORMATION, sd, sizeof sd, &need), "query device security");
    WT_CHECK(GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) && present && dacl, "device has no DACL");
    WT_CHECK(CreateWellKnownSid(WinLocalSystemSid, NULL, system_sid, &sl) &&
             CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins_sid, &al), "well-known SIDs");
    WT_CHECK(dacl->AceCount == 2, "DACL has %u entries, want 2", dacl->AceCount);
    for (DWORD i = 0; i < dacl->AceCount; i++) {
        ACCESS_ALLOWED_ACE *ace = NULL;
        WT_CHECK(GetAce(dacl, i, (void **)&ace), "GetAce");
        WT_CHECK(ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE, "ACE %lu type %u", (unsigned long)i,
                 ace->Header.AceType);
        seen_system |= EqualSid((PSID)&ace->SidStart, system_sid);
        seen_admins |= EqualSid((PSID)&ace->SidStart, admins_sid);
    }
    WT_CHECK(seen_system && seen_admins, "DACL is not SYSTEM + Administrators");
    return 0;
}

/* For a real Windows machine (not in the Wine tests: Wine keeps no security
 * descriptor for device objects and reports none). */
int case_dacl(void)
{
    HANDLE h = wt_open();
    int rc;

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open");
    rc = check_dacl(h);
    CloseHandle(h);
    return rc;
}

int case_version(void)
{
    HANDLE h = wt_open();
    PT_VERSION_INFO v;
    PT_STATS s;
    DWORD got = 0;
    ULONG mask = 0, bad = 0x80, prev = 0;
    uint8_t small[8];

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open \\\\.\\ProcTree");
    WT_CHECK(wt_ioctl(h, IOCTL_PT_GET_VERSION, NULL, 0, &v, sizeof v, &got) && got == sizeof v, "GET_VERSION");
    WT_CHECK(v.WireMajor == PT_WIRE_VERSION_MAJOR && v.WireMinor == PT_WIRE_VERSION_MINOR, "wire version %u.%u",
             v.WireMajor, v.WireMinor);
    WT_CHECK(v.InterfaceVersion == PT_IOCTL_INTERFACE_VERSION, "interface version");
    WT_CHECK(v.Flags & PT_DRIVER_TEST_BUILD, "not the test build: %s", v.Build);
    /* every length checked */
    WT_CHECK(!wt_ioctl(h, IOCTL_PT_GET_VERSION, NULL, 0, small, sizeof small, NULL), "short GET_VERSION accepted");
    WT_CHECK(!wt_ioctl(h, IOCTL_PT_GET_STATS, NULL, 0, small, sizeof small, NULL), "short GET_STATS accepted");
    WT_CHECK(!wt_ioctl(h, IOCTL_PT_SET_EVENT_MASK, small, 2, NULL, 0, NULL), "2-byte mask accepted");
    WT_CHECK(!wt_ioctl(h, IOCTL_PT_SET_EVENT_MASK, &bad, sizeof bad, NULL, 0, NULL), "unknown mask bit accepted");
    WT_CHECK(!wt_ioctl(h, IOCTL_PT_NEXT_RECORD_SIZE, NULL, 0, small, 2, NULL), "2-byte NEXT_RECORD_SIZE accepted");
    WT_CHECK(!wt_ioctl(h, IOCTL_PT_TEST_INJECT, small, sizeof small, NULL, 0, NULL), "short inject accepted");
    WT_CHECK(!wt_ioctl(h, PT_CTL(0x8FF, FILE_READ_ACCESS), NULL, 0, NULL, 0, NULL), "unknown IOCTL accepted");
    {
        /* 40000 chars would wrap a UNICODE_STRING's 16-bit byte length */
        const uint32_t chars = 40000;
        uint8_t *in = (uint8_t *)calloc(1, PT_INJECT_FIXED + 2u * chars);
        PT_INJECT inj;
        BOOL accepted;
        DWORD err;

        WT_CHECK(in != NULL, "calloc");
        ZeroMemory(&inj, sizeof inj);
        inj.Type = PT_REC_PROCESS_CREATE;
        inj.ImageChars = (uint16_t)chars;
        inj.Pid = 99;
        memcpy(in, &inj, sizeof inj);
        for (uint32_t k = 0; k < chars; k++) {
            in[PT_INJECT_FIXED + 2u * k] = 'a';
        }
        accepted = wt_ioctl(h, IOCTL_PT_TEST_INJECT, in, PT_INJECT_FIXED + 2u * chars, NULL, 0, NULL);
        err = GetLastError();
        free(in);
        WT_CHECK(!accepted && err == ERROR_INVALID_PARAMETER, "inject of %u image chars: accepted %d, error %lu",
                 chars, accepted, (unsigned long)err);
    }
    /* mask round trip: process is always on */
    mask = PT_MASK_THREAD;
    WT_CHECK(wt_ioctl(h, IOCTL_PT_SET_EVENT_MASK, &mask, sizeof mask, &prev, sizeof prev, &got), "SET_EVENT_MASK");
    WT_CHECK(got == sizeof prev && prev == PT_MASK_PROCESS, "previous mask %lu", (unsigned long)prev);
    WT_CHECK(wt_stats(h, &s), "GET_STATS");
    WT_CHECK(s.EventMask == (PT_MASK_PROCESS | PT_MASK_THREAD), "mask now %u", s.EventMask);
    WT_CHECK(s.Readers >= 1 && s.QueuedRecords == 0 && s.QueueCapBytes >= PT_QUEUE_CAP_MIN, "stats");
    CloseHandle(h);
    return 0;
}

int case_order(void)
{
    HANDLE h = wt_open();
    wt_records recs;
    uint64_t t0 = pt_wall_clock_ns();
    const struct pt_process_create *c;
    const struct pt_process_exit *x;
    const struct pt_thread *th;
    const struct pt_image_load *im;
    int i, n;

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open");
    wt_records_init(&recs);
    /* thread events before the mask asks for them are not delivered */
    WT_CHECK(wt_inject(h, PT_REC_THREAD_CREATE, 7000, 1, 0, 0, 111, 0, 0, 7001, NULL, NULL), "inject thread");
    WT_CHECK(wt_set_mask(h, PT_MASK_THREAD | PT_MASK_IMAGE), "mask");
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, 7000, 1, 0, 4, 111, 99, 0, 0, IMG_CMD, CMD_CMD), "inject create");
    WT_CHECK(wt_inject(h, PT_REC_THREAD_CREATE, 7000, 1, 0, 0, 111, 0, 0, 7004, NULL, NULL), "inject thread");
    WT_CHECK(wt_inject(h, PT_REC_IMAGE_LOAD, 7000, 1, 0, 0, 111, 0, 0, 0, L"\\Windows\\System32\\kernel32.dll", NULL),
             "inject image");
    WT_CHECK(wt_inject(h, PT_REC_THREAD_EXIT, 7000, 1, 0, 0, 111, 0, 5, 7004, NULL, NULL), "inject thread exit");
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_EXIT, 7000, 1, 0, 0, 111, 0, 3, 0, NULL, NULL), "inject exit");
    if (wt_drain(h, &recs)) {
        return 1;
    }
    n = wt_count(&recs);
    WT_CHECK(n == 5, "expected 5 records, got %d", n);
    for (i = 0; i < n; i++) {
        const struct pt_record_header *r = wt_record(&recs, i);
        WT_CHECK(r->seq == (uint64_t)i, "record %d has seq %llu", i, (unsigned long long)r->seq);
        WT_CHECK(r->time_ns >= t0 && r->time_ns <= pt_wall_clock_ns(), "record %d time %llu outside the test", i,
                 (unsigned long long)r->time_ns);
        WT_CHECK(i == 0 || r->time_ns >= wt_record(&recs, i - 1)->time_ns, "time goes back at %d", i);
    }
    c = (const struct pt_process_create *)wt_record(&recs, 0);
    WT_CHECK(c->h.type == PT_REC_PROCESS_CREATE, "first is type %u", c->h.type);
    WT_CHECK(c->proc.pid == 7000 && c->proc.start_ns == 111 && c->parent.pid == 4 && c->parent.start_ns == 99,
             "create ident");
    WT_CHECK(c->creator_pid == 4 && c->creator_tid == 5 && c->uid == PT_UID_UNKNOWN && c->threads == 1, "creator");
    if (check_str("name", str_at(c, 0), c->name_len, "cmd.exe") ||
        check_str("image", str_at(c, c->name_len + c->user_len), c->image_len,
                  "\\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe") ||
        check_str("cmdline", str_at(c, c->name_len + c->user_len + c->image_len), c->cmdline_len, "cmd.exe /c echo hello")) {
        return 1;
    }
    WT_CHECK(c->h.size == PT_ALIGN8(PT_PROCESS_CREATE_FIXED + c->name_len + c->image_len + c->cmdline_len), "size");
    th = (const struct pt_thread *)wt_record(&recs, 1);
    WT_CHECK(th->h.type == PT_REC_THREAD_CREATE && th->tid == 7004 && th->proc.pid == 7000, "thread create");
    im = (const struct pt_image_load *)wt_record(&recs, 2);
    WT_CHECK(im->h.type == PT_REC_IMAGE_LOAD && im->base == 0x7ff700000000ull && im->size == 0x20000, "image");
    if (check_str("image path", (const char *)im + PT_IMAGE_LOAD_FIXED, im->path_len,
                  "\\Windows\\System32\\kernel32.dll")) {
        return 1;
    }
    th = (const struct pt_thread *)wt_record(&recs, 3);
    WT_CHECK(th->h.type == PT_REC_THREAD_EXIT && th->exit_code == 5, "thread exit");
    x = (const struct pt_process_exit *)wt_record(&recs, 4);
    WT_CHECK(x->h.type == PT_REC_PROCESS_EXIT && x->proc.pid == 7000 && x->proc.start_ns == 111 && x->exit_code == 3,
             "exit");
    /* a create with neither image nor command line */
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, 7002, 1, 0, 4, 112, 99, 0, 0, NULL, NULL), "inject bare");
    recs.bytes = 0;
    if (wt_drain(h, &recs)) {
        return 1;
    }
    c = (const struct pt_process_create *)wt_record(&recs, 0);
    WT_CHECK(wt_count(&recs) == 1 && c->h.seq == 5, "bare create seq");
    WT_CHECK(c->name_len == 0 && c->image_len == 0 && c->cmdline_len == 0 && (c->flags & PT_PROC_NAME_UNKNOWN),
             "bare create strings");
    wt_records_free(&recs);
    CloseHandle(h);
    return 0;
}

int case_utf8(void)
{
    HANDLE h = wt_open();
    wt_records recs;
    const struct pt_process_create *c;
    /* U+00FC U+00DF U+65E5 U+672C, U+1F600 (surrogate pair), lone high surrogate */
    static const wchar_t image[] = L"C:\\Temp\\Gr\x00FC\x00DF" L"e\\\x65E5\x672C.exe";
    static const wchar_t command[] = L"run \xD83D\xDE00 \xD800!";
    static const char want_image[] = "C:\\Temp\\Gr\xC3\xBC\xC3\x9F" "e\\\xE6\x97\xA5\xE6\x9C\xAC.exe";
    static const char want_name[] = "\xE6\x97\xA5\xE6\x9C\xAC.exe";
    static const char want_command[] = "run \xF0\x9F\x98\x80 \xEF\xBF\xBD!";

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open");
    wt_records_init(&recs);
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, 7100, 1, 0, 4, 1, 0, 0, 0, image, command), "inject");
    if (wt_drain(h, &recs)) {
        return 1;
    }
    WT_CHECK(wt_count(&recs) == 1, "one record");
    c = (const struct pt_process_create *)wt_record(&recs, 0);
    if (check_str("name", str_at(c, 0), c->name_len, want_name) ||
        check_str("image", str_at(c, c->name_len), c->image_len, want_image) ||
        check_str("cmdline", str_at(c, c->name_len + c->image_len), c->cmdline_len, want_command)) {
        return 1;
    }
    wt_records_free(&recs);
    CloseHandle(h);
    return 0;
}

int case_pended(void)
{
    HANDLE reader = wt_open(), injector = wt_open();
    static uint8_t buf[65536];
    OVERLAPPED ov;
    PT_STATS s;
    DWORD bytes = 0, err = 0, now = 0, t;
    const struct pt_process_exit *x = (const struct pt_process_exit *)buf;

    WT_CHECK(reader != INVALID_HANDLE_VALUE && injector != INVALID_HANDLE_VALUE, "open");
    WT_CHECK(wt_start_read(reader, &ov, buf, sizeof buf, &now), "read did not pend (got %lu bytes)",
             (unsigned long)now);
    /* still pending after a while: nothing completes it but an event */
    WT_CHECK(WaitForSingleObject(ov.hEvent, 300) == WAIT_TIMEOUT, "empty read completed");
    WT_CHECK(wt_stats(reader, &s) && s.PendingReads == 1, "PendingReads %u", s.PendingReads);
    t = GetTickCount();
    WT_CHECK(wt_inject(injector, PT_REC_PROCESS_EXIT, 7200, 1, 0, 0, 5, 0, 9, 0, NULL, NULL), "inject");
    WT_CHECK(wt_wait_read(reader, &ov, WT_DEADLINE_MS, &bytes, &err), "pended read not completed by the event");
    WT_CHECK(err == 0 && bytes == sizeof *x, "read: error %lu, %lu bytes", (unsigned long)err, (unsigned long)bytes);
    WT_CHECK(x->h.type == PT_REC_PROCESS_EXIT && x->proc.pid == 7200 && x->exit_code == 9, "record");
    printf("pended read completed %lu ms after the event\n", (unsigned long)(GetTickCount() - t));
    WT_CHECK(wt_stats(reader, &s) && s.PendingReads == 0, "PendingReads after %u", s.PendingReads);
    CloseHandle(injector);
    CloseHandle(reader);
    return 0;
}

int case_cancel(void)
{
    HANDLE h = wt_open();
    static uint8_t buf[65536];
    OVERLAPPED ov;
    PT_STATS s;
    DWORD bytes = 0, err = 0, now = 0;

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open");
    WT_CHECK(wt_start_read(h, &ov, buf, sizeof buf, &now), "read did not pend");
    WT_CHECK(CancelIoEx(h, &ov), "CancelIoEx");
    WT_CHECK(wt_wait_read(h, &ov, WT_DEADLINE_MS, &bytes, &err), "cancelled read never completed");
    WT_CHECK(err == ERROR_OPERATION_ABORTED && bytes == 0, "cancelled read: error %lu", (unsigned long)err);
    WT_CHECK(wt_stats(h, &s) && s.PendingReads == 0, "PendingReads %u after cancel", s.PendingReads);
    /* the handle still works */
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_EXIT, 7300, 1, 0, 0, 5, 0, 1, 0, NULL, NULL), "inject");
    WT_CHECK(!wt_start_read(h, &ov, buf, sizeof buf, &now) && now == sizeof(struct pt_process_exit),
             "read after cancel: %lu", (unsigned long)now);
    if (ov.hEvent) {
        CloseHandle(ov.hEvent);
    }
    CloseHandle(h);
    return 0;
}

int case_close(void)
{
    HANDLE h = wt_open(), other = wt_open();
    static uint8_t buf[65536];
    OVERLAPPED ov;
    PT_STATS before, after;
    DWORD now = 0;

    WT_CHECK(h != INVALID_HANDLE_VALUE && other != INVALID_HANDLE_VALUE, "open");
    WT_CHECK(wt_stats(other, &before), "stats");
    WT_CHECK(wt_start_read(h, &ov, buf, sizeof buf, &now), "read did not pend");
    WT_CHECK(CloseHandle(h), "CloseHandle with a read pending");
    WT_CHECK(WaitForSingleObject(ov.hEvent, WT_DEADLINE_MS) == WAIT_OBJECT_0, "pended read not completed by close");
    WT_CHECK(ov.Internal != 0, "read completed with success after close");
    CloseHandle(ov.hEvent);
    for (DWORD t0 = GetTickCount();; Sleep(10)) {
        WT_CHECK(wt_stats(other, &after), "stats");
        if (after.Readers == before.Readers - 1) {
            break;
        }
        WT_CHECK(GetTickCount() - t0 < WT_DEADLINE_MS, "reader count %u, want %u", after.Readers, before.Readers - 1);
    }
    /* the driver is fine: events still reach the other handle */
    WT_CHECK(wt_inject(other, PT_REC_PROCESS_EXIT, 7400, 1, 0, 0, 5, 0, 1, 0, NULL, NULL), "inject");
    WT_CHECK(wt_stats(other, &after) && after.QueuedRecords == 1, "queued %u", after.QueuedRecords);
    CloseHandle(other);
    return 0;
}

int case_two_readers(void)
{
    HANDLE a = wt_open(), b = wt_open();
    wt_records ra, rb;
    int i;

    WT_CHECK(a != INVALID_HANDLE_VALUE && b != INVALID_HANDLE_VALUE, "open");
    wt_records_init(&ra);
    wt_records_init(&rb);
    WT_CHECK(wt_inject(a, PT_REC_PROCESS_CREATE, 8000, 100, 4, 4, 1000, 1, 0, 0, IMG_CMD, CMD_CMD), "inject");
    if (wt_drain(a, &ra) || wt_drain(b, &rb)) {
        return 1;
    }
    WT_CHECK(wt_count(&ra) == 100 && wt_count(&rb) == 100, "counts %d %d", wt_count(&ra), wt_count(&rb));
    WT_CHECK(ra.bytes == rb.bytes && memcmp(ra.data, rb.data, ra.bytes) == 0, "readers got different bytes");
    for (i = 0; i < 100; i++) {
        const struct pt_process_create *c = (const struct pt_process_create *)wt_record(&ra, i);
        WT_CHECK(c->h.seq == (uint64_t)i && c->proc.pid == 8000u + 4u * i, "record %d: pid %u", i, c->proc.pid);
    }
    wt_records_free(&ra);
    wt_records_free(&rb);
    CloseHandle(a);
    CloseHandle(b);
    return 0;
}

int case_overflow(void)
{
    HANDLE h = wt_open();
    wt_records recs;
    PT_STATS s;
    ULONG next = 0;
    DWORD got = 0;
    uint8_t tiny[32];
    const uint32_t offered = 5000, later = 10;
    uint32_t exits = 0, lost_at = 0, i, n;
    uint64_t lost = 0;

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open");
    wt_records_init(&recs);
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_EXIT, 10000, offered, 1, 0, 7, 0, 0, 0, NULL, NULL), "inject");
    WT_CHECK(wt_stats(h, &s), "stats");
    printf("cap %u bytes: queued %u records, dropped %llu of %u\n", s.QueueCapBytes, s.QueuedRecords,
           (unsigned long long)s.Dropped, offered);
    WT_CHECK(s.Dropped > 0 && s.QueuedRecords + s.Dropped == offered, "queued %u + dropped %llu != %u",
             s.QueuedRecords, (unsigned long long)s.Dropped, offered);
    WT_CHECK(s.QueuedBytes <= s.QueueCapBytes, "queue above its cap");
    /* the next record's size, and a buffer too small for it */
    WT_CHECK(wt_ioctl(h, IOCTL_PT_NEXT_RECORD_SIZE, NULL, 0, &next, sizeof next, &got) && next == sizeof(struct pt_process_exit), "next %lu",
             (unsigned long)next);
    {
        OVERLAPPED ov;
        DWORD now = 0, bytes = 0, err = 0;
        BOOL pending = wt_start_read(h, &ov, tiny, sizeof tiny, &now);
        if (pending) {
            WT_CHECK(wt_wait_read(h, &ov, WT_DEADLINE_MS, &bytes, &err), "tiny read");
        } else {
            err = GetLastError();
            CloseHandle(ov.hEvent);
        }
        WT_CHECK(err == ERROR_INSUFFICIENT_BUFFER && now == 0, "tiny read: error %lu", (unsigned long)err);
    }
    if (wt_drain(h, &recs)) {
        return 1;
    }
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_EXIT, 20000, later, 1, 0, 7, 0, 0, 0, NULL, NULL), "inject later");
    if (wt_drain(h, &recs)) {
        return 1;
    }
    n = (uint32_t)wt_count(&recs);
    for (i = 0; i < n; i++) {
        const struct pt_record_header *r = wt_record(&recs, i);
        WT_CHECK(r->seq == i, "seq %llu at %u", (unsigned long long)r->seq, i);
        if (r->type == PT_REC_EVENTS_LOST) {
            const struct pt_events_lost *l = (const struct pt_events_lost *)r;
            WT_CHECK(lost == 0, "two events-lost records");
            WT_CHECK(l->reason == PT_LOST_QUEUE_FULL, "reason %u", l->reason);
            lost = l->count;
            lost_at = i;
        } else {
            const struct pt_process_exit *x = (const struct pt_process_exit *)r;
            WT_CHECK(r->type == PT_REC_PROCESS_EXIT, "type %u", r->type);
            WT_CHECK(lost != 0 || x->proc.pid == 10000 + exits, "pid %u at %u", x->proc.pid, i);
            exits++;
        }
    }
    printf("delivered %u exits, events-lost count %llu at record %u\n", exits, (unsigned long long)lost, lost_at);
    WT_CHECK(lost == s.Dropped, "events-lost says %llu, driver dropped %llu", (unsigned long long)lost,
             (unsigned long long)s.Dropped);
    WT_CHECK(exits + lost == offered + later, "delivered %u + lost %llu != offered %u", exits,
             (unsigned long long)lost, offered + later);
    WT_CHECK(lost_at == offered - lost, "events-lost at %u, want right after the %llu kept", lost_at,
             (unsigned long long)(offered - lost));
    {
        const struct pt_process_exit *x = (const struct pt_process_exit *)wt_record(&recs, (int)n - 1);
        WT_CHECK(x->proc.pid == 20000 + later - 1, "last pid %u", x->proc.pid);
    }
    wt_records_free(&recs);
    CloseHandle(h);
    return 0;
}

int case_stop(void)
{
    HANDLE h = wt_open();
    static uint8_t buf[65536];
    OVERLAPPED ov;
    DWORD bytes = 0, err = 0, now = 0;
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    wchar_t cmd[] = L"sc.exe stop proctree";
    SC_HANDLE scm, svc;
    SERVICE_STATUS st;

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open");
    WT_CHECK(wt_start_read(h, &ov, buf, sizeof buf, &now), "read did not pend");
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    WT_CHECK(CreateProcessW(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi), "run sc stop");
    WT_CHECK(WaitForSingleObject(pi.hProcess, WT_DEADLINE_MS) == WAIT_OBJECT_0, "sc stop hangs");
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    WT_CHECK(wt_wait_read(h, &ov, WT_DEADLINE_MS, &bytes, &err), "pended read not completed by unload");
    WT_CHECK(err == ERROR_DEVICE_REMOVED && bytes == 0, "read after unload: error %lu, %lu bytes", (unsigned long)err,
             (unsigned long)bytes);
    printf("pended read completed by unload with error %lu\n", (unsigned long)err);
    scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    WT_CHECK(scm != NULL, "OpenSCManager");
    svc = OpenServiceW(scm, PT_SERVICE_NAME, SERVICE_QUERY_STATUS);
    WT_CHECK(svc != NULL, "OpenService");
    for (DWORD t0 = GetTickCount();; Sleep(20)) {
        WT_CHECK(QueryServiceStatus(svc, &st), "QueryServiceStatus");
        if (st.dwCurrentState == SERVICE_STOPPED) {
            break;
        }
        WT_CHECK(GetTickCount() - t0 < WT_DEADLINE_MS, "service state %lu", (unsigned long)st.dwCurrentState);
    }
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    CloseHandle(h);
    WT_CHECK(wt_open() == INVALID_HANDLE_VALUE, "device still opens after stop");
    return 0;
}

/* Polls until a second handle (the agent's) is open on the device. */
static int wait_for_agent(HANDLE h)
{
    PT_STATS s;

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open");
    for (DWORD t0 = GetTickCount();; Sleep(20)) {
        WT_CHECK(wt_stats(h, &s), "stats");
        if (s.Readers >= 2) {
            return 0;
        }
        WT_CHECK(GetTickCount() - t0 < 60000, "the agent never opened the device");
    }
}

/* Injects a known tree for the agent test: root -> a -> grandchild, root ->
 * b (which exits with 7). Waits first until the agent's handle is open. */
int case_tree(int argc, wchar_t **argv)
{
    HANDLE h = wt_open();
    uint32_t base = argc > 0 ? (uint32_t)wcstoul(argv[0], NULL, 10) : 90000;
    uint64_t t = pt_wall_clock_ns() - 5000000000ull;

    if (wait_for_agent(h) != 0) {
        return 1;
    }
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, base, 1, 0, 4, t, 0, 0, 0,
                       L"\\Device\\HarddiskVolume3\\Tools\\tree-root.exe", L"tree-root.exe --serve"), "root");
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, base + 4, 1, 0, base, t + 1000, t, 0, 0,
                       L"\\Device\\HarddiskVolume3\\Tools\\child-a.exe", L"child-a.exe"), "a");
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, base + 8, 1, 0, base, t + 2000, t, 0, 0,
                       L"\\Device\\HarddiskVolume3\\Tools\\child-b.exe", L"child-b.exe -x"), "b");
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, base + 12, 1, 0, base + 4, t + 3000, t + 1000, 0, 0,
                       L"\\Device\\HarddiskVolume3\\Tools\\gr\x00E4ndchild.exe", L"gr\x00E4ndchild.exe"), "grandchild");
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_EXIT, base + 8, 1, 0, 0, t + 2000, 0, 7, 0, NULL, NULL), "exit b");
    CloseHandle(h);
    return 0;
}

/* Against the RELEASE driver: no test build flag, the injection IOCTL is
 * an unknown request, and reads still pend and cancel. Polls until the
 * device opens (the service was just started). */
int case_release(void)
{
    HANDLE h = INVALID_HANDLE_VALUE;
    PT_VERSION_INFO v;
    DWORD got = 0, bytes = 0, err = 0, now = 0;
    static uint8_t buf[4096];
    OVERLAPPED ov;

    for (DWORD t0 = GetTickCount(); (h = wt_open()) == INVALID_HANDLE_VALUE; Sleep(50)) {
        WT_CHECK(GetTickCount() - t0 < WT_DEADLINE_MS, "release driver's device never opened");
    }
    WT_CHECK(wt_ioctl(h, IOCTL_PT_GET_VERSION, NULL, 0, &v, sizeof v, &got) && got == sizeof v, "GET_VERSION");
    WT_CHECK(!(v.Flags & PT_DRIVER_TEST_BUILD) && strcmp(v.Build, "proctree.sys release") == 0,
             "not the release build: flags %u, '%s'", v.Flags, v.Build);
    WT_CHECK(!wt_inject(h, PT_REC_PROCESS_EXIT, 1, 1, 0, 0, 1, 0, 0, 0, NULL, NULL), "release accepted an injection");
    WT_CHECK(GetLastError() == ERROR_INVALID_FUNCTION, "injection refused with %lu, want ERROR_INVALID_FUNCTION",
             (unsigned long)GetLastError());
    WT_CHECK(wt_start_read(h, &ov, buf, sizeof buf, &now), "read did not pend");
    WT_CHECK(CancelIoEx(h, &ov), "CancelIoEx");
    WT_CHECK(wt_wait_read(h, &ov, WT_DEADLINE_MS, &bytes, &err) && err == ERROR_OPERATION_ABORTED, "cancel: %lu",
             (unsigned long)err);
    CloseHandle(h);
    return 0;
}

/* Floods the agent: N creates of flood.exe in one IOCTL, more than the
 * queue holds, so the agent sees an events-lost record and must resync. */
int case_flood(int argc, wchar_t **argv)
{
    HANDLE h = wt_open();
    PT_STATS s;
    uint32_t base = argc > 0 ? (uint32_t)wcstoul(argv[0], NULL, 10) : 200000;
    uint32_t count = argc > 1 ? (uint32_t)wcstoul(argv[1], NULL, 10) : 3000;

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open");
    for (DWORD t0 = GetTickCount();; Sleep(20)) {
        WT_CHECK(wt_stats(h, &s), "stats");
        if (s.Readers >= 2) {
            break;
        }
        WT_CHECK(GetTickCount() - t0 < 60000, "the agent never opened the device");
    }
    WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, base, count, 4, 4, pt_wall_clock_ns(), 0, 0, 0,
                       L"\\Device\\HarddiskVolume3\\flood\\flood.exe", L"flood.exe"), "inject");
    printf("offered %u\n", count);
    CloseHandle(h);
    return 0;
}

/* Benchmark injector: offers RATE create records/s for SECONDS, in batches
 * paced against the clock; prints "offered N". */
int case_rate(int argc, wchar_t **argv)
{
    HANDLE h = wt_open();
    PT_STATS s;
    double rate = argc > 0 ? wcstod(argv[0], NULL) : 10000;
    double seconds = argc > 1 ? wcstod(argv[1], NULL) : 5;
    uint64_t offered = 0, target;
    uint32_t batch;
    LARGE_INTEGER f, t0, t;
    uint64_t start = pt_wall_clock_ns();

    WT_CHECK(h != INVALID_HANDLE_VALUE, "open");
    for (DWORD w0 = GetTickCount();; Sleep(20)) {
        WT_CHECK(wt_stats(h, &s), "stats");
        if (s.Readers >= 2) {
            break;
        }
        WT_CHECK(GetTickCount() - w0 < 60000, "the agent never opened the device");
    }
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t0);
    for (;;) {
        double elapsed;
        QueryPerformanceCounter(&t);
        elapsed = (double)(t.QuadPart - t0.QuadPart) / (double)f.QuadPart;
        if (elapsed >= seconds) {
            break;
        }
        target = (uint64_t)(rate * elapsed);
        if (target <= offered) {
            Sleep(1);
            continue;
        }
        batch = (uint32_t)(target - offered > 20000 ? 20000 : target - offered);
        WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, 100000 + (uint32_t)(offered % 1000000) * 4, batch, 4, 4,
                           start, 0, 0, 0, L"\\Device\\HarddiskVolume3\\bench\\worker.exe", L"worker.exe --bench"),
                 "inject");
        offered += batch;
    }
    QueryPerformanceCounter(&t);
    printf("offered %llu in %.3f s\n", (unsigned long long)offered,
           (double)(t.QuadPart - t0.QuadPart) / (double)f.QuadPart);
    CloseHandle(h);
    return 0;
}

/* Injects one create per image path (kernel form, e.g. \??\C:\x.exe), pids
 * PID_BASE, PID_BASE + 4, ..., children of pid 4, for the image-facts test.
 * Waits first until the agent's handle is open. */
int case_images(int argc, wchar_t **argv)
{
    HANDLE h = wt_open();
    uint32_t base = argc > 0 ? (uint32_t)wcstoul(argv[0], NULL, 10) : 90000;
    uint64_t t = pt_wall_clock_ns() - 1000000000ull;
    int i;

    if (wait_for_agent(h) != 0) {
        return 1;
    }
    for (i = 1; i < argc; i++) {
        const wchar_t *slash = wcsrchr(argv[i], L'\\');
        WT_CHECK(wt_inject(h, PT_REC_PROCESS_CREATE, base + 4u * (uint32_t)(i - 1), 1, 0, 4, t + (uint64_t)i * 1000u,
                           0, 0, 0, argv[i], slash ? slash + 1 : argv[i]),
                 "create %d", i);
    }
    CloseHandle(h);
    return 0;
}
