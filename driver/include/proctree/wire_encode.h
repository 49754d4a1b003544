/*
 * proctree/wire_encode.h - encoder for the records of proctree/wire.h.
 *
 * Header-only plain C so the kernel driver, the agent and the Linux
 * collectors share one implementation: no allocation, no libc beyond what a
 * freestanding compiler provides, every write bounded by the caller's
 * capacity. Each pt_encode_* writes one whole record (header, body, strings,
 * zero padding) at `buf` and returns its size, or 0 when `cap` is too small
 * (nothing useful is written then). Strings longer than PT_MAX_STRING are cut
 * at a UTF-8 boundary and the matching *_TRUNCATED flag is set; create and
 * exec records then carry the whole lengths (pt_full_lengths) they know.
 */
#ifndef PROCTREE_WIRE_ENCODE_H
#define PROCTREE_WIRE_ENCODE_H

#include "wire.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "proctree's encoder writes host order; add byte swaps for big-endian hosts"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PT_INLINE static inline __attribute__((unused))
#else
#define PT_INLINE static __inline
#endif

/* A string with an explicit length; ptr may be NULL when len is 0. */
struct pt_str {
    const char *ptr;
    uint32_t len;
};

struct pt_create_args {
    struct pt_ident proc;
    struct pt_ident parent;
    uint32_t creator_pid;
    uint32_t creator_tid;
    uint32_t uid;     /* PT_UID_UNKNOWN if unknown */
    uint32_t flags;   /* PT_PROC_* (truncation flags are added as needed) */
    uint32_t threads; /* 1 when unknown */
    struct pt_str name, user, image, cmdline;
    /* A producer that read only a prefix of a string (a bounded read) puts
     * the whole string's length here; 0 when the string given is whole. The
     * encoder knows the rest itself: what it cuts, it measured. */
    struct pt_full_lengths full;
};

struct pt_exec_args {
    struct pt_ident proc;
    uint32_t uid;
    uint32_t flags;
    struct pt_str name, user, image, cmdline;
    struct pt_full_lengths full; /* as in pt_create_args */
};

PT_INLINE void pt__zero(void *dst, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    while (n--) *d++ = 0;
}

PT_INLINE void pt__copy(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    while (n--) *d++ = *s++;
}

/* Length of s clamped to `max` bytes without splitting a UTF-8 sequence;
 * sets `flag` in *flags when it had to cut. */
PT_INLINE uint32_t pt__clamp(struct pt_str s, uint32_t max, uint32_t *flags, uint32_t flag)
{
    uint32_t n = s.ptr ? s.len : 0;
    if (n <= max) return n;
    n = max;
    while (n > 0 && (((const uint8_t *)s.ptr)[n] & 0xC0u) == 0x80u) n--;
    *flags |= flag;
    return n;
}

PT_INLINE void pt__header(void *buf, uint16_t type, uint32_t size, uint64_t seq, uint64_t time_ns)
{
    struct pt_record_header *h = (struct pt_record_header *)buf;
    h->type = type;
    h->flags = 0;
    h->size = size;
    h->seq = seq;
    h->time_ns = time_ns;
}

/* The four strings of create and exec records (name, user, image, cmdline):
 * clamped lengths, with truncation flags added to *flags, and the whole
 * lengths of what was cut (trailer, with PT_PROC_FULL_LENGTHS in *flags). */
struct pt__four {
    uint32_t len[4];
    const char *ptr[4];
    struct pt_full_lengths full;
};

/* The whole length of one string: what the producer says it read a prefix
 * of, else what it gave; 0 (unknown, or not cut) unless longer than kept. */
PT_INLINE uint32_t pt__whole(struct pt_str s, uint32_t kept, uint32_t said, uint32_t *flags, uint32_t flag)
{
    uint32_t given = s.ptr ? s.len : 0;
    uint32_t whole = said > given ? said : given;
    if (whole <= kept) return 0;
    *flags |= flag | PT_PROC_FULL_LENGTHS;
    return whole;
}

