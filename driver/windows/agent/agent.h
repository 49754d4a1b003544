/*
 * agent.h - proctree-agent.exe internals: the output sink (stdout, file or
 * one TCP client), the stream writer that numbers records, and the
 * Toolhelp32 snapshot.
 */
#ifndef PROCTREE_AGENT_H
#define PROCTREE_AGENT_H

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <winioctl.h>
#include <stdint.h>

#include "proctree_ioctl.h"
#include "proctree_wallclock.h"

enum pt_sink_kind { PT_SINK_STDOUT, PT_SINK_FILE, PT_SINK_TCP };

/* Why pt_sink_write failed */
enum pt_sink_error { PT_SINK_OK, PT_SINK_FAILED, PT_SINK_STALLED, PT_SINK_STOPPED };

typedef struct pt_sink {
    enum pt_sink_kind kind;
    HANDLE file;          /* stdout or -o FILE */
    SOCKET listener;      /* --listen */
    SOCKET client;        /* the one connected client (non-blocking) */
    HANDLE stop;          /* set on Ctrl-C: a blocked write gives up */
    DWORD stall_ms;       /* TCP: drop a client that takes nothing for this long */
    enum pt_sink_error error; /* of the last failed write */
} pt_sink;

/* Writes everything or fails (returns -1 and sets sink->error: for TCP, the
 * client is gone, or took nothing for stall_ms, or stop was set). */
int pt_sink_write(pt_sink *sink, const void *data, uint32_t len);
int pt_sink_open_file(pt_sink *sink, const wchar_t *path);
int pt_sink_open_stdout(pt_sink *sink);
/* Listens on "ADDR:PORT" (IPv4 or [IPv6]); returns 0 or prints an error. */
int pt_sink_listen(pt_sink *sink, const wchar_t *addr_port);
/* Waits for the next client (or until stop is signalled: returns -1). */
int pt_sink_accept(pt_sink *sink, HANDLE stop);
/* Refuses extra clients while one is served (non-blocking). */
void pt_sink_refuse_extra(pt_sink *sink);
void pt_sink_drop_client(pt_sink *sink);

typedef struct pt_facts pt_facts;

/* Buffers records, gives them this stream's sequence numbers. */
typedef struct pt_writer {
    pt_sink *sink;
    uint8_t *buf;
    uint32_t used;
    uint32_t cap;
    uint64_t seq;
    uint64_t records;     /* records written (all kinds) */
    uint64_t bytes;
    int failed;
    pt_facts *facts;      /* when set, each create's image is hashed (facts.c) */
} pt_writer;

int pt_writer_init(pt_writer *w, pt_sink *sink);
void pt_writer_free(pt_writer *w);
/* Appends raw bytes (the stream header). */
void pt_writer_raw(pt_writer *w, const void *data, uint32_t len);
/* Appends one whole record, rewriting its seq; a create's image goes to
 * w->facts. */
void pt_writer_record(pt_writer *w, const void *record);
/* Sends what is buffered; returns -1 once the sink failed. */
int pt_writer_flush(pt_writer *w);

/* UTF-16 -> UTF-8 into out (cap bytes); returns the length. */
uint32_t pt_utf8(const wchar_t *s, int len, char *out, uint32_t cap);

/* snapshot.c */
void pt_write_stream_header(pt_writer *w);
/* SNAPSHOT_BEGIN, one create per running process (parents first), END.
 * Returns 0, or -1 having written nothing (GetLastError(): why; out of
 * memory is ERROR_NOT_ENOUGH_MEMORY). */
int pt_write_snapshot(pt_writer *w, uint32_t reason);

/* facts.c: PT_REC_IMAGE_FACTS for each create's image, from a worker thread
 * with a cache keyed by file identity (volume serial, file index, size,
 * last-write time). */
typedef struct pt_facts_stats {
    uint64_t requested;   /* creates with an image */
    uint64_t skipped;     /* the worker was behind: nothing read */
    uint64_t cache_hits;  /* identity known: not read again */
    uint64_t files_read;  /* file versions read and hashed */
    uint64_t bytes_read;
    uint64_t unreadable;
} pt_facts_stats;

/* NULL when out of memory or no thread could start. */
pt_facts *pt_facts_start(void);
void pt_facts_stop(pt_facts *f);
/* Asks for the facts of the create record h, written as seq (from
 * pt_writer_record); a full queue writes "skipped" facts into w at once. */
void pt_facts_request(pt_facts *f, pt_writer *w, const struct pt_record_header *h, uint64_t seq);
/* Set when an answer is ready: wait on it beside the driver's reads. */
HANDLE pt_facts_event(const pt_facts *f);
/* Writes the answers ready, in request order. */
void pt_facts_drain(pt_facts *f, pt_writer *w);
/* The stream ends: waits up to wait_ms for what is pending, writes it into
 * w (unless NULL), "skipped" for what did not come in time. */
void pt_facts_end_stream(pt_facts *f, pt_writer *w, DWORD wait_ms);
pt_facts_stats pt_facts_get_stats(pt_facts *f);

#endif
