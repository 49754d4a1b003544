/*
 * output.c - where proctree-agent's stream goes: stdout, a file, or one TCP
 * client at a time; and the writer that buffers records and numbers them
 * (the driver numbers records per handle; the agent's stream has its own
 * sequence, since it interleaves snapshots).
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include <proctree/wire_encode.h>

#define PT_WRITER_CAP (2u * 1024u * 1024u)

uint32_t pt_utf8(const wchar_t *s, int len, char *out, uint32_t cap)
{
    int n;

    if (s == NULL || len == 0) {
        return 0;
    }
    n = WideCharToMultiByte(CP_UTF8, 0, s, len, out, (int)cap, NULL, NULL);
    return n > 0 ? (uint32_t)n : 0;
}

int pt_sink_open_stdout(pt_sink *sink)
{
    DWORD mode;

    ZeroMemory(sink, sizeof *sink);
    sink->kind = PT_SINK_STDOUT;
    sink->listener = sink->client = INVALID_SOCKET;
    sink->file = GetStdHandle(STD_OUTPUT_HANDLE);
    if (sink->file == NULL || sink->file == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "proctree-agent: no standard output; use -o FILE\n");
        return -1;
    }
    if (GetConsoleMode(sink->file, &mode)) {
        fprintf(stderr, "proctree-agent: standard output is a terminal and the stream is binary; "
                        "redirect it, or use -o FILE or --listen ADDR:PORT\n");
        return -1;
    }
    return 0;
}

int pt_sink_open_file(pt_sink *sink, const wchar_t *path)
{
    ZeroMemory(sink, sizeof *sink);
    sink->kind = PT_SINK_FILE;
    sink->listener = sink->client = INVALID_SOCKET;
    sink->file = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (sink->file == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "proctree-agent: cannot create %ls (error %lu)\n", path, (unsigned long)GetLastError());
        return -1;
    }
    return 0;
}

int pt_sink_listen(pt_sink *sink, const wchar_t *addr_port)
{
    WSADATA wsa;
    wchar_t host[256];
    const wchar_t *colon = wcsrchr(addr_port, L':');
    ADDRINFOW hints, *res = NULL;
    size_t hl;
    int one = 1;

    ZeroMemory(sink, sizeof *sink);
    sink->kind = PT_SINK_TCP;
    sink->listener = sink->client = INVALID_SOCKET;
    sink->file = INVALID_HANDLE_VALUE;
    if (colon == NULL || colon[1] == 0) {
        fprintf(stderr, "proctree-agent: --listen wants ADDR:PORT or :PORT, e.g. 127.0.0.1:7800\n");
        return -1;
    }
    hl = (size_t)(colon - addr_port);
    if (hl >= sizeof host / sizeof host[0]) {
        fprintf(stderr, "proctree-agent: --listen address too long\n");
        return -1;
    }
    if (hl == 0) {
        wcscpy(host, L"127.0.0.1"); /* loopback unless an address is given */
    } else {
        wmemcpy(host, addr_port, hl);
        host[hl] = 0;
        if (host[0] == L'[' && hl > 2 && host[hl - 1] == L']') {
            host[hl - 1] = 0;
            memmove(host, host + 1, hl * sizeof(wchar_t));
        }
    }
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        fprintf(stderr, "proctree-agent: WSAStartup failed\n");
        return -1;
    }
    ZeroMemory(&hints, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    if (GetAddrInfoW(host, colon + 1, &hints, &res) != 0 || res == NULL) {
        fprintf(stderr, "proctree-agent: bad --listen address %ls (numeric address and port expected)\n", addr_port);
        return -1;
    }
    sink->listener = socket(res->ai_family, SOCK_STREAM, IPPROTO_TCP);
    if (sink->listener == INVALID_SOCKET) {
        FreeAddrInfoW(res);
        fprintf(stderr, "proctree-agent: socket failed (%d)\n", WSAGetLastError());
        return -1;
    }
    setsockopt(sink->listener, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&one, sizeof one);
    if (bind(sink->listener, res->ai_addr, (int)res->ai_addrlen) != 0 || listen(sink->listener, 1) != 0) {
        fprintf(stderr, "proctree-agent: cannot listen on %ls (error %d)\n", addr_port, WSAGetLastError());
        FreeAddrInfoW(res);
        return -1;
    }
    FreeAddrInfoW(res);
    fprintf(stderr, "proctree-agent: listening on %ls (one client at a time)\n", addr_port);
    return 0;
}

int pt_sink_accept(pt_sink *sink, HANDLE stop)
{
    for (;;) {
        fd_set set;
        struct timeval tv = { 0, 200000 };
        int n;

        if (WaitForSingleObject(stop, 0) == WAIT_OBJECT_0) {
            return -1;
        }
        FD_ZERO(&set);
        FD_SET(sink->listener, &set);
        n = select(0, &set, NULL, NULL, &tv);
        if (n < 0) {
            fprintf(stderr, "proctree-agent: select failed (%d)\n", WSAGetLastError());
            return -1;
        }
        if (n > 0) {
            sink->client = accept(sink->listener, NULL, NULL);
            if (sink->client != INVALID_SOCKET) {
                u_long nonblocking = 1;
                /* sends wait in select, which also watches stop and stalls */
                if (ioctlsocket(sink->client, FIONBIO, &nonblocking) != 0) {
                    fprintf(stderr, "proctree-agent: cannot make the client socket non-blocking (%d)\n",
                            WSAGetLastError());
                    closesocket(sink->client);
                    sink->client = INVALID_SOCKET;
                    continue;
                }
                sink->error = PT_SINK_OK;
                fprintf(stderr, "proctree-agent: client connected\n");
                return 0;
            }
        }
    }
}