PT_INLINE uint32_t pt__clamp_four(struct pt__four *f, struct pt_str name, struct pt_str user, struct pt_str image,
                                  struct pt_str cmdline, struct pt_full_lengths said, uint32_t *flags)
{
    f->len[0] = pt__clamp(name, PT_MAX_STRING, flags, PT_PROC_NAME_TRUNCATED);
    f->len[1] = pt__clamp(user, PT_MAX_STRING, flags, PT_PROC_NAME_TRUNCATED);
    f->len[2] = pt__clamp(image, PT_MAX_STRING, flags, PT_PROC_IMAGE_TRUNCATED);
    f->len[3] = pt__clamp(cmdline, PT_MAX_STRING, flags, PT_PROC_CMDLINE_TRUNCATED);
    f->ptr[0] = name.ptr;
    f->ptr[1] = user.ptr;
    f->ptr[2] = image.ptr;
    f->ptr[3] = cmdline.ptr;
    *flags &= ~(uint32_t)PT_PROC_FULL_LENGTHS; /* set below only with a trailer to write */
    f->full.name = pt__whole(name, f->len[0], said.name, flags, PT_PROC_NAME_TRUNCATED);
    f->full.image = pt__whole(image, f->len[2], said.image, flags, PT_PROC_IMAGE_TRUNCATED);
    f->full.cmdline = pt__whole(cmdline, f->len[3], said.cmdline, flags, PT_PROC_CMDLINE_TRUNCATED);
    f->full.reserved = 0;
    return f->len[0] + f->len[1] + f->len[2] + f->len[3];
}

/* Record size for a fixed part, the strings and the trailer if any. */
PT_INLINE uint32_t pt__four_size(uint32_t fixed, uint32_t strings, uint32_t flags)
{
    uint32_t size = PT_ALIGN8(fixed + strings);
    if (flags & PT_PROC_FULL_LENGTHS) size += (uint32_t)sizeof(struct pt_full_lengths);
    return size;
}

PT_INLINE void pt__put_four(uint8_t *p, uint32_t fixed, const struct pt__four *f, uint32_t flags)
{
    int i;
    uint8_t *s = p + fixed;
    for (i = 0; i < 4; i++) {
        pt__copy(s, f->ptr[i], f->len[i]);
        s += f->len[i];
    }
    if (flags & PT_PROC_FULL_LENGTHS) pt__copy(p + PT_ALIGN8((uint32_t)(s - p)), &f->full, (uint32_t)sizeof f->full);
}

/* Stream header; returns its size (40 + padded host) or 0 if cap is short. */
PT_INLINE uint32_t pt_encode_stream_header(void *buf, uint32_t cap, uint8_t os, uint8_t source,
                                           uint64_t clock_origin_ns, uint64_t boot_time_ns, struct pt_str host)
{
    uint32_t unused = 0;
    uint32_t hl = pt__clamp(host, PT_MAX_HOST, &unused, 1);
    uint32_t size = PT_STREAM_HEADER_FIXED + PT_ALIGN8(hl);
    struct pt_stream_header *sh = (struct pt_stream_header *)buf;
    if (cap < size) return 0;
    pt__zero(buf, size);
    pt__copy(sh->magic, PT_WIRE_MAGIC, PT_WIRE_MAGIC_LEN);
    sh->version_major = PT_WIRE_VERSION_MAJOR;
    sh->version_minor = PT_WIRE_VERSION_MINOR;
    sh->header_size = (uint16_t)size;
    sh->os = os;
    sh->source = source;
    sh->clock_origin_ns = clock_origin_ns;
    sh->boot_time_ns = boot_time_ns;
    sh->host_len = (uint16_t)hl;
    pt__copy((uint8_t *)buf + PT_STREAM_HEADER_FIXED, host.ptr, hl);
    return size;
}

/* Bytes pt_encode_process_create would need for these args. */
PT_INLINE uint32_t pt_size_process_create(const struct pt_create_args *a)
{
    uint32_t flags = a->flags;
    struct pt__four f;
    uint32_t strings = pt__clamp_four(&f, a->name, a->user, a->image, a->cmdline, a->full, &flags);
    return pt__four_size(PT_PROCESS_CREATE_FIXED, strings, flags);
}

PT_INLINE uint32_t pt_encode_process_create(void *buf, uint32_t cap, uint64_t seq, uint64_t time_ns,
                                            const struct pt_create_args *a)
{
    uint32_t flags = a->flags;
    struct pt__four f;
    uint32_t strings = pt__clamp_four(&f, a->name, a->user, a->image, a->cmdline, a->full, &flags);
    uint32_t size = pt__four_size(PT_PROCESS_CREATE_FIXED, strings, flags);
    struct pt_process_create *r = (struct pt_process_create *)buf;
    if (cap < size || cap < PT_PROCESS_CREATE_FIXED) return 0;
    pt__zero(buf, size);
    pt__header(buf, PT_REC_PROCESS_CREATE, size, seq, time_ns);
    r->proc = a->proc;
    r->proc.reserved = 0;
    r->parent = a->parent;
    r->parent.reserved = 0;
    r->creator_pid = a->creator_pid;
    r->creator_tid = a->creator_tid;
    r->uid = a->uid;
    r->flags = flags;
    r->threads = a->threads;
    r->name_len = (uint16_t)f.len[0];
    r->user_len = (uint16_t)f.len[1];
    r->image_len = f.len[2];
    r->cmdline_len = f.len[3];
    pt__put_four((uint8_t *)buf, PT_PROCESS_CREATE_FIXED, &f, flags);
    return size;
}

