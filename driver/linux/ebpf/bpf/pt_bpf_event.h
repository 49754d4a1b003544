/*
 * pt_bpf_event.h - the events proctree's BPF program (proctree.bpf.c) puts
 * in its ring buffer, read back in user space (src/translate.cpp).
 *
 * Shared by the BPF C program (compiled against vmlinux.h, where the kernel's
 * u32/u64 exist) and user-space C++ (stdint). Little-endian, naturally
 * aligned, fixed layout; the user-space side checks every size it reads.
 * This is an internal seam, not the wire format: user space translates these
 * into proctree/wire.h records.
 */
#ifndef PT_BPF_EVENT_H
#define PT_BPF_EVENT_H

#ifdef __bpf__
typedef __u8 pt_u8;
typedef __u16 pt_u16;
typedef __u32 pt_u32;
typedef __s32 pt_s32;
typedef __u64 pt_u64;
#else
#include <stdint.h>
typedef uint8_t pt_u8;
typedef uint16_t pt_u16;
typedef uint32_t pt_u32;
typedef int32_t pt_s32;
typedef uint64_t pt_u64;
#endif

#define PT_BPF_COMM_LEN 16
/* argv bytes captured per exec/fork (beyond: PT_BPF_F_ARGS_TRUNCATED, with
 * the whole area's length in args_area_len). Equal to the wire's
 * PT_MAX_STRING (asserted in src/translate.cpp; this header cannot include
 * wire.h in the BPF build): more would be cut again by the encoder, less
 * would cut what a record could carry. */
#define PT_BPF_ARGS_MAX 4096
/* path components bytes (leaf first, each NUL-terminated). */
#define PT_BPF_PATH_MAX 4096
/* longest component read (NAME_MAX + NUL). */
#define PT_BPF_NAME_MAX 256
/* deepest path walked (components, mount crossings included). */
#define PT_BPF_PATH_DEPTH 48
/* data area: path then args; sized so masked offsets can never overflow. */
#define PT_BPF_DATA_SIZE 16384

enum pt_bpf_type {
    PT_BPF_EV_FORK = 1,        /* new process (pt_bpf_proc) */
    PT_BPF_EV_EXEC = 2,        /* image changed (pt_bpf_proc) */
    PT_BPF_EV_EXIT = 3,        /* last thread of a process ended (pt_bpf_exit) */
    PT_BPF_EV_THREAD = 4,      /* new thread in a process (pt_bpf_task) */
    PT_BPF_EV_THREAD_EXIT = 5, /* a thread ended, process lives on (pt_bpf_task) */
    PT_BPF_EV_RENAME = 6       /* the process's comm changed outside exec (pt_bpf_rename) */
};

/* pt_bpf_proc.flags / pt_bpf_task.flags */
#define PT_BPF_F_KTHREAD 0x0001u
#define PT_BPF_F_PATH_TRUNCATED 0x0002u /* too deep or too long: leaf part kept */
#define PT_BPF_F_ARGS_TRUNCATED 0x0004u
#define PT_BPF_F_NO_PATH 0x0008u /* no executable file (kthread, read failed) */
#define PT_BPF_F_NO_ARGS 0x0010u /* argv not readable */

struct pt_bpf_hdr {
    pt_u32 type;    /* enum pt_bpf_type */
    pt_u32 size;    /* whole event in bytes */
    pt_u64 time_ns; /* CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) */
};

/* Process and thread lifetime events; fixed size. */
struct pt_bpf_task {
    struct pt_bpf_hdr h;
    pt_u32 pid;            /* tgid */
    pt_u32 tid;            /* the thread */
    pt_u64 start_boottime; /* group leader's task->start_boottime, ns */
    pt_s32 exit_code;      /* EXIT/THREAD_EXIT: kernel wait status (code << 8 | sig | 0x80 core) */
    pt_u32 flags;
};

/* The end of a process, with what it used over its whole life. */
struct pt_bpf_exit {
    struct pt_bpf_task t;
    pt_u64 cpu_ns;         /* user + system of its threads (see group_cpu_ns) */
    pt_u64 peak_rss_bytes; /* signal->maxrss: the largest RSS, across its execs */
};

/* prctl(PR_SET_NAME) or a write to /proc/PID/comm of a group leader. */
struct pt_bpf_rename {
    struct pt_bpf_hdr h;
    pt_u32 pid;
    pt_u32 tid;
    pt_u64 start_boottime;
    char comm[PT_BPF_COMM_LEN];
};

/* New process (fork) or new image (exec); variable size: the fixed part,
 * then path_len bytes of path components (leaf first, each NUL-terminated),
 * then args_len bytes of argv (NUL-separated, as in the process's memory). */
struct pt_bpf_proc {
    struct pt_bpf_hdr h;
    pt_u32 pid;                   /* tgid */
    pt_u32 tid;                   /* FORK: = pid; EXEC: the thread (== pid after exec) */
    pt_u64 start_boottime;        /* group leader's, ns */
    pt_u64 parent_start_boottime; /* real parent's group leader's, ns */
    pt_u32 ppid;                  /* real parent's tgid */
    pt_u32 creator_pid;           /* FORK: the forking process (tgid); EXEC: old_pid */
    pt_u32 creator_tid;           /* FORK: the forking thread */
    pt_u32 uid;                   /* effective uid, as ProcFs reports */
    pt_u32 flags;                 /* PT_BPF_F_* */
    pt_u16 path_len;
    pt_u16 args_len;
    pt_u32 args_area_len; /* arg_end - arg_start: the whole argv, NULs included */
    pt_u32 reserved;
    char comm[PT_BPF_COMM_LEN];
    char data[PT_BPF_DATA_SIZE]; /* only h.size - offsetof(data) bytes are sent */
};

#define PT_BPF_PROC_FIXED (sizeof(struct pt_bpf_proc) - PT_BPF_DATA_SIZE)

#endif /* PT_BPF_EVENT_H */
