/*++

Module Name:

    dispatch.c

Abstract:

    IRP dispatch for \Device\ProcTree: IRP_MJ_CREATE gives each handle its
    own reader and bounded queue; IRP_MJ_READ returns whole records or pends
    (inverted call, see reader.c); IRP_MJ_CLEANUP and IRP_MJ_CLOSE complete
    pended reads and free the reader; IRP_MJ_DEVICE_CONTROL serves the
    METHOD_BUFFERED IOCTLs of proctree_ioctl.h, every length checked. In
    builds with PROCTREE_TEST_IOCTL (never the release driver) it also
    serves IOCTL_PT_TEST_INJECT, which feeds synthetic facts to
    PtReportEvent, the path the kernel callbacks take.

Environment:

    Kernel mode, PASSIVE_LEVEL (dispatch routines of a top-level device).

--*/

#include "proctree.h"

#define PT_BUILD_STRING_RELEASE "proctree.sys release"
#define PT_BUILD_STRING_TEST    "proctree.sys TEST-IOCTL"

static NTSTATUS
PtComplete(
    _Inout_ PIRP Irp,
    _In_ NTSTATUS Status,
    _In_ ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* Recomputes the union of attached readers' masks (ReadersLock held). */
_Requires_lock_held_(PtGlobals.ReadersLock)
static VOID
PtUpdateMaskUnion(
    VOID)
{
    PLIST_ENTRY entry;
    LONG mask = 0;

    for (entry = PtGlobals.Readers.Flink; entry != &PtGlobals.Readers; entry = entry->Flink) {
        mask |= CONTAINING_RECORD(entry, PT_READER, Link)->EventMask;
    }
    InterlockedExchange(&PtGlobals.MaskUnion, mask);
}

/* Stops delivery to Reader and completes its pended reads with Status. */
_IRQL_requires_max_(DISPATCH_LEVEL)
static VOID
PtDetachReader(
    _Inout_ PPT_READER Reader,
    _In_ NTSTATUS Status)
{
    LIST_ENTRY completed;
    KIRQL irql;

    InitializeListHead(&completed);
    KeAcquireSpinLock(&PtGlobals.ReadersLock, &irql);
    if (Reader->Attached) {
        RemoveEntryList(&Reader->Link);
        Reader->Attached = FALSE;
        PtGlobals.ReaderCount -= 1;
        PtUpdateMaskUnion();
    }
    KeAcquireSpinLockAtDpcLevel(&Reader->Lock);
    Reader->Closing = TRUE;
    PtFlushReads(Reader, &completed, Status);
    KeReleaseSpinLockFromDpcLevel(&Reader->Lock);
    KeReleaseSpinLock(&PtGlobals.ReadersLock, irql);
    PtCompleteReads(&completed);
}

/* Refuses callers that are not SYSTEM or administrators, in case the DACL
 * set at load was replaced. Where the I/O manager gives no access state
 * the DACL alone decides. */
static BOOLEAN
PtCallerIsAdmin(
    _In_ PIO_STACK_LOCATION Stack)
{
    PIO_SECURITY_CONTEXT context = Stack->Parameters.Create.SecurityContext;
    PSECURITY_SUBJECT_CONTEXT subject;
    PACCESS_TOKEN token;

    if (context == NULL || context->AccessState == NULL) {
        return TRUE;
    }
    subject = &context->AccessState->SubjectSecurityContext;
    token = subject->ClientToken != NULL ? subject->ClientToken : subject->PrimaryToken;
    return token == NULL || SeTokenIsAdmin(token);
}

_Use_decl_annotations_
NTSTATUS
PtDispatchCreate(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PFILE_OBJECT file = stack->FileObject;
    PPT_READER reader;
    KIRQL irql;

    UNREFERENCED_PARAMETER(DeviceObject);
    if (file->FileName.Length != 0) {
        return PtComplete(Irp, STATUS_OBJECT_NAME_NOT_FOUND, 0);
    }
    if (!PtCallerIsAdmin(stack)) {
        return PtComplete(Irp, STATUS_ACCESS_DENIED, 0);
    }

    reader = (PPT_READER)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*reader), PT_POOL_TAG);
    if (reader == NULL) {
        return PtComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    }
    RtlZeroMemory(reader, sizeof(*reader));
    reader->Ring = (PUCHAR)ExAllocatePoolWithTag(NonPagedPoolNx, PtGlobals.QueueCapBytes, PT_POOL_TAG);
    if (reader->Ring == NULL) {
        ExFreePoolWithTag(reader, PT_POOL_TAG);
        return PtComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    }
    KeInitializeSpinLock(&reader->Lock);
    PtQueueInit(&reader->Queue, reader->Ring, PtGlobals.QueueCapBytes);
    InitializeListHead(&reader->PendingReads);
    reader->RefCount = 1; /* the handle's */
    reader->EventMask = PT_MASK_PROCESS;
    reader->FileObject = file;
    file->FsContext = reader;

    KeAcquireSpinLock(&PtGlobals.ReadersLock, &irql);
    InsertTailList(&PtGlobals.Readers, &reader->Link);
    reader->Attached = TRUE;
    PtGlobals.ReaderCount += 1;
    PtUpdateMaskUnion();
    KeReleaseSpinLock(&PtGlobals.ReadersLock, irql);

    return PtComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_