PT_INLINE uint32_t pt_encode_process_exec(void *buf, uint32_t cap, uint64_t seq, uint64_t time_ns,
                                          const struct pt_exec_args *a)
{
    uint32_t flags = a->flags;
    struct pt__four f;
    uint32_t strings = pt__clamp_four(&f, a->name, a->user, a->image, a->cmdline, a->full, &flags);
    uint32_t size = pt__four_size(PT_PROCESS_EXEC_FIXED, strings, flags);
    struct pt_process_exec *r = (struct pt_process_exec *)buf;
    if (cap < size || cap < PT_PROCESS_EXEC_FIXED) return 0;
    pt__zero(buf, size);
    pt__header(buf, PT_REC_PROCESS_EXEC, size, seq, time_ns);
    r->proc = a->proc;
    r->proc.reserved = 0;
    r->uid = a->uid;
    r->flags = flags;
    r->name_len = (uint16_t)f.len[0];
    r->user_len = (uint16_t)f.len[1];
    r->image_len = f.len[2];
    r->cmdline_len = f.len[3];
    pt__put_four((uint8_t *)buf, PT_PROCESS_EXEC_FIXED, &f, flags);
    return size;
}

/* Resource usage of an exited process's whole life (minor 1); each figure
 * counts only with its flag in `known` (PT_EXIT_CPU_KNOWN, PT_EXIT_RSS_KNOWN). */
struct pt_exit_usage {
    uint64_t cpu_ns;
    uint64_t peak_rss_bytes;
    uint16_t known;
};

/* usage may be NULL: nothing known. */
PT_INLINE uint32_t pt_encode_process_exit_usage(void *buf, uint32_t cap, uint64_t seq, uint64_t time_ns,
                                                struct pt_ident proc, int32_t exit_code, uint16_t signal,
                                                uint16_t flags, const struct pt_exit_usage *usage)
{
    struct pt_process_exit *r = (struct pt_process_exit *)buf;
    const uint16_t usage_flags = PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN;
    if (cap < sizeof *r) return 0;
    pt__zero(buf, sizeof *r);
    pt__header(buf, PT_REC_PROCESS_EXIT, sizeof *r, seq, time_ns);
    r->proc = proc;
    r->proc.reserved = 0;
    r->exit_code = exit_code;
    r->signal = signal;
    r->flags = (uint16_t)(flags & ~usage_flags);
    if (usage) {
        r->flags = (uint16_t)(r->flags | (usage->known & usage_flags));
        if (usage->known & PT_EXIT_CPU_KNOWN) r->cpu_ns = usage->cpu_ns;
        if (usage->known & PT_EXIT_RSS_KNOWN) r->peak_rss_bytes = usage->peak_rss_bytes;
    }
    return sizeof *r;
}

/* An exit whose resource usage the producer does not know. */
PT_INLINE uint32_t pt_encode_process_exit(void *buf, uint32_t cap, uint64_t seq, uint64_t time_ns, struct pt_ident proc,
                                          int32_t exit_code, uint16_t signal, uint16_t flags)
{
    return pt_encode_process_exit_usage(buf, cap, seq, time_ns, proc, exit_code, signal, flags, 0);
}

PT_INLINE uint32_t pt_encode_process_rename(void *buf, uint32_t cap, uint64_t seq, uint64_t time_ns,
                                            struct pt_ident proc, struct pt_str name)
{
    uint32_t flags = 0;
    uint32_t nl = pt__clamp(name, PT_MAX_STRING, &flags, PT_PROC_NAME_TRUNCATED);
    uint32_t size = PT_ALIGN8(PT_PROCESS_RENAME_FIXED + nl);
    struct pt_process_rename *r = (struct pt_process_rename *)buf;
    if (cap < size) return 0;
    pt__zero(buf, size);
    pt__header(buf, PT_REC_PROCESS_RENAME, size, seq, time_ns);
    r->proc = proc;
    r->proc.reserved = 0;
    r->flags = flags;
    r->name_len = (uint16_t)nl;
    pt__copy((uint8_t *)buf + PT_PROCESS_RENAME_FIXED, name.ptr, nl);
    return size;
}

PT_INLINE uint32_t pt_encode_process_reparent(void *buf, uint32_t cap, uint64_t seq, uint64_t time_ns,
                                              struct pt_ident proc, struct pt_ident parent, struct pt_ident previous)
{
    struct pt_process_reparent *r = (struct pt_process_reparent *)buf;
    if (cap < sizeof *r) return 0;
    pt__zero(buf, sizeof *r);
    pt__header(buf, PT_REC_PROCESS_REPARENT, sizeof *r, seq, time_ns);
    r->proc = proc;
    r->proc.reserved = 0;
    r->parent = parent;
    r->parent.reserved = 0;
    r->previous = previous;
    r->previous.reserved = 0;
    return sizeof *r;
}

