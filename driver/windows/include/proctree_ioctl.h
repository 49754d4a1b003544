/*++

Module Name:

    proctree_ioctl.h

Abstract:

    The interface between proctree.sys and its user-mode clients
    (proctree-agent.exe, the Wine test client): device names, IOCTL codes and
    the METHOD_BUFFERED structures they carry. Records read from the device
    are the wire records of proctree/wire.h, laid end to end; this header
    only adds the control channel.

    Include after <windows.h>/<winioctl.h> (user mode) or <ntddk.h> (kernel).

Environment:

    Kernel mode and user mode.

--*/

#ifndef PROCTREE_IOCTL_H
#define PROCTREE_IOCTL_H

#include <proctree/wire.h>

#define PT_NT_DEVICE_NAME   L"\\Device\\ProcTree"
#define PT_DOS_DEVICE_NAME  L"\\??\\ProcTree"
#define PT_WIN32_DEVICE     L"\\\\.\\ProcTree"
#define PT_SERVICE_NAME     L"proctree"

/* Pool tag 'PtRc' (shows as "cRtP" in pool dumps). */
#define PT_POOL_TAG 0x63527450u /* 'cRtP' */

/* Version of this control interface (not of the wire format). */
#define PT_IOCTL_INTERFACE_VERSION 1u

/* Device type in the customer range (0x8000-0xFFFF). */
#define PT_FILE_DEVICE 0x8A7Eu

#define PT_CTL(fn, access) CTL_CODE(PT_FILE_DEVICE, (fn), METHOD_BUFFERED, (access))

/* out: PT_VERSION_INFO */
#define IOCTL_PT_GET_VERSION      PT_CTL(0x800, FILE_READ_ACCESS)
/* out: PT_STATS (this handle's queue and driver-wide counters) */
#define IOCTL_PT_GET_STATS        PT_CTL(0x801, FILE_READ_ACCESS)
/* in: ULONG event mask (PT_MASK_*); out (optional): ULONG previous mask */
#define IOCTL_PT_SET_EVENT_MASK   PT_CTL(0x802, FILE_READ_ACCESS)
/* out: ULONG size of the next queued record, 0 when the queue is empty */
#define IOCTL_PT_NEXT_RECORD_SIZE PT_CTL(0x803, FILE_READ_ACCESS)

#ifdef PROCTREE_TEST_IOCTL
/* TEST BUILDS ONLY. in: PT_INJECT followed by its UTF-16 strings. Feeds the
 * facts through the same record-building and queueing code the kernel
 * callbacks use, `Count` times. The release driver has no such code. */
#define IOCTL_PT_TEST_INJECT      PT_CTL(0x8F0, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#endif

/* Event mask bits. Process create/exit are always delivered. */
#define PT_MASK_PROCESS 0x0001u
#define PT_MASK_THREAD  0x0002u
#define PT_MASK_IMAGE   0x0004u
#define PT_MASK_ALL     (PT_MASK_PROCESS | PT_MASK_THREAD | PT_MASK_IMAGE)

/* PT_VERSION_INFO.Flags */
#define PT_DRIVER_TEST_BUILD 0x0001u

typedef struct _PT_VERSION_INFO {
    uint16_t WireMajor;        /* PT_WIRE_VERSION_MAJOR of the driver */
    uint16_t WireMinor;
    uint32_t InterfaceVersion; /* PT_IOCTL_INTERFACE_VERSION */
    uint32_t DriverVersion;    /* 0xMMmmpppp */
    uint32_t Flags;            /* PT_DRIVER_* */
    char Build[32];            /* NUL-terminated build description */
} PT_VERSION_INFO;

typedef struct _PT_STATS {
    uint64_t QueuedBytes;     /* this handle */
    uint64_t Dropped;         /* this handle: records dropped since open */
    uint64_t Delivered;       /* this handle: records handed to ReadFile */
    uint64_t DroppedTotal;    /* all handles since load */
    uint32_t QueuedRecords;   /* this handle */
    uint32_t QueueCapBytes;   /* this handle's cap */
    uint32_t Readers;         /* open handles */
    uint32_t EventMask;       /* this handle */
    uint32_t PendingReads;    /* this handle */
    uint32_t Reserved;
} PT_STATS;

/* Registry: HKLM\SYSTEM\CurrentControlSet\Services\proctree\Parameters */
#define PT_REG_QUEUE_CAP L"QueueCapBytes" /* REG_DWORD, per open handle */
#define PT_QUEUE_CAP_DEFAULT (1024u * 1024u)
#define PT_QUEUE_CAP_MIN (64u * 1024u)
#define PT_QUEUE_CAP_MAX (64u * 1024u * 1024u)

#ifdef PROCTREE_TEST_IOCTL
/* PT_INJECT.Type: a wire record type (PT_REC_PROCESS_CREATE, _EXIT,
 * PT_REC_THREAD_CREATE, _EXIT, PT_REC_IMAGE_LOAD). */
typedef struct _PT_INJECT {
    uint16_t Type;
    uint16_t ImageChars;     /* UTF-16 code units of image path that follow */
    uint16_t CommandChars;   /* then UTF-16 code units of command line */
    uint16_t Reserved;
    uint32_t Count;          /* inject this many (1 if 0) */
    uint32_t PidStep;        /* add i * PidStep to Pid for the i-th copy */
    uint32_t Pid;
    uint32_t ParentPid;
    uint32_t CreatorPid;
    uint32_t CreatorTid;
    uint32_t Tid;
    int32_t ExitCode;
    uint64_t StartNs;
    uint64_t ParentStartNs;
    uint64_t ImageBase;
    uint64_t ImageSize;
    /* 72: WCHAR image[ImageChars], WCHAR command[CommandChars] */
} PT_INJECT;
#define PT_INJECT_FIXED 72u
#endif

#endif /* PROCTREE_IOCTL_H */