NTSTATUS
PtDispatchCleanup(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp)
{
    PPT_READER reader = (PPT_READER)IoGetCurrentIrpStackLocation(Irp)->FileObject->FsContext;

    UNREFERENCED_PARAMETER(DeviceObject);
    if (reader != NULL) {
        PtDetachReader(reader, STATUS_CANCELLED);
    }
    return PtComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_
NTSTATUS
PtDispatchClose(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp)
{
    PFILE_OBJECT file = IoGetCurrentIrpStackLocation(Irp)->FileObject;
    PPT_READER reader = (PPT_READER)InterlockedExchangePointer(&file->FsContext, NULL);

    UNREFERENCED_PARAMETER(DeviceObject);
    if (reader != NULL) {
        PtDetachReader(reader, STATUS_CANCELLED); /* no-op after cleanup */
        PtReaderRelease(reader);
    }
    return PtComplete(Irp, STATUS_SUCCESS, 0);
}

_Use_decl_annotations_
NTSTATUS
PtDispatchRead(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PPT_READER reader = (PPT_READER)stack->FileObject->FsContext;
    ULONG length = stack->Parameters.Read.Length;
    LIST_ENTRY completed;
    ULONG64 now;
    ULONG written;
    KIRQL irql;

    UNREFERENCED_PARAMETER(DeviceObject);
    if (reader == NULL) {
        return PtComplete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    }
    if (length < sizeof(struct pt_record_header) || Irp->AssociatedIrp.SystemBuffer == NULL) {
        return PtComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    }

    InitializeListHead(&completed);
    now = PtNowNs();
    KeAcquireSpinLock(&reader->Lock, &irql);
    if (reader->Closing) {
        KeReleaseSpinLock(&reader->Lock, irql);
        return PtComplete(Irp, STATUS_DELETE_PENDING, 0);
    }
    if (reader->Queue.Used != 0 && IsListEmpty(&reader->PendingReads)) {
        written = PtReaderPop(reader, Irp->AssociatedIrp.SystemBuffer, length, now);
        KeReleaseSpinLock(&reader->Lock, irql);
        return PtComplete(Irp, written != 0 ? STATUS_SUCCESS : STATUS_BUFFER_TOO_SMALL, written);
    }

    /* Nothing to give: pend (inverted call). The read holds a reference on
     * the reader until whoever completes it releases it. */
    Irp->Tail.Overlay.DriverContext[0] = reader;
    InterlockedIncrement(&reader->RefCount);
    IoMarkIrpPending(Irp);
    InsertTailList(&reader->PendingReads, &Irp->Tail.Overlay.ListEntry);
    reader->PendingCount += 1;
    IoSetCancelRoutine(Irp, PtCancelRead);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
        /* Cancelled before we set the routine, and we took it back first. */
        RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
        reader->PendingCount -= 1;
        Irp->IoStatus.Status = STATUS_CANCELLED;
        Irp->IoStatus.Information = 0;
        InsertTailList(&completed, &Irp->Tail.Overlay.ListEntry);
    } else {
        /* (If cancelled and the routine was already taken, PtCancelRead runs
         * once the cancel spin lock is released and unlinks it.) */
        PtServiceReads(reader, &completed, now);
    }
    KeReleaseSpinLock(&reader->Lock, irql);
    PtCompleteReads(&completed);
    return STATUS_PENDING;
}

