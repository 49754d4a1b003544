/*++

Module Name:

    reader.c

Abstract:

    Readers (one per open handle) and the inverted call. PtReportEvent is
    the single path from an event's facts to every interested reader's
    bounded queue: it builds the record once (record.c), appends it to each
    queue under that reader's spin lock, and completes pended reads that can
    now be satisfied. Reads are pended with our own cancel routine
    (IoSetCancelRoutine, not IoCsq, which aborts under Wine 8), using the
    usual pattern: whoever clears the cancel routine owns the IRP; a
    completer that loses the race leaves the IRP to PtCancelRead.

    Lock order: PtGlobals.ReadersLock, then a reader's Lock. IRPs are
    completed only after both are released.

Environment:

    Kernel mode. PtReportEvent at PASSIVE_LEVEL; the rest <= DISPATCH_LEVEL.

--*/

#include "proctree.h"

static ULONG
PtMaskForType(
    _In_ USHORT Type)
{
    switch (Type) {
    case PT_REC_THREAD_CREATE:
    case PT_REC_THREAD_EXIT:
        return PT_MASK_THREAD;
    case PT_REC_IMAGE_LOAD:
        return PT_MASK_IMAGE;
    default:
        return PT_MASK_PROCESS;
    }
}

_Use_decl_annotations_
VOID
PtReaderRelease(
    PPT_READER Reader)
{
    if (InterlockedDecrement(&Reader->RefCount) == 0) {
        if (Reader->Ring != NULL) {
            ExFreePoolWithTag(Reader->Ring, PT_POOL_TAG);
        }
        ExFreePoolWithTag(Reader, PT_POOL_TAG);
    }
}

_Use_decl_annotations_
VOID
PtCompleteReads(
    PLIST_ENTRY Completed)
{
    while (!IsListEmpty(Completed)) {
        PLIST_ENTRY entry = RemoveHeadList(Completed);
        PIRP irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);
        PPT_READER reader = (PPT_READER)irp->Tail.Overlay.DriverContext[0];

        /* Drop the pended read's reference first: completing the IRP can
         * let the last handle close and the driver unload, after which
         * neither the reader nor this code may be touched. (The handle's
         * own reference outlives the IRP, so this never frees the reader.) */
        irp->Tail.Overlay.DriverContext[0] = NULL;
        PtReaderRelease(reader);
        IoCompleteRequest(irp, IO_NO_INCREMENT);
    }
}

/* Takes Irp off the pending list if we win the race with cancellation.
 * Returns FALSE when PtCancelRead owns it (it will complete it). */
_Requires_lock_held_(Reader->Lock)
static BOOLEAN
PtClaimPendedRead(
    _Inout_ PPT_READER Reader,
    _Inout_ PIRP Irp)
{
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    Reader->PendingCount -= 1;
    if (IoSetCancelRoutine(Irp, NULL) == NULL) {
        /* PtCancelRead is running or about to: let its RemoveEntryList find
         * a self-linked entry, and leave the IRP to it. */
        InitializeListHead(&Irp->Tail.Overlay.ListEntry);
        Reader->PendingCount += 1; /* it decrements when it runs */
        return FALSE;
    }
    return TRUE;
}

_Use_decl_annotations_
ULONG
PtReaderPop(
    PPT_READER Reader,
    PVOID Buffer,
    ULONG Length,
    ULONG64 NowNs)
{
    /* The copy runs under the reader's spin lock, at DISPATCH_LEVEL, while
     * PtBroadcast may spin on that lock: bound it. The caller reads again
     * for the rest. */
    if (Length > PT_READ_CHUNK_MAX) {
        Length = PT_READ_CHUNK_MAX;
    }
    return PtQueuePop(&Reader->Queue, Buffer, Length, NowNs);
}

_Use_decl_annotations_
VOID
PtServiceReads(
    PPT_READER Reader,
    PLIST_ENTRY Completed,
    ULONG64 NowNs)
{
    while (!IsListEmpty(&Reader->PendingReads) && Reader->Queue.Used != 0) {
        PIRP irp = CONTAINING_RECORD(Reader->PendingReads.Flink, IRP, Tail.Overlay.ListEntry);
        PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
        ULONG length = stack->Parameters.Read.Length;
        ULONG written;

        if (!PtClaimPendedRead(Reader, irp)) {
            continue;
        }
        written = PtReaderPop(Reader, irp->AssociatedIrp.SystemBuffer, length, NowNs);
        irp->IoStatus.Status = written != 0 ? STATUS_SUCCESS : STATUS_BUFFER_TOO_SMALL;
        irp->IoStatus.Information = written;
        InsertTailList(Completed, &irp->Tail.Overlay.ListEntry);
    }
}

