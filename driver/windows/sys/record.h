/*++

Module Name:

    record.h

Abstract:

    The facts a kernel callback gathers about one event, and the single
    function that turns them into a wire record (proctree/wire.h). The
    process, thread and image-load callbacks and the test-only injection
    IOCTL all go through PtBuildRecord, so the Wine tests exercise the very
    code that runs on Windows.

Environment:

    Kernel mode, PASSIVE_LEVEL (string conversion). Also built natively for
    the Linux unit tests through a thin shim.

--*/

#ifndef PROCTREE_RECORD_H
#define PROCTREE_RECORD_H

#include "pt_kernel.h"
#include "proctree_ioctl.h"

typedef struct _PT_FACTS {
    USHORT Type;                    /* PT_REC_PROCESS_CREATE, _EXIT, PT_REC_THREAD_*, PT_REC_IMAGE_LOAD */
    ULONG Pid;                      /* process (owning process for thread/image) */
    ULONG ParentPid;                /* create */
    ULONG CreatorPid;               /* create: process that asked for it */
    ULONG CreatorTid;               /* create */
    ULONG Tid;                      /* thread */
    LONG ExitCode;                  /* exit, thread exit */
    ULONG64 StartNs;                /* process start, ns since the Unix epoch (0: unknown) */
    ULONG64 ParentStartNs;          /* create (0: unknown) */
    ULONG64 ImageBase;              /* image load */
    ULONG64 ImageSize;              /* image load */
    PCUNICODE_STRING ImagePath;     /* create, image load; optional */
    PCUNICODE_STRING CommandLine;   /* create; optional */
} PT_FACTS, *PPT_FACTS;

/* Windows FILETIME (100 ns since 1601) to ns since the Unix epoch; 0 stays 0. */
#define PT_FILETIME_UNIX_OFFSET 116444736000000000ull
#define PT_FILETIME_TO_NS(ft) \
    ((ULONG64)(ft) > PT_FILETIME_UNIX_OFFSET ? ((ULONG64)(ft) - PT_FILETIME_UNIX_OFFSET) * 100ull : 0ull)

/* Longest string taken from the kernel, in UTF-16 code units; the encoder
 * cuts the UTF-8 result to PT_MAX_STRING bytes as well. */
#define PT_MAX_STRING_CHARS PT_MAX_STRING

/* Builds one whole wire record (seq 0, time NowNs) from Facts into a new
 * nonpaged allocation returned in *Record (free with PtFreeRecord). Strings
 * are converted from UTF-16 to UTF-8 with RtlUnicodeToUTF8N; too-long ones
 * are cut and flagged. */
_IRQL_requires_max_(PASSIVE_LEVEL)
_Must_inspect_result_
NTSTATUS
PtBuildRecord(
    _In_ const PT_FACTS *Facts,
    _In_ ULONG64 NowNs,
    _Outptr_result_maybenull_ PVOID *Record);

VOID
PtFreeRecord(
    _In_ PVOID Record);

#endif /* PROCTREE_RECORD_H */