#ifdef PROCTREE_TEST_IOCTL
PT_STATIC_ASSERT(sizeof(PT_INJECT) == PT_INJECT_FIXED, "PT_INJECT layout");

#define PT_INJECT_MAX_COUNT 10000000u
#define PT_INJECT_MAX_CHARS 32767u

/* TEST BUILDS ONLY: synthetic facts through PtReportEvent, Count times. */
_IRQL_requires_(PASSIVE_LEVEL)
static NTSTATUS
PtTestInject(
    _In_reads_bytes_(InputLength) PUCHAR Buffer,
    _In_ ULONG InputLength,
    _In_ ULONG OutputLength,
    _Out_ PULONG_PTR Information)
{
    PT_INJECT inject;
    UNICODE_STRING image;
    UNICODE_STRING command;
    PT_FACTS facts;
    ULONG count;
    ULONG i;

    *Information = 0;
    if (InputLength < PT_INJECT_FIXED) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    RtlCopyMemory(&inject, Buffer, PT_INJECT_FIXED);
    /* A UNICODE_STRING holds at most 32767 units: more would wrap Length. */
    if (inject.ImageChars > PT_INJECT_MAX_CHARS || inject.CommandChars > PT_INJECT_MAX_CHARS) {
        return STATUS_INVALID_PARAMETER;
    }
    if (InputLength < PT_INJECT_FIXED + 2u * ((ULONG)inject.ImageChars + inject.CommandChars)) {
        return STATUS_INVALID_PARAMETER;
    }
    if (OutputLength != 0 && OutputLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    count = inject.Count != 0 ? inject.Count : 1;
    if (count > PT_INJECT_MAX_COUNT) {
        return STATUS_INVALID_PARAMETER;
    }
    image.Length = image.MaximumLength = (USHORT)(inject.ImageChars * sizeof(WCHAR));
    image.Buffer = (PWCH)(Buffer + PT_INJECT_FIXED);
    command.Length = command.MaximumLength = (USHORT)(inject.CommandChars * sizeof(WCHAR));
    command.Buffer = (PWCH)(Buffer + PT_INJECT_FIXED + image.Length);

    RtlZeroMemory(&facts, sizeof(facts));
    facts.Type = inject.Type;
    facts.ParentPid = inject.ParentPid;
    facts.CreatorPid = inject.CreatorPid;
    facts.CreatorTid = inject.CreatorTid;
    facts.Tid = inject.Tid;
    facts.ExitCode = inject.ExitCode;
    facts.StartNs = inject.StartNs;
    facts.ParentStartNs = inject.ParentStartNs;
    facts.ImageBase = inject.ImageBase;
    facts.ImageSize = inject.ImageSize;
    facts.ImagePath = inject.ImageChars != 0 ? &image : NULL;
    facts.CommandLine = inject.CommandChars != 0 ? &command : NULL;
    switch (facts.Type) {
    case PT_REC_PROCESS_CREATE:
    case PT_REC_PROCESS_EXIT:
    case PT_REC_THREAD_CREATE:
    case PT_REC_THREAD_EXIT:
    case PT_REC_IMAGE_LOAD:
        break;
    default:
        return STATUS_INVALID_PARAMETER;
    }

    for (i = 0; i < count; i++) {
        facts.Pid = inject.Pid + i * inject.PidStep;
        PtReportEvent(&facts);
    }
    if (OutputLength >= sizeof(ULONG)) {
        RtlCopyMemory(Buffer, &count, sizeof(ULONG));
        *Information = sizeof(ULONG);
    }
    return STATUS_SUCCESS;
}
#endif /* PROCTREE_TEST_IOCTL */

_Use_decl_annotations_
NTSTATUS
PtDispatchDeviceControl(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PPT_READER reader = (PPT_READER)stack->FileObject->FsContext;
    ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
    ULONG inLength = stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG outLength = stack->Parameters.DeviceIoControl.OutputBufferLength;
    PUCHAR buffer = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
    ULONG_PTR information = 0;
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL irql;

    UNREFERENCED_PARAMETER(DeviceObject);
    if (reader == NULL) {
        return PtComplete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    }
    if (buffer == NULL && (inLength != 0 || outLength != 0)) {
        return PtComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    }

    switch (code) {
    case IOCTL_PT_GET_VERSION: {
        PT_VERSION_INFO info;
        static const char build[] =
#ifdef PROCTREE_TEST_IOCTL
            PT_BUILD_STRING_TEST;
#else
            PT_BUILD_STRING_RELEASE;
#endif
        if (outLength < sizeof(info)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        RtlZeroMemory(&info, sizeof(info));
        info.WireMajor = PT_WIRE_VERSION_MAJOR;
        info.WireMinor = PT_WIRE_VERSION_MINOR;
        info.InterfaceVersion = PT_IOCTL_INTERFACE_VERSION;
        info.DriverVersion = PT_DRIVER_VERSION;
#ifdef PROCTREE_TEST_IOCTL
        info.Flags = PT_DRIVER_TEST_BUILD;
#endif
        RtlCopyMemory(info.Build, build, sizeof(build) < sizeof(info.Build) ? sizeof(build) : sizeof(info.Build) - 1);
        RtlCopyMemory(buffer, &info, sizeof(info));
        information = sizeof(info);
        break;
    }
    case IOCTL_PT_GET_STATS: {
        PT_STATS stats;

        if (outLength < sizeof(stats)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        RtlZeroMemory(&stats, sizeof(stats));
        KeAcquireSpinLock(&reader->Lock, &irql);
        stats.QueuedBytes = reader->Queue.Used;
        stats.QueuedRecords = reader->Queue.Records;
        stats.Dropped = reader->Queue.DroppedTotal;
        stats.Delivered = reader->Queue.Delivered;
        stats.QueueCapBytes = reader->Queue.Capacity;
        stats.EventMask = (ULONG)reader->EventMask;
        stats.PendingReads = reader->PendingCount;
        KeReleaseSpinLock(&reader->Lock, irql);
        stats.Readers = PtGlobals.ReaderCount;
        stats.DroppedTotal = (ULONG64)InterlockedCompareExchange64(&PtGlobals.DroppedTotal, 0, 0);
        RtlCopyMemory(buffer, &stats, sizeof(stats));
        information = sizeof(stats);
        break;
    }
    case IOCTL_PT_SET_EVENT_MASK: {
        ULONG mask;
        ULONG previous;

        if (inLength < sizeof(ULONG) || (outLength != 0 && outLength < sizeof(ULONG))) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        RtlCopyMemory(&mask, buffer, sizeof(ULONG));
        if ((mask & ~PT_MASK_ALL) != 0) {
            status = STATUS_INVALID_PARAMETER;
            break;
        }
        mask |= PT_MASK_PROCESS;
        KeAcquireSpinLock(&PtGlobals.ReadersLock, &irql);
        previous = (ULONG)InterlockedExchange(&reader->EventMask, (LONG)mask);
        PtUpdateMaskUnion();
        KeReleaseSpinLock(&PtGlobals.ReadersLock, irql);
        if (outLength >= sizeof(ULONG)) {
            RtlCopyMemory(buffer, &previous, sizeof(ULONG));
            information = sizeof(ULONG);
        }
        break;
    }
    case IOCTL_PT_NEXT_RECORD_SIZE: {
        ULONG size;

        if (outLength < sizeof(ULONG)) {
            status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        KeAcquireSpinLock(&reader->Lock, &irql);
        size = PtQueueNextSize(&reader->Queue);
        KeReleaseSpinLock(&reader->Lock, irql);
        RtlCopyMemory(buffer, &size, sizeof(ULONG));
        information = sizeof(ULONG);
        break;
    }
#ifdef PROCTREE_TEST_IOCTL
    case IOCTL_PT_TEST_INJECT:
        status = PtTestInject(buffer, inLength, outLength, &information);
        break;
#endif
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    return PtComplete(Irp, status, information);
}
