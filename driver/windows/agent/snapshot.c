/*
 * snapshot.c - the stream header and the snapshot of processes already
 * running (Toolhelp32), written between PT_REC_SNAPSHOT_BEGIN and _END,
 * parents before children. Start times come from GetProcessTimes, the same
 * clock (process create time) the driver reports, so identities agree.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <tlhelp32.h>

#include <proctree/wire_encode.h>

typedef struct pt_proc {
    PROCESSENTRY32W entry;
    uint64_t start_ns;
    int parent;     /* index in the array, -1 if not running */
    int state;      /* 0 new, 1 visiting, 2 written */
} pt_proc;

static uint64_t filetime_ns(const FILETIME *ft)
{
    ULARGE_INTEGER u;

    u.LowPart = ft->dwLowDateTime;
    u.HighPart = ft->dwHighDateTime;
    return u.QuadPart > 116444736000000000ull ? (u.QuadPart - 116444736000000000ull) * 100ull : 0;
}

void pt_write_stream_header(pt_writer *w)
{
    wchar_t host[256];
    DWORD hl = sizeof host / sizeof host[0];
    char host8[PT_MAX_HOST * 4];
    uint8_t buf[PT_STREAM_HEADER_FIXED + 8 + PT_MAX_HOST];
    struct pt_str h = { host8, 0 };
    uint64_t now = pt_wall_clock_ns();
    uint32_t n;

    if (GetComputerNameExW(ComputerNameDnsHostname, host, &hl) || GetComputerNameW(host, &hl)) {
        h.len = pt_utf8(host, (int)hl, host8, sizeof host8);
    }
    n = pt_encode_stream_header(buf, sizeof buf, PT_OS_WINDOWS, PT_SOURCE_WINDOWS_DRIVER, now,
                                now - GetTickCount64() * 1000000ull, h);
    pt_writer_raw(w, buf, n);
}

/* NtQueryInformationProcess(ProcessCommandLineInformation), Windows 8.1+,
 * looked up at run time: the command line of another process without
 * reading its memory. */
typedef LONG(NTAPI *pt_query_process)(HANDLE, ULONG, PVOID, ULONG, PULONG);
#define PT_PROCESS_COMMAND_LINE_INFORMATION 60

typedef struct pt_ustr {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
} pt_ustr;

static uint32_t process_cmdline(HANDLE process, char *out, uint32_t cap)
{
    static pt_query_process query;
    static int looked_up;
    static union {
        pt_ustr s;
        uint8_t bytes[65536 + sizeof(pt_ustr)];
    } info;
    ULONG got = 0;

    if (!looked_up) {
        FARPROC f = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationProcess");
        memcpy(&query, &f, sizeof query);
        looked_up = 1;
    }
    if (query == NULL ||
        query(process, PT_PROCESS_COMMAND_LINE_INFORMATION, &info, sizeof info, &got) < 0 ||
        info.s.Buffer == NULL || info.s.Length == 0) {
        return 0;
    }
    return pt_utf8(info.s.Buffer, info.s.Length / 2, out, cap);
}

/* DOMAIN\user of the process's token, as UTF-8; 0 if unknown. */
static uint32_t process_user(HANDLE process, char *out, uint32_t cap)
{
    HANDLE token = NULL;
    uint8_t info[256];
    DWORD got = 0;
    wchar_t name[128], domain[128], both[260];
    DWORD nl = 128, dl = 128;
    SID_NAME_USE use;
    uint32_t n = 0;

    if (!OpenProcessToken(process, TOKEN_QUERY, &token)) {
        return 0;
    }
    if (GetTokenInformation(token, TokenUser, info, sizeof info, &got) &&
        LookupAccountSidW(NULL, ((TOKEN_USER *)info)->User.Sid, name, &nl, domain, &dl, &use)) {
        int len = _snwprintf(both, 259, L"%ls\\%ls", domain, name);
        if (len > 0) {
            n = pt_utf8(both, len, out, cap);
        }
    }
    CloseHandle(token);
    return n;
}

