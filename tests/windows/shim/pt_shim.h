/*
 * pt_shim.h - the few kernel types and routines the driver's portable files
 * (driver/windows/sys/queue.c, record.c, reader.c, callbacks.c) use, for
 * building them natively on Linux in the unit tests. Processes are a small
 * table the tests fill (pt_shim_add_process): PsLookupProcessByProcessId
 * finds them there and counts references, which ObDereferenceObject drops. RtlUnicodeToUTF8N, the pool and
 * IoCompleteRequest are in pt_shim.c; the pool counts live allocations and
 * can be told to fail; IoCompleteRequest calls a hook the tests set. Spin
 * locks are no-ops (the tests are single-threaded) that count holders.
 */
#ifndef PROCTREE_PT_SHIM_H
#define PROCTREE_PT_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t NTSTATUS;
typedef uint8_t BOOLEAN;
typedef uint16_t USHORT;
typedef uint32_t ULONG, *PULONG;
typedef int32_t LONG;
typedef int64_t LONG64;
typedef uint64_t ULONG64;
typedef uintptr_t ULONG_PTR;
typedef uint8_t UCHAR, *PUCHAR;
typedef uint8_t KIRQL;
typedef uintptr_t KSPIN_LOCK;
typedef void *HANDLE;
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
#define STATUS_PENDING ((NTSTATUS)0x00000103)
#define STATUS_CANCELLED ((NTSTATUS)0xC0000120)
#define STATUS_DEVICE_REMOVED ((NTSTATUS)0xC00002B6)

#define NTAPI
#define IO_NO_INCREMENT 0
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#define CONTAINING_RECORD(a, t, f) ((t *)((char *)(a)-offsetof(t, f)))
#define RtlCopyMemory(d, s, n) memcpy((d), (s), (n))
#define RtlZeroMemory(d, n) memset((d), 0, (n))

