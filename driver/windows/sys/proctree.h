/*++

Module Name:

    proctree.h

Abstract:

    Private declarations of proctree.sys: the driver-wide state, the
    per-handle reader, and the routines the modules share. The interface
    to user mode is ../include/proctree_ioctl.h; the records are
    proctree/wire.h.

Environment:

    Kernel mode.

--*/

#ifndef PROCTREE_DRIVER_H
#define PROCTREE_DRIVER_H

#include "pt_kernel.h"
#include "proctree_ioctl.h"
#include "queue.h"
#include "record.h"

#define PT_DRIVER_VERSION 0x00010000u /* 0.1.0 */

/* Flags in PtGlobals.Setup: what DriverEntry has done, so that failure
 * cleanup and DriverUnload undo exactly that, in reverse order. */
#define PT_SETUP_DEVICE         0x0001u
#define PT_SETUP_SYMLINK        0x0002u
#define PT_SETUP_PROCESS_NOTIFY 0x0004u
#define PT_SETUP_THREAD_NOTIFY  0x0008u
#define PT_SETUP_IMAGE_NOTIFY   0x0010u

typedef VOID (NTAPI *PT_QUERY_TIME_ROUTINE)(_Out_ PLARGE_INTEGER CurrentTime);

/* One per open handle (FILE_OBJECT->FsContext). */
typedef struct _PT_READER {
    LIST_ENTRY Link;            /* PtGlobals.Readers, under ReadersLock */
    BOOLEAN Attached;           /* in PtGlobals.Readers */
    BOOLEAN Closing;            /* cleanup has run: no new reads */
    volatile LONG RefCount;     /* handle + one per pended read */
    volatile LONG EventMask;    /* PT_MASK_* */
    PFILE_OBJECT FileObject;
    KSPIN_LOCK Lock;            /* Queue, PendingReads, Closing */
    PT_QUEUE Queue;
    LIST_ENTRY PendingReads;    /* IRPs via Tail.Overlay.ListEntry */
    ULONG PendingCount;
    PUCHAR Ring;                /* Queue storage, nonpaged, QueueCapBytes */
} PT_READER, *PPT_READER;

typedef struct _PT_GLOBALS {
    PDRIVER_OBJECT DriverObject;
    PDEVICE_OBJECT DeviceObject;
    ULONG Setup;                /* PT_SETUP_* */
    ULONG QueueCapBytes;        /* per reader, from the Parameters key */
    KSPIN_LOCK ReadersLock;     /* Readers, ReaderCount, MaskUnion; taken before a reader's Lock */
    LIST_ENTRY Readers;
    ULONG ReaderCount;
    volatile LONG MaskUnion;    /* union of readers' masks: callbacks skip work nobody wants */
    volatile LONG64 DroppedTotal;
    PT_QUERY_TIME_ROUTINE QueryTime;
} PT_GLOBALS;

extern PT_GLOBALS PtGlobals;

/* driver.c */
ULONG64
PtNowNs(
    VOID);

/* dispatch.c */
_Dispatch_type_(IRP_MJ_CREATE) DRIVER_DISPATCH PtDispatchCreate;
_Dispatch_type_(IRP_MJ_CLEANUP) DRIVER_DISPATCH PtDispatchCleanup;
_Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH PtDispatchClose;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH PtDispatchRead;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH PtDispatchDeviceControl;

/* Detaches every reader and completes its pended reads (unload). */
_IRQL_requires_max_(PASSIVE_LEVEL)
VOID
PtShutdownReaders(
    VOID);

/* reader.c: the one path from facts to every interested reader's queue. */
_IRQL_requires_max_(PASSIVE_LEVEL)
VOID
PtReportEvent(
    _In_ const PT_FACTS *Facts);

_IRQL_requires_max_(DISPATCH_LEVEL)
VOID
PtReaderRelease(
    _In_ PPT_READER Reader);

_IRQL_requires_max_(DISPATCH_LEVEL)
VOID
PtCompleteReads(
    _Inout_ PLIST_ENTRY Completed);

/* Most bytes one read copies out of a queue (under the reader's spin lock);
 * a larger buffer is filled up to this, and the reader reads again. */
#define PT_READ_CHUNK_MAX (256u * 1024u)
PT_STATIC_ASSERT(PT_READ_CHUNK_MAX >= PT_MAX_RECORD_SIZE, "a read must hold the largest record");

/* Moves whole records (at most PT_READ_CHUNK_MAX bytes, never more than
 * Length) from Reader's queue into Buffer, its Lock held; returns bytes. */
_Requires_lock_held_(Reader->Lock)
ULONG
PtReaderPop(
    _Inout_ PPT_READER Reader,
    _Out_writes_bytes_(Length) PVOID Buffer,
    _In_ ULONG Length,
    _In_ ULONG64 NowNs);

/* Takes pended reads off Reader (its Lock held) that can be completed now,
 * filling them from the queue, onto Completed. */
_Requires_lock_held_(Reader->Lock)
VOID
PtServiceReads(
    _Inout_ PPT_READER Reader,
    _Inout_ PLIST_ENTRY Completed,
    _In_ ULONG64 NowNs);

/* Takes every pended read off Reader (its Lock held) onto Completed with
 * the given status. */
_Requires_lock_held_(Reader->Lock)
VOID
PtFlushReads(
    _Inout_ PPT_READER Reader,
    _Inout_ PLIST_ENTRY Completed,
    _In_ NTSTATUS Status);

DRIVER_CANCEL PtCancelRead;

/* callbacks.c */
VOID NTAPI
PtProcessNotify(
    _Inout_ PEPROCESS Process,
    _In_ HANDLE ProcessId,
    _Inout_opt_ PPS_CREATE_NOTIFY_INFO CreateInfo);

VOID NTAPI
PtThreadNotify(
    _In_ HANDLE ProcessId,
    _In_ HANDLE ThreadId,
    _In_ BOOLEAN Create);

VOID NTAPI
PtImageNotify(
    _In_opt_ PUNICODE_STRING FullImageName,
    _In_ HANDLE ProcessId,
    _In_ PIMAGE_INFO ImageInfo);

#endif /* PROCTREE_DRIVER_H */
