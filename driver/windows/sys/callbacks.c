/*++

Module Name:

    callbacks.c

Abstract:

    The kernel notify routines. Each gathers the facts of one event from the
    kernel (pids, start times, exit status, image name, command line) and
    hands them to PtReportEvent, the one path to the readers' queues that
    the test-only injection IOCTL also takes. Nothing here touches a queue
    or a string encoding.

    Thread and image-load facts are gathered only while some reader has
    asked for them (IOCTL_PT_SET_EVENT_MASK); the union of the readers'
    masks is checked first, so an unused callback costs one load.

Environment:

    Kernel mode. All three routines are called at PASSIVE_LEVEL.

--*/

#include "proctree.h"

/* Exported by ntoskrnl (and in mingw-w64's libntoskrnl.a) but declared in
 * no header. */
NTKERNELAPI
NTSTATUS
NTAPI
PsGetProcessExitStatus(
    _In_ PEPROCESS Process);

/* Start time of a process in ns since the Unix epoch (0 if unknown). */
_IRQL_requires_max_(APC_LEVEL)
static ULONG64
PtProcessStartNs(
    _In_ PEPROCESS Process)
{
    return PT_FILETIME_TO_NS(PsGetProcessCreateTimeQuadPart(Process));
}

/* Start time of the process with this pid, if it is alive (0 if not). */
_IRQL_requires_max_(APC_LEVEL)
static ULONG64
PtPidStartNs(
    _In_ HANDLE ProcessId)
{
    PEPROCESS process = NULL;
    ULONG64 start = 0;

    if (ProcessId == NULL) {
        return 0;
    }
    if (NT_SUCCESS(PsLookupProcessByProcessId(ProcessId, &process))) {
        start = PtProcessStartNs(process);
        ObDereferenceObject(process);
    }
    return start;
}

#define PT_HANDLE_TO_ULONG(h) ((ULONG)(ULONG_PTR)(h))

VOID NTAPI
PtProcessNotify(
    _Inout_ PEPROCESS Process,
    _In_ HANDLE ProcessId,
    _Inout_opt_ PPS_CREATE_NOTIFY_INFO CreateInfo)
{
    PT_FACTS facts;

    RtlZeroMemory(&facts, sizeof(facts));
    facts.Pid = PT_HANDLE_TO_ULONG(ProcessId);
    facts.StartNs = PtProcessStartNs(Process);

    if (CreateInfo != NULL) {
        /* Another driver's callback has already denied the creation: the
         * process will never run. Observe only; never change the status. */
        if (!NT_SUCCESS(CreateInfo->CreationStatus)) {
            return;
        }
        facts.Type = PT_REC_PROCESS_CREATE;
        facts.ParentPid = PT_HANDLE_TO_ULONG(CreateInfo->ParentProcessId);
        /* The parent as recorded may be dead or its pid reused; consumers
         * resolve that with the start-time rule. */
        facts.ParentStartNs = PtPidStartNs(CreateInfo->ParentProcessId);
        facts.CreatorPid = PT_HANDLE_TO_ULONG(CreateInfo->CreatingThreadId.UniqueProcess);
        facts.CreatorTid = PT_HANDLE_TO_ULONG(CreateInfo->CreatingThreadId.UniqueThread);
        facts.ImagePath = CreateInfo->ImageFileName;
        facts.CommandLine = CreateInfo->CommandLine;
    } else {
        facts.Type = PT_REC_PROCESS_EXIT;
        facts.ExitCode = PsGetProcessExitStatus(Process);
    }
    PtReportEvent(&facts);
}

VOID NTAPI
PtThreadNotify(
    _In_ HANDLE ProcessId,
    _In_ HANDLE ThreadId,
    _In_ BOOLEAN Create)
{
    PT_FACTS facts;

    if ((PtGlobals.MaskUnion & PT_MASK_THREAD) == 0) {
        return;
    }
    RtlZeroMemory(&facts, sizeof(facts));
    facts.Type = Create ? PT_REC_THREAD_CREATE : PT_REC_THREAD_EXIT;
    facts.Pid = PT_HANDLE_TO_ULONG(ProcessId);
    facts.Tid = PT_HANDLE_TO_ULONG(ThreadId);
    facts.StartNs = PtPidStartNs(ProcessId);
    PtReportEvent(&facts);
}

VOID NTAPI
PtImageNotify(
    _In_opt_ PUNICODE_STRING FullImageName,
    _In_ HANDLE ProcessId,
    _In_ PIMAGE_INFO ImageInfo)
{
    PT_FACTS facts;

    if ((PtGlobals.MaskUnion & PT_MASK_IMAGE) == 0) {
        return;
    }
    RtlZeroMemory(&facts, sizeof(facts));
    facts.Type = PT_REC_IMAGE_LOAD;
    if (!ImageInfo->SystemModeImage) {
        facts.Pid = PT_HANDLE_TO_ULONG(ProcessId);
        facts.StartNs = PtPidStartNs(ProcessId);
    }
    facts.ImageBase = (ULONG64)(ULONG_PTR)ImageInfo->ImageBase;
    facts.ImageSize = ImageInfo->ImageSize;
    facts.ImagePath = FullImageName;
    PtReportEvent(&facts);
}
