/* pt_shim.c - see pt_shim.h. */
#include "pt_shim.h"

#include <stdlib.h>

long pt_shim_live_allocations = 0;
long pt_shim_fail_after = -1;
int pt_shim_locks_held = 0;
void (*pt_shim_on_complete)(PIRP irp) = NULL;

VOID IoCompleteRequest(PIRP irp, int boost)
{
    (void)boost;
    if (pt_shim_on_complete) {
        pt_shim_on_complete(irp);
    }
}

PVOID ExAllocatePoolWithTag(POOL_TYPE type, size_t bytes, ULONG tag)
{
    void *p;

    (void)type;
    (void)tag;
    if (pt_shim_fail_after == 0) {
        return NULL;
    }
    if (pt_shim_fail_after > 0) {
        pt_shim_fail_after--;
    }
    p = malloc(bytes ? bytes : 1);
    if (p) {
        pt_shim_live_allocations++;
    }
    return p;
}

VOID ExFreePoolWithTag(PVOID p, ULONG tag)
{
    (void)tag;
    if (p) {
        pt_shim_live_allocations--;
        free(p);
    }
}

/* As the kernel's: invalid UTF-16 becomes U+FFFD and the status is
 * STATUS_SOME_NOT_MAPPED; a short destination gives STATUS_BUFFER_TOO_SMALL. */
NTSTATUS RtlUnicodeToUTF8N(PCHAR dst, ULONG dst_max, PULONG actual, PCWCH src, ULONG src_bytes)
{
    ULONG n = src_bytes / 2, i, out = 0;
    NTSTATUS status = STATUS_SUCCESS;

    for (i = 0; i < n; i++) {
        uint32_t c = src[i];
        unsigned char buf[4];
        ULONG len, k;

        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && src[i + 1] >= 0xDC00 && src[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (src[i + 1] - 0xDC00);
            i++;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
            status = STATUS_SOME_NOT_MAPPED;
        }
        if (c < 0x80) {
            buf[0] = (unsigned char)c, len = 1;
        } else if (c < 0x800) {
            buf[0] = (unsigned char)(0xC0 | (c >> 6)), buf[1] = (unsigned char)(0x80 | (c & 0x3F)), len = 2;
        } else if (c < 0x10000) {
            buf[0] = (unsigned char)(0xE0 | (c >> 12)), buf[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            buf[2] = (unsigned char)(0x80 | (c & 0x3F)), len = 3;
        } else {
            buf[0] = (unsigned char)(0xF0 | (c >> 18)), buf[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            buf[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F)), buf[3] = (unsigned char)(0x80 | (c & 0x3F));
            len = 4;
        }
        if (dst != NULL) {
            if (out + len > dst_max) {
                *actual = out;
                return STATUS_BUFFER_TOO_SMALL;
            }
            for (k = 0; k < len; k++) {
                dst[out + k] = (char)buf[k];
            }
        }
        out += len;
    }
    *actual = out;
    return status;
}

/* The process table of the tests. */
static EPROCESS pt_shim_processes[PT_SHIM_MAX_PROCESSES];
static int pt_shim_process_count = 0;

PEPROCESS pt_shim_add_process(ULONG pid, LONG64 create_time)
{
    PEPROCESS p;

    if (pt_shim_process_count == PT_SHIM_MAX_PROCESSES) {
        return NULL;
    }
    p = &pt_shim_processes[pt_shim_process_count++];
    memset(p, 0, sizeof(*p));
    p->UniqueProcessId = (HANDLE)(ULONG_PTR)pid;
    p->CreateTime = create_time;
    return p;
}

void pt_shim_remove_processes(void) { pt_shim_process_count = 0; }

LONG pt_shim_references(void)
{
    LONG total = 0;
    int i;

    for (i = 0; i < pt_shim_process_count; i++) {
        total += pt_shim_processes[i].References;
    }
    return total;
}

LONG64 PsGetProcessCreateTimeQuadPart(PEPROCESS process) { return process->CreateTime; }

NTSTATUS PsGetProcessExitStatus(PEPROCESS process) { return process->ExitStatus; }

NTSTATUS PsLookupProcessByProcessId(HANDLE pid, PEPROCESS *process)
{
    int i;

    *process = NULL;
    for (i = 0; i < pt_shim_process_count; i++) {
        if (pt_shim_processes[i].UniqueProcessId == pid) {
            pt_shim_processes[i].References++;
            *process = &pt_shim_processes[i];
            return STATUS_SUCCESS;
        }
    }
    return STATUS_INVALID_PARAMETER;
}

VOID ObDereferenceObject(PVOID object) { ((PEPROCESS)object)->References--; }