void pt_sink_refuse_extra(pt_sink *sink)
{
    fd_set set;
    struct timeval tv = { 0, 0 };

    if (sink->kind != PT_SINK_TCP) {
        return;
    }
    FD_ZERO(&set);
    FD_SET(sink->listener, &set);
    if (select(0, &set, NULL, NULL, &tv) > 0) {
        SOCKET extra = accept(sink->listener, NULL, NULL);
        if (extra != INVALID_SOCKET) {
            closesocket(extra); /* one client at a time */
        }
    }
}

void pt_sink_drop_client(pt_sink *sink)
{
    if (sink->client != INVALID_SOCKET) {
        closesocket(sink->client);
        sink->client = INVALID_SOCKET;
    }
}

static enum pt_sink_error failure(const pt_sink *sink)
{
    /* (Ctrl-C may have cancelled the call that failed) */
    return sink->stop && WaitForSingleObject(sink->stop, 0) == WAIT_OBJECT_0 ? PT_SINK_STOPPED : PT_SINK_FAILED;
}

/* Sends all of data to the (non-blocking) client. Waits for room in
 * select, 200 ms at a time, so that Ctrl-C is seen; a client that takes
 * nothing for stall_ms is dropped (said in one line). */
static int send_all(pt_sink *sink, const char *p, uint32_t len)
{
    ULONGLONG progress = GetTickCount64();

    while (len > 0) {
        int n = send(sink->client, p, len > 0x100000u ? 0x100000 : (int)len, 0);
        if (n > 0) {
            p += n;
            len -= (uint32_t)n;
            progress = GetTickCount64();
            continue;
        }
        if (n == 0 || WSAGetLastError() != WSAEWOULDBLOCK) {
            sink->error = failure(sink);
            return -1;
        }
        for (;;) {
            fd_set wset, eset;
            struct timeval tv = { 0, 200000 };
            int r;

            if (sink->stop && WaitForSingleObject(sink->stop, 0) == WAIT_OBJECT_0) {
                sink->error = PT_SINK_STOPPED;
                return -1;
            }
            if (sink->stall_ms && GetTickCount64() - progress >= sink->stall_ms) {
                fprintf(stderr, "proctree-agent: client took nothing for %lu ms: dropping it\n",
                        (unsigned long)sink->stall_ms);
                sink->error = PT_SINK_STALLED;
                return -1;
            }
            FD_ZERO(&wset);
            FD_ZERO(&eset);
            FD_SET(sink->client, &wset);
            FD_SET(sink->client, &eset);
            r = select(0, NULL, &wset, &eset, &tv);
            if (r < 0 || FD_ISSET(sink->client, &eset)) {
                sink->error = failure(sink);
                return -1;
            }
            if (r > 0) {
                break; /* room to send */
            }
        }
    }
    return 0;
}

int pt_sink_write(pt_sink *sink, const void *data, uint32_t len)
{
    const char *p = (const char *)data;

    if (sink->kind == PT_SINK_TCP) {
        return send_all(sink, p, len);
    }
    /* stdout or a file: a full pipe blocks here; Ctrl-C cancels the write
     * (agent.c) and a second Ctrl-C ends the process. */
    while (len > 0) {
        DWORD n = 0;
        if (!WriteFile(sink->file, p, len, &n, NULL) || n == 0) {
            sink->error = failure(sink);
            return -1;
        }
        p += n;
        len -= n;
    }
    return 0;
}

int pt_writer_init(pt_writer *w, pt_sink *sink)
{
    ZeroMemory(w, sizeof *w);
    w->sink = sink;
    w->cap = PT_WRITER_CAP;
    w->buf = (uint8_t *)malloc(w->cap);
    return w->buf ? 0 : -1;
}

void pt_writer_free(pt_writer *w)
{
    free(w->buf);
    w->buf = NULL;
}

int pt_writer_flush(pt_writer *w)
{
    if (!w->failed && w->used > 0 && pt_sink_write(w->sink, w->buf, w->used) != 0) {
        w->failed = 1;
    }
    w->bytes += w->used;
    w->used = 0;
    return w->failed ? -1 : 0;
}

void pt_writer_raw(pt_writer *w, const void *data, uint32_t len)
{
    if (w->cap - w->used < len) {
        pt_writer_flush(w);
    }
    memcpy(w->buf + w->used, data, len);
    w->used += len;
}

void pt_writer_record(pt_writer *w, const void *record)
{
    const struct pt_record_header *h = (const struct pt_record_header *)record;
    struct pt_record_header *out;

    if (w->cap - w->used < h->size) {
        pt_writer_flush(w);
    }
    out = (struct pt_record_header *)(w->buf + w->used);
    memcpy(out, record, h->size);
    out->seq = w->seq++;
    w->used += h->size;
    w->records++;
    if (w->facts != NULL && h->type == PT_REC_PROCESS_CREATE) {
        pt_facts_request(w->facts, w, out, out->seq);
    }
}
