/*
 * proctree/wire.h - the proctree event stream, version 1.
 *
 * The one definition shared by the Windows kernel driver, the Windows agent,
 * the Linux collectors and the model's decoder. Plain C99, usable from kernel
 * C (freestanding), user-mode C and C++. docs/wire-format.md describes it
 * byte by byte; this header is normative where the two disagree.
 *
 * THE SOURCE -> SINK CONTRACT
 * Every producer (driver agent, proc connector, eBPF, /proc poll, file
 * replay) emits the same bytes and nothing else:
 *   1. one pt_stream_header (magic, version, OS, source, host, clock origin);
 *   2. an initial snapshot: PT_REC_SNAPSHOT_BEGIN, one PT_REC_PROCESS_CREATE
 *      per process already running (parents before children where known),
 *      PT_REC_SNAPSHOT_END;
 *   3. live records, each a pt_record_header followed by its body.
 * Producer obligations:
 *   - every record's size is a multiple of 8 and covers header, body and
 *     strings (padding bytes are zero); sequence numbers start at 0 and
 *     increase by one per record; timestamps are ns since the Unix epoch;
 *   - a process is identified by (pid, start_ns), never by pid alone, and
 *     one producer computes start_ns the same way for snapshot and live
 *     records (Linux: boot time + /proc starttime ticks, see below);
 *   - strings are UTF-8 with explicit lengths, never NUL-terminated;
 *   - when the producer loses events it says so with PT_REC_EVENTS_LOST and
 *     then emits a resync snapshot (reason PT_SNAPSHOT_RESYNC) so that a
 *     consumer converges to the truth again.
 * Consumer obligations (the model's decoder):
 *   - check every length before reading; skip unknown record types by size;
 *   - read a record longer than the fields it knows (fixed part plus its
 *     strings) and ignore the rest: a later minor may append fields to a
 *     record (minor 1 did so to PT_REC_PROCESS_EXIT, and appends a
 *     pt_full_lengths trailer after the strings of create and exec). A
 *     record at least as long as its minor-0 fixed part is valid; fields it
 *     is too short to hold are unknown, never zero;
 *   - on corrupt or truncated input, report the byte offset, keep what was
 *     decoded before it, never read out of bounds;
 *   - accept any minor version of its major version.
 *
 * Linux start_ns: btime (from /proc/stat, seconds since the epoch) * 1e9 +
 * starttime (field 22 of /proc/PID/stat, in clock ticks) * 1e9 / CLK_TCK.
 * Live sources that know a finer start time truncate it to clock ticks the
 * same way, so that snapshot and live identities agree.
 *
 * All integers are little-endian. Every struct below is naturally aligned
 * (no packing pragmas needed); sizes are checked by static assertions.
 */
#ifndef PROCTREE_WIRE_H
#define PROCTREE_WIRE_H

