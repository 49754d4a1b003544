/*++

Module Name:

    record.c

Abstract:

    PtBuildRecord: the one place where facts about a kernel event become a
    wire record. Callers: the process/thread/image-load notify routines
    (callbacks.c) and, in test builds only, the injection IOCTL
    (dispatch.c). Encoding itself is proctree/wire_encode.h; this file only
    converts strings (UTF-16 -> UTF-8, RtlUnicodeToUTF8N at PASSIVE_LEVEL),
    derives the short name from the image path and sizes the allocation.

Environment:

    Kernel mode, PASSIVE_LEVEL.

--*/

#include "record.h"

#include <proctree/wire_encode.h>

/* One converted string: UTF-8 bytes in caller-provided scratch. */
typedef struct _PT_UTF8 {
    struct pt_str Str;
    BOOLEAN Truncated;
} PT_UTF8;

/*
 * Converts Source (UTF-16, at most PT_MAX_STRING_CHARS units are taken,
 * never splitting a surrogate pair) into Scratch, which holds 3 bytes per
 * unit taken. Invalid UTF-16 comes out as U+FFFD (RtlUnicodeToUTF8N's
 * STATUS_SOME_NOT_MAPPED is a success code).
 */
_IRQL_requires_max_(PASSIVE_LEVEL)
static NTSTATUS
PtConvert(
    _In_opt_ PCUNICODE_STRING Source,
    _Out_writes_bytes_(ScratchBytes) char *Scratch,
    _In_ ULONG ScratchBytes,
    _Out_ PT_UTF8 *Result)
{
    ULONG units;
    ULONG written = 0;
    NTSTATUS status;

    Result->Str.ptr = Scratch;
    Result->Str.len = 0;
    Result->Truncated = FALSE;
    if (Source == NULL || Source->Buffer == NULL || Source->Length < sizeof(WCHAR)) {
        return STATUS_SUCCESS;
    }
    units = Source->Length / sizeof(WCHAR);
    if (units > PT_MAX_STRING_CHARS) {
        units = PT_MAX_STRING_CHARS;
        if (Source->Buffer[units - 1] >= 0xD800 && Source->Buffer[units - 1] <= 0xDBFF) {
            units -= 1;
        }
        Result->Truncated = TRUE;
    }
    if (ScratchBytes < units * 3) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    status = RtlUnicodeToUTF8N(Scratch, ScratchBytes, &written, Source->Buffer, units * (ULONG)sizeof(WCHAR));
    if (!NT_SUCCESS(status)) {
        return status;
    }
    Result->Str.len = written;
    return STATUS_SUCCESS;
}

static ULONG
PtUnitsTaken(
    _In_opt_ PCUNICODE_STRING Source)
{
    ULONG units;

    if (Source == NULL || Source->Buffer == NULL) {
        return 0;
    }
    units = Source->Length / sizeof(WCHAR);
    return units > PT_MAX_STRING_CHARS ? PT_MAX_STRING_CHARS : units;
}

/* The last component of a path ("\\Device\\...\\cmd.exe" -> "cmd.exe"). */
static struct pt_str
PtBaseName(
    _In_ struct pt_str Path)
{
    ULONG i = Path.len;

    while (i > 0 && Path.ptr[i - 1] != '\\' && Path.ptr[i - 1] != '/') {
        i--;
    }
    Path.ptr += i;
    Path.len -= i;
    return Path;
}