_Use_decl_annotations_
VOID
PtFlushReads(
    PPT_READER Reader,
    PLIST_ENTRY Completed,
    NTSTATUS Status)
{
    PLIST_ENTRY entry = Reader->PendingReads.Flink;

    while (entry != &Reader->PendingReads) {
        PIRP irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);

        entry = entry->Flink;
        if (PtClaimPendedRead(Reader, irp)) {
            irp->IoStatus.Status = Status;
            irp->IoStatus.Information = 0;
            InsertTailList(Completed, &irp->Tail.Overlay.ListEntry);
        }
    }
}

_Use_decl_annotations_
VOID
PtCancelRead(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp)
{
    PPT_READER reader = (PPT_READER)Irp->Tail.Overlay.DriverContext[0];
    KIRQL irql;

    UNREFERENCED_PARAMETER(DeviceObject);
    IoReleaseCancelSpinLock(Irp->CancelIrql);

    KeAcquireSpinLock(&reader->Lock, &irql);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    reader->PendingCount -= 1;
    KeReleaseSpinLock(&reader->Lock, irql);

    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    Irp->Tail.Overlay.DriverContext[0] = NULL;
    PtReaderRelease(reader); /* before completing: see PtCompleteReads */
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/* Appends Record (or, when Record is NULL, one drop) to every attached
 * reader whose mask wants Mask, and completes reads it satisfies. */
_IRQL_requires_max_(DISPATCH_LEVEL)
static VOID
PtBroadcast(
    _In_opt_ const VOID *Record,
    _In_ ULONG Mask,
    _In_ ULONG64 NowNs)
{
    LIST_ENTRY completed;
    PLIST_ENTRY entry;
    KIRQL irql;

    InitializeListHead(&completed);
    KeAcquireSpinLock(&PtGlobals.ReadersLock, &irql);
    for (entry = PtGlobals.Readers.Flink; entry != &PtGlobals.Readers; entry = entry->Flink) {
        PPT_READER reader = CONTAINING_RECORD(entry, PT_READER, Link);
        int result;

        if ((reader->EventMask & (LONG)Mask) == 0) {
            continue;
        }
        KeAcquireSpinLockAtDpcLevel(&reader->Lock);
        if (Record != NULL) {
            result = PtQueuePush(&reader->Queue, Record, NowNs);
        } else {
            reader->Queue.LostPending += 1;
            reader->Queue.DroppedTotal += 1;
            /* Queue the events-lost record now, so that a pended read is
             * woken with it rather than after the next record built. */
            PtQueueFlushLost(&reader->Queue, NowNs);
            result = PT_DROPPED;
        }
        if (result == PT_DROPPED) {
            InterlockedIncrement64(&PtGlobals.DroppedTotal);
        }
        PtServiceReads(reader, &completed, NowNs);
        KeReleaseSpinLockFromDpcLevel(&reader->Lock);
    }
    KeReleaseSpinLock(&PtGlobals.ReadersLock, irql);
    PtCompleteReads(&completed);
}

_Use_decl_annotations_
VOID
PtReportEvent(
    const PT_FACTS *Facts)
{
    ULONG mask = PtMaskForType(Facts->Type);
    ULONG64 now;
    PVOID record = NULL;
    NTSTATUS status;

    if ((PtGlobals.MaskUnion & (LONG)mask) == 0) {
        return; /* no reader wants this kind */
    }
    now = PtNowNs();
    status = PtBuildRecord(Facts, now, &record);
    /* A record we could not build is a lost event for every reader. */
    PtBroadcast(NT_SUCCESS(status) ? record : NULL, mask, now);
    if (record != NULL) {
        PtFreeRecord(record);
    }
}

_Use_decl_annotations_
VOID
PtShutdownReaders(
    VOID)
{
    LIST_ENTRY completed;
    KIRQL irql;

    InitializeListHead(&completed);

    KeAcquireSpinLock(&PtGlobals.ReadersLock, &irql);
    while (!IsListEmpty(&PtGlobals.Readers)) {
        PPT_READER reader = CONTAINING_RECORD(RemoveHeadList(&PtGlobals.Readers), PT_READER, Link);

        reader->Attached = FALSE;
        PtGlobals.ReaderCount -= 1;
        KeAcquireSpinLockAtDpcLevel(&reader->Lock);
        reader->Closing = TRUE;
        PtFlushReads(reader, &completed, STATUS_DEVICE_REMOVED);
        KeReleaseSpinLockFromDpcLevel(&reader->Lock);
    }
    PtGlobals.MaskUnion = 0;
    KeReleaseSpinLock(&PtGlobals.ReadersLock, irql);

    /* Every pended read completes now. Windows calls DriverUnload only once
     * every handle is closed, so no reader was left above. An emulator may
     * unload with handles open: those readers are detached and closing (any
     * later request on them fails) and stay owned by their handle, which
     * frees them at IRP_MJ_CLOSE. */
    PtCompleteReads(&completed);
}