typedef struct _UNICODE_STRING {
    USHORT Length; /* bytes */
    USHORT MaximumLength;
    PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef enum {
    NonPagedPoolNx = 512,
    PagedPool = 1
} POOL_TYPE;

#define METHOD_BUFFERED 0
#define FILE_READ_ACCESS 1
#define FILE_WRITE_ACCESS 2
#define CTL_CODE(t, f, m, a) (((t) << 16) | ((a) << 14) | ((f) << 2) | (m))

typedef union _LARGE_INTEGER {
    int64_t QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink, *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

static inline void InitializeListHead(PLIST_ENTRY h) { h->Flink = h->Blink = h; }
static inline BOOLEAN IsListEmpty(const LIST_ENTRY *h) { return h->Flink == h; }
static inline BOOLEAN RemoveEntryList(PLIST_ENTRY e)
{
    PLIST_ENTRY f = e->Flink, b = e->Blink;
    b->Flink = f;
    f->Blink = b;
    return f == b;
}
static inline PLIST_ENTRY RemoveHeadList(PLIST_ENTRY h)
{
    PLIST_ENTRY e = h->Flink;
    RemoveEntryList(e);
    return e;
}
static inline void InsertTailList(PLIST_ENTRY h, PLIST_ENTRY e)
{
    PLIST_ENTRY b = h->Blink;
    e->Flink = h;
    e->Blink = b;
    b->Flink = e;
    h->Blink = e;
}

/* Only what reader.c touches. */
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;
typedef struct _FILE_OBJECT FILE_OBJECT, *PFILE_OBJECT;
#define NTKERNELAPI
#define STATUS_INVALID_PARAMETER_2 ((NTSTATUS)0xC00000F0)
#define STATUS_ACCESS_DENIED ((NTSTATUS)0xC0000022)

/* A process as the shim's table holds it. */
typedef struct _EPROCESS {
    HANDLE UniqueProcessId;
    LONG64 CreateTime; /* FILETIME: 100 ns since 1601 */
    NTSTATUS ExitStatus;
    LONG References; /* taken by PsLookupProcessByProcessId */
} EPROCESS, *PEPROCESS;

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID;

typedef struct _PS_CREATE_NOTIFY_INFO {
    size_t Size;
    ULONG Flags;
    HANDLE ParentProcessId;
    CLIENT_ID CreatingThreadId;
    struct _FILE_OBJECT *FileObject;
    PCUNICODE_STRING ImageFileName; /* may be NULL */
    PCUNICODE_STRING CommandLine;   /* may be NULL */
    NTSTATUS CreationStatus;
} PS_CREATE_NOTIFY_INFO, *PPS_CREATE_NOTIFY_INFO;

typedef struct _IMAGE_INFO {
    ULONG ImageAddressingMode : 8;
    ULONG SystemModeImage : 1;
    ULONG Reserved : 23;
    PVOID ImageBase;
    ULONG ImageSelector;
    size_t ImageSize;
    ULONG ImageSectionNumber;
} IMAGE_INFO, *PIMAGE_INFO;

LONG64 PsGetProcessCreateTimeQuadPart(PEPROCESS process);
NTSTATUS PsLookupProcessByProcessId(HANDLE pid, PEPROCESS *process);
VOID ObDereferenceObject(PVOID object);
typedef struct _IRP IRP, *PIRP;
typedef NTSTATUS DRIVER_DISPATCH(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef VOID DRIVER_CANCEL(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_CANCEL *PDRIVER_CANCEL;

typedef struct _IO_STATUS_BLOCK {
    NTSTATUS Status;
    ULONG_PTR Information;
} IO_STATUS_BLOCK;

typedef struct _IO_STACK_LOCATION {
    struct {
        struct {
            ULONG Length;
        } Read;
    } Parameters;
    PFILE_OBJECT FileObject;
} IO_STACK_LOCATION, *PIO_STACK_LOCATION;

struct _IRP {
    struct {
        PVOID SystemBuffer;
    } AssociatedIrp;
    IO_STATUS_BLOCK IoStatus;
    BOOLEAN Cancel;
    KIRQL CancelIrql;
    PDRIVER_CANCEL CancelRoutine;
    IO_STACK_LOCATION Stack; /* the one (current) stack location */
    struct {
        struct {
            PVOID DriverContext[4];
            LIST_ENTRY ListEntry;
        } Overlay;
    } Tail;
};

static inline PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP irp) { return &irp->Stack; }
static inline PDRIVER_CANCEL IoSetCancelRoutine(PIRP irp, PDRIVER_CANCEL routine)
{
    PDRIVER_CANCEL old = irp->CancelRoutine;
    irp->CancelRoutine = routine;
    return old;
}
static inline void IoReleaseCancelSpinLock(KIRQL irql) { (void)irql; }
VOID IoCompleteRequest(PIRP irp, int boost);

extern int pt_shim_locks_held; /* spin locks held now */
static inline void KeInitializeSpinLock(KSPIN_LOCK *l) { *l = 0; }
static inline void KeAcquireSpinLock(KSPIN_LOCK *l, KIRQL *irql) { (void)l, *irql = 0, pt_shim_locks_held++; }
static inline void KeReleaseSpinLock(KSPIN_LOCK *l, KIRQL irql) { (void)l, (void)irql, pt_shim_locks_held--; }
static inline void KeAcquireSpinLockAtDpcLevel(KSPIN_LOCK *l) { (void)l, pt_shim_locks_held++; }
static inline void KeReleaseSpinLockFromDpcLevel(KSPIN_LOCK *l) { (void)l, pt_shim_locks_held--; }

static inline LONG InterlockedIncrement(volatile LONG *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }
static inline LONG InterlockedDecrement(volatile LONG *p) { return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST); }
static inline LONG64 InterlockedIncrement64(volatile LONG64 *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }

PVOID ExAllocatePoolWithTag(POOL_TYPE type, size_t bytes, ULONG tag);
VOID ExFreePoolWithTag(PVOID p, ULONG tag);
NTSTATUS RtlUnicodeToUTF8N(PCHAR dst, ULONG dst_max, PULONG actual, PCWCH src, ULONG src_bytes);

/* Test controls */
#define PT_SHIM_MAX_PROCESSES 16
PEPROCESS pt_shim_add_process(ULONG pid, LONG64 create_time);
void pt_shim_remove_processes(void);
LONG pt_shim_references(void); /* taken and not dropped, over every process */
extern long pt_shim_live_allocations;
extern long pt_shim_fail_after;               /* fail the allocation after this many more; -1 never */
extern void (*pt_shim_on_complete)(PIRP irp); /* called by IoCompleteRequest */

#ifdef __cplusplus
}
#endif
#endif