#ifdef __cplusplus
#include <cstdint>
#define PT_STATIC_ASSERT(c, m) static_assert(c, m)
extern "C" {
#else
#include <stdint.h>
#define PT_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#define PT_WIRE_MAGIC "PROCTREE" /* 8 bytes, no terminator in the stream */
#define PT_WIRE_MAGIC_LEN 8
#define PT_WIRE_VERSION_MAJOR 1
#define PT_WIRE_VERSION_MINOR 1

/* Largest record a producer may emit; a consumer rejects larger sizes as
 * corrupt (an oversized length must never make it allocate without bound). */
#define PT_MAX_RECORD_SIZE (64u * 1024u)
/* Largest string a producer emits in one field (longer ones are cut at a
 * UTF-8 boundary and flagged *_TRUNCATED, with their whole length in a
 * pt_full_lengths trailer when the producer knows it); 4 such strings still
 * fit in PT_MAX_RECORD_SIZE. The eBPF collector reads this much argv in the
 * kernel (PT_BPF_ARGS_MAX is asserted equal). */
#define PT_MAX_STRING (4u * 1024u)
#define PT_MAX_HOST 255u

#define PT_ALIGN8(n) (((n) + 7u) & ~(uint32_t)7u)

/* Producer operating system. */
enum pt_os {
    PT_OS_UNKNOWN = 0,
    PT_OS_LINUX = 1,
    PT_OS_WINDOWS = 2
};

/* How the producer learns about processes (shown in the viewer's status). */
enum pt_source {
    PT_SOURCE_UNKNOWN = 0,
    PT_SOURCE_WINDOWS_DRIVER = 1, /* proctree.sys via proctree-agent.exe */
    PT_SOURCE_NETLINK = 2,        /* Linux proc connector */
    PT_SOURCE_EBPF = 3,           /* Linux sched tracepoints */
    PT_SOURCE_POLL = 4,           /* /proc polling: misses short processes */
    PT_SOURCE_SYNTHETIC = 5       /* generators, tests */
};

/* Stream header: 40 bytes, then host_len bytes of UTF-8 host name, zero
 * padded so that header_size (= 40 + PT_ALIGN8(host_len)) is a multiple of 8. */
struct pt_stream_header {
    uint8_t magic[PT_WIRE_MAGIC_LEN]; /*  0: "PROCTREE" */
    uint16_t version_major;           /*  8: PT_WIRE_VERSION_MAJOR */
    uint16_t version_minor;           /* 10 */
    uint16_t header_size;             /* 12: whole header incl. host, padded */
    uint8_t os;                       /* 14: enum pt_os */
    uint8_t source;                   /* 15: enum pt_source */
    uint64_t clock_origin_ns;         /* 16: wall clock when the stream began */
    uint64_t boot_time_ns;            /* 24: wall clock of the producer's boot, 0 if unknown */
    uint32_t flags;                   /* 32: none defined yet; write 0 */
    uint16_t host_len;                /* 36 */
    uint16_t reserved;                /* 38: write 0 */
};
#define PT_STREAM_HEADER_FIXED 40u
PT_STATIC_ASSERT(sizeof(struct pt_stream_header) == PT_STREAM_HEADER_FIXED, "stream header");

/* Record types. Unknown types are skipped by size. */
enum pt_record_type {
    PT_REC_PROCESS_CREATE = 1,
    PT_REC_PROCESS_EXIT = 2,
    PT_REC_PROCESS_EXEC = 3,   /* Linux: the image changed */
    PT_REC_PROCESS_RENAME = 4, /* Linux: comm changed (prctl), or learned at exit */
    PT_REC_THREAD_CREATE = 5,
    PT_REC_THREAD_EXIT = 6,
    PT_REC_IMAGE_LOAD = 7,
    PT_REC_SNAPSHOT_BEGIN = 8,
    PT_REC_SNAPSHOT_END = 9,
    PT_REC_EVENTS_LOST = 10,
    PT_REC_PROCESS_REPARENT = 11, /* minor 1: the kernel gave a process a new parent */
    PT_REC_IMAGE_FACTS = 12       /* minor 1: size and SHA-256 of a create/exec's image */
};

/* Every record starts with this 24-byte header. */
struct pt_record_header {
    uint16_t type;    /*  0: enum pt_record_type */
    uint16_t flags;   /*  2: none defined yet; write 0 */
    uint32_t size;    /*  4: whole record incl. this header, multiple of 8 */
    uint64_t seq;     /*  8: 0, 1, 2, ... per stream */
    uint64_t time_ns; /* 16: when it happened, ns since the Unix epoch */
};
PT_STATIC_ASSERT(sizeof(struct pt_record_header) == 24, "record header");

/* Process identity: PIDs are reused, (pid, start_ns) is not. start_ns is ns
 * since the Unix epoch; 0 means "unknown" (consumers then resolve the pid to
 * the living process with that pid, subject to the start-time rule). */
struct pt_ident {
    uint32_t pid;
    uint32_t reserved; /* write 0 */
    uint64_t start_ns;
};
PT_STATIC_ASSERT(sizeof(struct pt_ident) == 16, "ident");

#define PT_UID_UNKNOWN 0xFFFFFFFFu

/* pt_process_create.flags / pt_process_exec.flags */
#define PT_PROC_NAME_TRUNCATED 0x0001u
#define PT_PROC_IMAGE_TRUNCATED 0x0002u
#define PT_PROC_CMDLINE_TRUNCATED 0x0004u
#define PT_PROC_NAME_UNKNOWN 0x0008u  /* producer could not learn the name */
#define PT_PROC_KERNEL_THREAD 0x0010u /* Linux kthread */
#define PT_PROC_FULL_LENGTHS 0x0020u  /* minor 1: a pt_full_lengths trailer follows the strings */

/* (minor 1) With PT_PROC_FULL_LENGTHS, a create or exec record carries this
 * trailer at PT_ALIGN8(fixed part + its four strings), inside its size: how
 * long each cut string was before the producer cut it, in bytes of the field
 * as it would have been sent (Linux cmdline: argv joined by spaces, trailing
 * NULs dropped). 0: that string was not cut, or the producer does not know
 * its length (a *_TRUNCATED flag alone then says it was cut). A field is
 * meaningful only with its *_TRUNCATED flag; consumers of minor 0 ignore the
 * bytes past the strings (the "longer records" rule above). */
struct pt_full_lengths {
    uint32_t name;     /* 0 */
    uint32_t image;    /* 4 */
    uint32_t cmdline;  /* 8 */
    uint32_t reserved; /* 12: write 0 */
};
PT_STATIC_ASSERT(sizeof(struct pt_full_lengths) == 16, "full lengths");

/* PT_REC_PROCESS_CREATE: 88 bytes fixed, then the strings name, user, image,
 * cmdline laid end to end in that order, then zero padding to a multiple of 8
 * (then, with PT_PROC_FULL_LENGTHS, a pt_full_lengths trailer).
 * name: short name (Linux comm, Windows image base name). image: full path of
 * the executable. cmdline: UTF-8; Linux producers join argv with single
 * spaces. Inside a snapshot, a create describes a process already running. */
struct pt_process_create {
    struct pt_record_header h; /*  0 */
    struct pt_ident proc;      /* 24 */
    struct pt_ident parent;    /* 40: as the OS recorded it (may be dead/reused) */
    uint32_t creator_pid;      /* 56: Windows: creating process (may differ from parent); else = parent pid */
    uint32_t creator_tid;      /* 60: 0 if unknown */
    uint32_t uid;              /* 64: PT_UID_UNKNOWN if unknown */
    uint32_t flags;            /* 68: PT_PROC_* */
    uint32_t threads;          /* 72: thread count when known (snapshot), else 1 */
    uint16_t name_len;         /* 76 */
    uint16_t user_len;         /* 78 */
    uint32_t image_len;        /* 80 */
    uint32_t cmdline_len;      /* 84 */
    /* 88: name, user, image, cmdline */
};
#define PT_PROCESS_CREATE_FIXED 88u
PT_STATIC_ASSERT(sizeof(struct pt_process_create) == PT_PROCESS_CREATE_FIXED, "create");

/* pt_process_exit.flags */
#define PT_EXIT_SIGNALED 0x0001u /* Linux: killed by `signal` */
#define PT_EXIT_CORE_DUMPED 0x0002u
#define PT_EXIT_CODE_UNKNOWN 0x0004u /* e.g. found gone by a poll or resync */
#define PT_EXIT_CPU_KNOWN 0x0008u    /* minor 1: cpu_ns holds the process's CPU time */
#define PT_EXIT_RSS_KNOWN 0x0010u    /* minor 1: peak_rss_bytes holds its peak RSS */

/* PT_REC_PROCESS_EXIT: 64 bytes (minor 0: 48, ending after flags). Linux:
 * exit_code is the exit status (0..255) when not signaled. Windows:
 * exit_code is the NTSTATUS/exit code.
 * Minor 1 appends the resource usage of the process's whole life, each
 * valid only with its *_KNOWN flag: a producer that does not know a figure
 * (the proc connector's exit event carries none; a poll sees only that the
 * process is gone) leaves the flag clear and the field 0. A consumer treats
 * a 48-byte exit (minor 0) as "usage unknown".
 *   cpu_ns: user + system CPU time of all its threads, ns (Linux:
 *     sum_exec_runtime of the exiting thread, the group leader and the
 *     threads already reaped).
 *   peak_rss_bytes: the largest resident set it had, as getrusage's
 *     ru_maxrss (Linux: signal->maxrss, which spans its execs). */
struct pt_process_exit {
    struct pt_record_header h; /*  0 */
    struct pt_ident proc;      /* 24 */
    int32_t exit_code;         /* 40 */
    uint16_t signal;           /* 44: Linux signal number when PT_EXIT_SIGNALED */
    uint16_t flags;            /* 46: PT_EXIT_* */
    uint64_t cpu_ns;           /* 48: minor 1, with PT_EXIT_CPU_KNOWN */
    uint64_t peak_rss_bytes;   /* 56: minor 1, with PT_EXIT_RSS_KNOWN */
};
#define PT_PROCESS_EXIT_FIXED_V0 48u /* what a minor-0 producer writes */
#define PT_PROCESS_EXIT_FIXED 64u
PT_STATIC_ASSERT(sizeof(struct pt_process_exit) == PT_PROCESS_EXIT_FIXED, "exit");

/* PT_REC_PROCESS_EXEC: 64 bytes fixed, then name, user, image, cmdline,
 * padding (and, with PT_PROC_FULL_LENGTHS, a pt_full_lengths trailer). */
struct pt_process_exec {
    struct pt_record_header h; /*  0 */
    struct pt_ident proc;      /* 24 */
    uint32_t uid;              /* 40: PT_UID_UNKNOWN if unknown */
    uint32_t flags;            /* 44: PT_PROC_* */
    uint16_t name_len;         /* 48 */
    uint16_t user_len;         /* 50 */
    uint32_t image_len;        /* 52 */
    uint32_t cmdline_len;      /* 56 */
    uint32_t reserved;         /* 60 */
    /* 64: name, user, image, cmdline */
};
#define PT_PROCESS_EXEC_FIXED 64u
PT_STATIC_ASSERT(sizeof(struct pt_process_exec) == PT_PROCESS_EXEC_FIXED, "exec");

/* PT_REC_PROCESS_RENAME: 48 bytes fixed, then name. */
struct pt_process_rename {
    struct pt_record_header h; /*  0 */
    struct pt_ident proc;      /* 24 */
    uint32_t flags;            /* 40: PT_PROC_NAME_TRUNCATED */
    uint16_t name_len;         /* 44 */
    uint16_t reserved;         /* 46 */
    /* 48: name */
};
#define PT_PROCESS_RENAME_FIXED 48u
PT_STATIC_ASSERT(sizeof(struct pt_process_rename) == PT_PROCESS_RENAME_FIXED, "rename");

/* PT_REC_THREAD_CREATE / PT_REC_THREAD_EXIT: 48 bytes. */
struct pt_thread {
    struct pt_record_header h; /*  0 */
    struct pt_ident proc;      /* 24: owning process */
    uint32_t tid;              /* 40 */
    int32_t exit_code;         /* 44: THREAD_EXIT only, else 0 */
};
PT_STATIC_ASSERT(sizeof(struct pt_thread) == 48, "thread");

/* PT_REC_IMAGE_LOAD: 64 bytes fixed, then path. */
struct pt_image_load {
    struct pt_record_header h; /*  0 */
    struct pt_ident proc;      /* 24: 0/0 for kernel images */
    uint64_t base;             /* 40 */
    uint64_t size;             /* 48 */
    uint32_t flags;            /* 56: PT_PROC_IMAGE_TRUNCATED */
    uint32_t path_len;         /* 60 */
    /* 64: path */
};
#define PT_IMAGE_LOAD_FIXED 64u
PT_STATIC_ASSERT(sizeof(struct pt_image_load) == PT_IMAGE_LOAD_FIXED, "image");

/* Snapshot reasons */
#define PT_SNAPSHOT_INITIAL 1u
#define PT_SNAPSHOT_RESYNC 2u
/* (minor 1) A checkpoint: the producer's (or a relay's) own state of the
 * stream so far, complete, repeated at intervals so that a consumer can start
 * there instead of at the stream's first record. It changes nothing for a
 * consumer that has applied every record before it. */
#define PT_SNAPSHOT_CHECKPOINT 3u
/* pt_snapshot.flags: the snapshot lists every running process, so a consumer
 * retires (as exited, code unknown) every process it knows that is not in
 * it. Without this flag a resync carries only the differences. */
#define PT_SNAPSHOT_COMPLETE 0x0001u

/* PT_REC_SNAPSHOT_BEGIN / PT_REC_SNAPSHOT_END: 32 bytes. */
struct pt_snapshot {
    struct pt_record_header h; /*  0 */
    uint32_t reason;           /* 24: PT_SNAPSHOT_* */
    uint16_t flags;            /* 28: PT_SNAPSHOT_COMPLETE */
    uint16_t reserved;         /* 30 */
    /* END: reason repeats BEGIN's */
};
PT_STATIC_ASSERT(sizeof(struct pt_snapshot) == 32, "snapshot");

/* Events-lost reasons */
#define PT_LOST_KERNEL_BUFFER 1u /* netlink ENOBUFS, ring buffer full */
#define PT_LOST_QUEUE_FULL 2u    /* driver per-reader queue cap */
#define PT_LOST_OTHER 3u

/* PT_REC_EVENTS_LOST: 40 bytes. count is 0 when unknown (netlink overrun). */
struct pt_events_lost {
    struct pt_record_header h; /*  0 */
    uint64_t count;            /* 24 */
    uint32_t reason;           /* 32: PT_LOST_* */
    uint32_t reserved;         /* 36 */
};
PT_STATIC_ASSERT(sizeof(struct pt_events_lost) == 40, "lost");

/* PT_REC_PROCESS_REPARENT (minor 1): 72 bytes. The kernel re-parented a
 * living process: its parent exited and it now belongs to `parent` (Linux:
 * the nearest PR_SET_CHILD_SUBREAPER ancestor, else the pid namespace's
 * init). `previous` is the parent it had until then, usually the process
 * whose exit came just before. The create record's parent stays the lineage
 * (who spawned it); this record says who its parent is now. A consumer of
 * minor 0 skips it by size. */
struct pt_process_reparent {
    struct pt_record_header h; /*  0 */
    struct pt_ident proc;      /* 24 */
    struct pt_ident parent;    /* 40: the new parent */
    struct pt_ident previous;  /* 56: the parent before */
};
PT_STATIC_ASSERT(sizeof(struct pt_process_reparent) == 72, "reparent");

/* pt_image_facts.status */
#define PT_FACTS_HASHED 0u     /* size and sha256 are those of the file */
#define PT_FACTS_UNREADABLE 1u /* the file could not be opened or read: see error */
#define PT_FACTS_SKIPPED 2u    /* the producer's hasher was behind; nothing was read */

/* pt_image_facts.event_seq when the record described is not in this stream
 * (an earlier file of a rotated recording): the facts are of the process's
 * image named by path. */
#define PT_FACTS_EVENT_ELSEWHERE 0xFFFFFFFFFFFFFFFFull

/* PT_REC_IMAGE_FACTS (minor 1): 104 bytes fixed, then path. Describes the
 * executable of one earlier create or exec record of this stream, named by
 * its seq (event_seq) and identity. Producers hash off their capture path,
 * so facts follow their record at some distance, possibly after later
 * records of the same process; a producer that is behind sends SKIPPED
 * rather than delay or drop events. path is the file that was read (the
 * record's image, or what the producer resolved it to); it may be empty for
 * SKIPPED. Consumers of minor 0 skip this record by size. */
struct pt_image_facts {
    struct pt_record_header h; /*   0 */
    struct pt_ident proc;      /*  24 */
    uint64_t event_seq;        /*  40: seq of the create/exec described */
    uint64_t file_size;        /*  48: bytes; 0 unless HASHED */
    uint8_t sha256[32];        /*  56: zero unless HASHED */
    uint16_t status;           /*  88: PT_FACTS_* */
    uint16_t flags;            /*  90: PT_PROC_IMAGE_TRUNCATED */
    uint32_t error;            /*  92: UNREADABLE: errno (Linux) or Win32 error, else 0 */
    uint32_t path_len;         /*  96 */
    uint32_t reserved;         /* 100: write 0 */
    /* 104: path */
};
#define PT_IMAGE_FACTS_FIXED 104u
PT_STATIC_ASSERT(sizeof(struct pt_image_facts) == PT_IMAGE_FACTS_FIXED, "image facts");

#ifdef __cplusplus
} /* extern "C" */
#endif
#endif /* PROCTREE_WIRE_H */