/* type: PT_REC_THREAD_CREATE or PT_REC_THREAD_EXIT */
PT_INLINE uint32_t pt_encode_thread(void *buf, uint32_t cap, uint16_t type, uint64_t seq, uint64_t time_ns,
                                    struct pt_ident proc, uint32_t tid, int32_t exit_code)
{
    struct pt_thread *r = (struct pt_thread *)buf;
    if (cap < sizeof *r) return 0;
    pt__zero(buf, sizeof *r);
    pt__header(buf, type, sizeof *r, seq, time_ns);
    r->proc = proc;
    r->proc.reserved = 0;
    r->tid = tid;
    r->exit_code = exit_code;
    return sizeof *r;
}

PT_INLINE uint32_t pt_encode_image_load(void *buf, uint32_t cap, uint64_t seq, uint64_t time_ns, struct pt_ident proc,
                                        uint64_t base, uint64_t size_bytes, struct pt_str path)
{
    uint32_t flags = 0;
    uint32_t pl = pt__clamp(path, PT_MAX_STRING, &flags, PT_PROC_IMAGE_TRUNCATED);
    uint32_t size = PT_ALIGN8(PT_IMAGE_LOAD_FIXED + pl);
    struct pt_image_load *r = (struct pt_image_load *)buf;
    if (cap < size) return 0;
    pt__zero(buf, size);
    pt__header(buf, PT_REC_IMAGE_LOAD, size, seq, time_ns);
    r->proc = proc;
    r->proc.reserved = 0;
    r->base = base;
    r->size = size_bytes;
    r->flags = flags;
    r->path_len = pl;
    pt__copy((uint8_t *)buf + PT_IMAGE_LOAD_FIXED, path.ptr, pl);
    return size;
}

/* type: PT_REC_SNAPSHOT_BEGIN or PT_REC_SNAPSHOT_END */
PT_INLINE uint32_t pt_encode_snapshot(void *buf, uint32_t cap, uint16_t type, uint64_t seq, uint64_t time_ns,
                                      uint32_t reason, uint16_t flags)
{
    struct pt_snapshot *r = (struct pt_snapshot *)buf;
    if (cap < sizeof *r) return 0;
    pt__zero(buf, sizeof *r);
    pt__header(buf, type, sizeof *r, seq, time_ns);
    r->reason = reason;
    r->flags = flags;
    return sizeof *r;
}

PT_INLINE uint32_t pt_encode_events_lost(void *buf, uint32_t cap, uint64_t seq, uint64_t time_ns, uint64_t count,
                                         uint32_t reason)
{
    struct pt_events_lost *r = (struct pt_events_lost *)buf;
    if (cap < sizeof *r) return 0;
    pt__zero(buf, sizeof *r);
    pt__header(buf, PT_REC_EVENTS_LOST, sizeof *r, seq, time_ns);
    r->count = count;
    r->reason = reason;
    return sizeof *r;
}

struct pt_facts_args {
    struct pt_ident proc;
    uint64_t event_seq;
    uint64_t file_size;
    const uint8_t *sha256; /* 32 bytes; NULL unless status is PT_FACTS_HASHED */
    uint16_t status;       /* PT_FACTS_* */
    uint32_t error;
    struct pt_str path;
};

PT_INLINE uint32_t pt_encode_image_facts(void *buf, uint32_t cap, uint64_t seq, uint64_t time_ns,
                                         const struct pt_facts_args *a)
{
    uint32_t flags = 0;
    uint32_t pl = pt__clamp(a->path, PT_MAX_STRING, &flags, PT_PROC_IMAGE_TRUNCATED);
    uint32_t size = PT_ALIGN8(PT_IMAGE_FACTS_FIXED + pl);
    struct pt_image_facts *r = (struct pt_image_facts *)buf;
    if (cap < size) return 0;
    pt__zero(buf, size);
    pt__header(buf, PT_REC_IMAGE_FACTS, size, seq, time_ns);
    r->proc = a->proc;
    r->proc.reserved = 0;
    r->event_seq = a->event_seq;
    r->status = a->status;
    r->flags = (uint16_t)flags;
    r->error = a->error;
    r->path_len = pl;
    if (a->status == PT_FACTS_HASHED && a->sha256) {
        r->file_size = a->file_size;
        pt__copy(r->sha256, a->sha256, 32);
    }
    pt__copy((uint8_t *)buf + PT_IMAGE_FACTS_FIXED, a->path.ptr, pl);
    return size;
}

#ifdef __cplusplus
} /* extern "C" */
#endif
#endif /* PROCTREE_WIRE_ENCODE_H */