_IRQL_requires_max_(PASSIVE_LEVEL)
_Must_inspect_result_
NTSTATUS
PtBuildRecord(
    _In_ const PT_FACTS *Facts,
    _In_ ULONG64 NowNs,
    _Outptr_result_maybenull_ PVOID *Record)
{
    struct pt_ident proc = { Facts->Pid, 0, Facts->StartNs };
    struct pt_create_args create;
    PT_UTF8 image = { { NULL, 0 }, FALSE };
    PT_UTF8 command = { { NULL, 0 }, FALSE };
    ULONG imageUnits = 0;
    ULONG commandUnits = 0;
    ULONG scratchBytes;
    char *scratch = NULL;
    PVOID record = NULL;
    uint32_t size;
    NTSTATUS status;

    *Record = NULL;
    pt__zero(&create, sizeof(create));

    switch (Facts->Type) {
    case PT_REC_PROCESS_CREATE:
        imageUnits = PtUnitsTaken(Facts->ImagePath);
        commandUnits = PtUnitsTaken(Facts->CommandLine);
        break;
    case PT_REC_IMAGE_LOAD:
        imageUnits = PtUnitsTaken(Facts->ImagePath);
        break;
    case PT_REC_PROCESS_EXIT:
    case PT_REC_THREAD_CREATE:
    case PT_REC_THREAD_EXIT:
        break;
    default:
        return STATUS_INVALID_PARAMETER;
    }

    scratchBytes = 3 * (imageUnits + commandUnits) + 8;
    scratch = (char *)ExAllocatePoolWithTag(NonPagedPoolNx, scratchBytes, PT_POOL_TAG);
    if (scratch == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = PtConvert(imageUnits != 0 ? Facts->ImagePath : NULL, scratch, 3 * imageUnits, &image);
    if (NT_SUCCESS(status) && commandUnits != 0) {
        status = PtConvert(Facts->CommandLine, scratch + 3 * imageUnits, 3 * commandUnits + 8, &command);
    }
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }

    switch (Facts->Type) {
    case PT_REC_PROCESS_CREATE:
        create.proc = proc;
        create.parent.pid = Facts->ParentPid;
        create.parent.reserved = 0;
        create.parent.start_ns = Facts->ParentStartNs;
        create.creator_pid = Facts->CreatorPid;
        create.creator_tid = Facts->CreatorTid;
        create.uid = PT_UID_UNKNOWN;
        create.flags = 0;
        if (image.Truncated) {
            create.flags |= PT_PROC_IMAGE_TRUNCATED;
        }
        if (command.Truncated) {
            create.flags |= PT_PROC_CMDLINE_TRUNCATED;
        }
        create.threads = 1;
        create.name = PtBaseName(image.Str);
        if (create.name.len == 0) {
            create.flags |= PT_PROC_NAME_UNKNOWN;
        }
        create.user.ptr = NULL;
        create.user.len = 0;
        create.image = image.Str;
        create.cmdline = command.Str;
        size = pt_size_process_create(&create);
        break;
    case PT_REC_PROCESS_EXIT:
        size = sizeof(struct pt_process_exit);
        break;
    case PT_REC_IMAGE_LOAD:
        size = PT_ALIGN8(PT_IMAGE_LOAD_FIXED + (image.Str.len > PT_MAX_STRING ? PT_MAX_STRING : image.Str.len));
        break;
    default:
        size = sizeof(struct pt_thread);
        break;
    }

    record = ExAllocatePoolWithTag(NonPagedPoolNx, size, PT_POOL_TAG);
    if (record == NULL) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto Cleanup;
    }

    switch (Facts->Type) {
    case PT_REC_PROCESS_CREATE:
        size = pt_encode_process_create(record, size, 0, NowNs, &create);
        break;
    case PT_REC_PROCESS_EXIT:
        size = pt_encode_process_exit(record, size, 0, NowNs, proc, Facts->ExitCode, 0, 0);
        break;
    case PT_REC_IMAGE_LOAD:
        size = pt_encode_image_load(record, size, 0, NowNs, proc, Facts->ImageBase, Facts->ImageSize, image.Str);
        if (size != 0 && image.Truncated) {
            ((struct pt_image_load *)record)->flags |= PT_PROC_IMAGE_TRUNCATED;
        }
        break;
    default:
        size = pt_encode_thread(record, size, Facts->Type, 0, NowNs, proc, Facts->Tid,
                                Facts->Type == PT_REC_THREAD_EXIT ? Facts->ExitCode : 0);
        break;
    }
    if (size == 0) {
        status = STATUS_INTERNAL_ERROR;
        goto Cleanup;
    }
    *Record = record;
    record = NULL;
    status = STATUS_SUCCESS;

Cleanup:
    if (record != NULL) {
        ExFreePoolWithTag(record, PT_POOL_TAG);
    }
    ExFreePoolWithTag(scratch, PT_POOL_TAG);
    return status;
}

VOID
PtFreeRecord(
    _In_ PVOID Record)
{
    ExFreePoolWithTag(Record, PT_POOL_TAG);
}
