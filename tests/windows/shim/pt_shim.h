/*
 * pt_shim.h - the few kernel types and routines the driver's portable files
 * (driver/windows/sys/queue.c, record.c) use, for building them natively on
 * Linux in the unit tests. RtlUnicodeToUTF8N and the pool are in pt_shim.c;
 * the pool counts live allocations and can be told to fail.
 */
#ifndef PROCTREE_PT_SHIM_H
#define PROCTREE_PT_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t NTSTATUS;
typedef uint8_t BOOLEAN;
typedef uint16_t USHORT;
typedef uint32_t ULONG, *PULONG;
typedef int32_t LONG;
typedef uint64_t ULONG64;
typedef uint16_t WCHAR, *PWCH;
typedef const uint16_t *PCWCH;
typedef char *PCHAR;
typedef void VOID, *PVOID;

#define TRUE 1
#define FALSE 0
#define NT_SUCCESS(s) ((NTSTATUS)(s) >= 0)
#define STATUS_SUCCESS ((NTSTATUS)0x00000000)
#define STATUS_SOME_NOT_MAPPED ((NTSTATUS)0x00000107)
#define STATUS_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000D)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009A)
#define STATUS_INTERNAL_ERROR ((NTSTATUS)0xC00000E5)

typedef struct _UNICODE_STRING {
    USHORT Length;        /* bytes */
    USHORT MaximumLength;
    PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef enum { NonPagedPoolNx = 512, PagedPool = 1 } POOL_TYPE;

#define METHOD_BUFFERED 0
#define FILE_READ_ACCESS 1
#define FILE_WRITE_ACCESS 2
#define CTL_CODE(t, f, m, a) (((t) << 16) | ((a) << 14) | ((f) << 2) | (m))

PVOID ExAllocatePoolWithTag(POOL_TYPE type, size_t bytes, ULONG tag);
VOID ExFreePoolWithTag(PVOID p, ULONG tag);
NTSTATUS RtlUnicodeToUTF8N(PCHAR dst, ULONG dst_max, PULONG actual, PCWCH src, ULONG src_bytes);

/* Test controls */
extern long pt_shim_live_allocations;
extern long pt_shim_fail_after; /* fail the allocation after this many more; -1 never */

#ifdef __cplusplus
}
#endif
#endif