static void write_one(pt_writer *w, pt_proc *procs, int i, uint8_t *rec, uint32_t rec_cap)
{
    pt_proc *p = &procs[i];
    struct pt_create_args a;
    static char name8[MAX_PATH * 4], image8[32768 * 3], user8[1024], cmd8[32768 * 3];
    static wchar_t image[32768];
    DWORD il = sizeof image / sizeof image[0];
    HANDLE process;
    uint32_t n;

    if (p->state != 0) {
        return; /* written, or a pid-reuse cycle */
    }
    p->state = 1;
    if (p->parent >= 0) {
        write_one(w, procs, p->parent, rec, rec_cap);
    }
    p->state = 2;

    ZeroMemory(&a, sizeof a);
    a.proc.pid = p->entry.th32ProcessID;
    a.proc.start_ns = p->start_ns;
    a.parent.pid = p->entry.th32ParentProcessID;
    a.parent.start_ns = p->parent >= 0 ? procs[p->parent].start_ns : 0;
    a.creator_pid = a.parent.pid;
    a.uid = PT_UID_UNKNOWN;
    a.threads = p->entry.cntThreads ? p->entry.cntThreads : 1;
    a.name.ptr = name8;
    a.name.len = pt_utf8(p->entry.szExeFile, (int)wcslen(p->entry.szExeFile), name8, sizeof name8);
    if (a.name.len == 0) {
        a.flags |= PT_PROC_NAME_UNKNOWN;
    }
    process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, p->entry.th32ProcessID);
    if (process != NULL) {
        if (QueryFullProcessImageNameW(process, 0, image, &il)) {
            a.image.ptr = image8;
            a.image.len = pt_utf8(image, (int)il, image8, sizeof image8);
        }
        a.user.ptr = user8;
        a.user.len = process_user(process, user8, sizeof user8);
        a.cmdline.ptr = cmd8;
        a.cmdline.len = process_cmdline(process, cmd8, sizeof cmd8);
        CloseHandle(process);
    }
    n = pt_encode_process_create(rec, rec_cap, 0, pt_wall_clock_ns(), &a);
    if (n != 0) {
        pt_writer_record(w, rec);
    }
}

int pt_write_snapshot(pt_writer *w, uint32_t reason)
{
    HANDLE snap;
    PROCESSENTRY32W e;
    pt_proc *procs = NULL;
    int count = 0, cap = 0, i, j;
    uint8_t *rec;
    uint8_t small[64];
    const uint32_t rec_cap = PT_MAX_RECORD_SIZE;

    rec = (uint8_t *)malloc(rec_cap);
    if (rec == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return -1;
    }
    snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snap == INVALID_HANDLE_VALUE) {
        free(rec);
        return -1; /* GetLastError() says why */
    }
    e.dwSize = sizeof e;
    for (BOOL ok = Process32FirstW(snap, &e); ok; ok = Process32NextW(snap, &e)) {
        if (count == cap) {
            pt_proc *more;
            cap = cap ? cap * 2 : 256;
            more = (pt_proc *)realloc(procs, (size_t)cap * sizeof *procs);
            if (more == NULL) {
                free(procs);
                free(rec);
                CloseHandle(snap);
                SetLastError(ERROR_NOT_ENOUGH_MEMORY);
                return -1; /* nothing written: no partial "complete" snapshot */
            }
            procs = more;
        }
        ZeroMemory(&procs[count], sizeof procs[count]);
        procs[count].entry = e;
        procs[count].parent = -1;
        {
            HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, e.th32ProcessID);
            FILETIME c, x, k, u;
            if (h != NULL) {
                if (GetProcessTimes(h, &c, &x, &k, &u)) {
                    procs[count].start_ns = filetime_ns(&c);
                }
                CloseHandle(h);
            }
        }
        count++;
        e.dwSize = sizeof e;
    }
    CloseHandle(snap);

    /* parent index: same pid, and not started after the child (pid reuse) */
    for (i = 0; i < count; i++) {
        for (j = 0; j < count; j++) {
            if (j != i && procs[j].entry.th32ProcessID == procs[i].entry.th32ParentProcessID &&
                procs[i].entry.th32ParentProcessID != 0 &&
                (procs[j].start_ns == 0 || procs[i].start_ns == 0 || procs[j].start_ns <= procs[i].start_ns)) {
                procs[i].parent = j;
                break;
            }
        }
    }

    pt_encode_snapshot(small, sizeof small, PT_REC_SNAPSHOT_BEGIN, 0, pt_wall_clock_ns(), reason, PT_SNAPSHOT_COMPLETE);
    pt_writer_record(w, small);
    for (i = 0; i < count; i++) {
        write_one(w, procs, i, rec, rec_cap);
    }
    pt_encode_snapshot(small, sizeof small, PT_REC_SNAPSHOT_END, 0, pt_wall_clock_ns(), reason, PT_SNAPSHOT_COMPLETE);
    pt_writer_record(w, small);
    free(rec);
    free(procs);
    return 0;
}
