/*
 * agent.c - proctree-agent.exe: reads proctree.sys and writes the proctree
 * stream (driver/include/proctree/wire.h): the stream header, a snapshot of
 * the processes already running, then the driver's records as they come,
 * with a read always pended on the driver (two buffers: the next read is
 * issued before the last one's records are written out). After an
 * events-lost record it writes a resync snapshot so viewers converge. Each
 * create's image gets its size and SHA-256 (facts.c) unless --no-image-facts.
 *
 *   proctree-agent [-o FILE | --listen ADDR:PORT] [--threads] [--images]
 *                  [--no-image-facts] [--count N] [--duration SECONDS] [--stats]
 *
 * Ctrl-C stops it (a second Ctrl-C ends it at once, should a write to a
 * full pipe not give up). A TCP client that takes nothing for
 * --client-timeout seconds is dropped, and the next one served.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include <proctree/wire_encode.h>

#define PT_READ_BUFFER (1024u * 1024u)
#define PT_RESYNC_MIN_MS 1000u
#define PT_CLIENT_TIMEOUT_MS 10000u
#define PT_FACTS_FINISH_MS 10000u  /* a stream's end waits this long for its last images' facts */

typedef struct pt_options {
    const wchar_t *output;
    const wchar_t *listen;
    const wchar_t *device;
    const wchar_t *service;
    ULONG mask;
    uint64_t count;        /* stop after forwarding this many driver records (0: never) */
    double duration;       /* stop after this many seconds (0: never) */
    DWORD idle_exit_ms;    /* stop once live records were seen and none came for this long (0: never) */
    DWORD client_timeout_ms; /* --listen: drop a client that takes nothing for this long (0: never) */
    int stats;
    int no_image_facts;
} pt_options;

typedef struct pt_totals {
    uint64_t forwarded;
    uint64_t lost;
    uint64_t resyncs;
} pt_totals;

static HANDLE stop_event;
static HANDLE main_thread; /* whose blocked write Ctrl-C cancels */

static BOOL WINAPI on_console_ctrl(DWORD type)
{
    (void)type;
    if (WaitForSingleObject(stop_event, 0) == WAIT_OBJECT_0) {
        return FALSE; /* the second one: let the default handler end the process */
    }
    SetEvent(stop_event);
    if (main_thread != NULL) {
        CancelSynchronousIo(main_thread); /* a WriteFile blocked on a full pipe */
    }
    return TRUE;
}

static void usage(FILE *f)
{
    fputs("usage: proctree-agent [options]\n"
          "Streams process events from the proctree driver (proctree.sys) in the proctree\n"
          "wire format: a header, a snapshot of running processes, then live records.\n"
          "\n"
          "  -o, --output FILE       write the stream to FILE (default: standard output)\n"
          "  --listen ADDR:PORT      serve the stream over TCP, one client at a time;\n"
          "                          ':PORT' listens on 127.0.0.1 only\n"
          "  --threads               also stream thread create/exit records\n"
          "  --images                also stream image-load records\n"
          "  --no-image-facts        do not read and hash each new process's executable\n"
          "                          (default: its size and SHA-256 follow its create)\n"
          "  --count N               stop after forwarding N driver records\n"
          "  --duration SECONDS      stop after SECONDS\n"
          "  --idle-exit MS          stop when no record came for MS after the first live one\n"
          "  --client-timeout SECONDS  drop a TCP client that takes nothing for SECONDS\n"
          "                          (default 10; 0: wait forever)\n"
          "  --stats                 print totals and CPU time to stderr at exit\n"
          "  --device PATH           device to open (default \\\\.\\ProcTree)\n"
          "  --service NAME          driver service name for diagnostics (default proctree)\n"
          "  -h, --help              this help\n"
          "\n"
          "View on Linux:  proctree --from tcp:HOST:PORT   or   proctree --from FILE\n"
          "Needs an elevated (Administrator) prompt; see docs/windows-driver.md.\n",
          f);
}

static int parse_args(int argc, wchar_t **argv, pt_options *o)
{
    int i;

    ZeroMemory(o, sizeof *o);
    o->device = PT_WIN32_DEVICE;
    o->service = PT_SERVICE_NAME;
    o->mask = PT_MASK_PROCESS;
    o->client_timeout_ms = PT_CLIENT_TIMEOUT_MS;
    for (i = 1; i < argc; i++) {
        const wchar_t *a = argv[i];
        const wchar_t *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!wcscmp(a, L"-h") || !wcscmp(a, L"--help") || !wcscmp(a, L"/?")) {
            usage(stdout);
            exit(0);
        } else if (!wcscmp(a, L"--threads")) {
            o->mask |= PT_MASK_THREAD;
        } else if (!wcscmp(a, L"--images")) {
            o->mask |= PT_MASK_IMAGE;
        } else if (!wcscmp(a, L"--no-image-facts")) {
            o->no_image_facts = 1;
        } else if (!wcscmp(a, L"--stats")) {
            o->stats = 1;
        } else if (v && (!wcscmp(a, L"-o") || !wcscmp(a, L"--output"))) {
            o->output = v, i++;
        } else if (v && !wcscmp(a, L"--listen")) {
            o->listen = v, i++;
        } else if (v && !wcscmp(a, L"--device")) {
            o->device = v, i++;
        } else if (v && !wcscmp(a, L"--service")) {
            o->service = v, i++;
        } else if (v && !wcscmp(a, L"--count")) {
            o->count = wcstoull(v, NULL, 10), i++;
        } else if (v && !wcscmp(a, L"--idle-exit")) {
            o->idle_exit_ms = (DWORD)wcstoul(v, NULL, 10), i++;
        } else if (v && !wcscmp(a, L"--client-timeout")) {
            o->client_timeout_ms = (DWORD)(wcstod(v, NULL) * 1000.0), i++;
        } else if (v && !wcscmp(a, L"--duration")) {
            o->duration = wcstod(v, NULL), i++;
        } else {
            fprintf(stderr, "proctree-agent: unknown or incomplete option '%ls' (try --help)\n", a);
            return -1;
        }
    }
    if (o->output && o->listen) {
        fprintf(stderr, "proctree-agent: -o and --listen are exclusive\n");
        return -1;
    }
    return 0;
}

/* Opens the device, or says in one line why not. */
static HANDLE open_device(const pt_options *o)
{
    HANDLE h = CreateFileW(o->device, GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
    DWORD err = GetLastError();
    PT_VERSION_INFO v;
    DWORD got = 0;
    OVERLAPPED ov;

    if (h == INVALID_HANDLE_VALUE) {
        if (err == ERROR_ACCESS_DENIED) {
            fprintf(stderr, "proctree-agent: access denied to %ls: run from an elevated (Administrator) prompt\n",
                    o->device);
        } else if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) {
            SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
            SC_HANDLE svc = scm ? OpenServiceW(scm, o->service, SERVICE_QUERY_STATUS) : NULL;
            SERVICE_STATUS st;
            if (svc == NULL && GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST) {
                fprintf(stderr, "proctree-agent: the driver is not installed (no service '%ls'): "
                                "sc create %ls type= kernel binPath= C:\\Windows\\System32\\drivers\\proctree.sys\n",
                        o->service, o->service);
            } else if (svc != NULL && QueryServiceStatus(svc, &st) && st.dwCurrentState != SERVICE_RUNNING) {
                fprintf(stderr, "proctree-agent: the driver is installed but not started: sc start %ls\n", o->service);
            } else {
                fprintf(stderr, "proctree-agent: %ls does not exist: is the proctree driver running?\n", o->device);
            }
            if (svc) {
                CloseServiceHandle(svc);
            }
            if (scm) {
                CloseServiceHandle(scm);
            }
        } else {
            fprintf(stderr, "proctree-agent: cannot open %ls (error %lu)\n", o->device, (unsigned long)err);
        }
        return INVALID_HANDLE_VALUE;
    }
    ZeroMemory(&ov, sizeof ov);
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (ov.hEvent == NULL) {
        fprintf(stderr, "proctree-agent: cannot create an event (error %lu)\n", (unsigned long)GetLastError());
        CloseHandle(h);
        return INVALID_HANDLE_VALUE;
    }
    if ((!DeviceIoControl(h, IOCTL_PT_GET_VERSION, NULL, 0, &v, sizeof v, &got, &ov) &&
         !(GetLastError() == ERROR_IO_PENDING && GetOverlappedResult(h, &ov, &got, TRUE))) ||
        got != sizeof v || v.WireMajor != PT_WIRE_VERSION_MAJOR) {
        fprintf(stderr, "proctree-agent: %ls is not a compatible proctree driver (wire %u.%u)\n", o->device,
                got == sizeof v ? v.WireMajor : 0, got == sizeof v ? v.WireMinor : 0);
        CloseHandle(ov.hEvent);
        CloseHandle(h);
        return INVALID_HANDLE_VALUE;
    }
    ResetEvent(ov.hEvent);
    if (o->mask != PT_MASK_PROCESS &&
        !DeviceIoControl(h, IOCTL_PT_SET_EVENT_MASK, (void *)&o->mask, sizeof o->mask, NULL, 0, &got, &ov) &&
        !(GetLastError() == ERROR_IO_PENDING && GetOverlappedResult(h, &ov, &got, TRUE))) {
        fprintf(stderr, "proctree-agent: cannot set the event mask (error %lu)\n", (unsigned long)GetLastError());
    }
    CloseHandle(ov.hEvent);
    return h;
}

typedef struct pt_read {
    OVERLAPPED ov;
    uint8_t *buf;
} pt_read;

static BOOL start_read(HANDLE dev, pt_read *r)
{
    ResetEvent(r->ov.hEvent);
    r->ov.Internal = r->ov.InternalHigh = 0;
    if (ReadFile(dev, r->buf, PT_READ_BUFFER, NULL, &r->ov)) {
        return TRUE; /* completed at once; the event is set */
    }
    return GetLastError() == ERROR_IO_PENDING;
}

/* Forwards one read's records; returns 1 if an events-lost record was among them. */
static int forward(pt_writer *w, const uint8_t *buf, DWORD bytes, pt_totals *t, uint64_t limit)
{
    DWORD off = 0;
    int lost = 0;

    while (off + sizeof(struct pt_record_header) <= bytes) {
        const struct pt_record_header *h = (const struct pt_record_header *)(buf + off);
        if (h->size < sizeof *h || h->size % 8 || h->size > bytes - off) {
            fprintf(stderr, "proctree-agent: malformed record from the driver at +%lu\n", (unsigned long)off);
            break;
        }
        if (limit && t->forwarded >= limit) {
            break;
        }
        pt_writer_record(w, h);
        t->forwarded++;
        if (h->type == PT_REC_EVENTS_LOST) {
            t->lost += ((const struct pt_events_lost *)h)->count;
            lost = 1;
        }
        off += h->size;
    }
    return lost;
}

/* Says in one line why a snapshot failed (pt_write_snapshot set the error). */
static void snapshot_failed(const char *which, const char *then)
{
    DWORD err = GetLastError();

    fprintf(stderr, "proctree-agent: %s snapshot of running processes failed: %s (error %lu)%s\n", which,
            err == ERROR_NOT_ENOUGH_MEMORY ? "out of memory" : "CreateToolhelp32Snapshot", (unsigned long)err,
            then);
}

/* One stream: header, snapshot, live records until stop/limit/error.
 * Returns 0 when done, 1 when the sink failed (TCP client left), 2 on a
 * driver error or when no snapshot could be taken. */
static int run_stream(const pt_options *o, pt_sink *sink, pt_totals *t, ULONGLONG deadline, pt_facts *facts)
{
    HANDLE dev;
    pt_writer w;
    pt_read reads[2];
    int cur = 0, rc = 0, resync_due = 0, i;
    ULONGLONG last_resync = 0;
    ULONGLONG last_record = 0; /* tick of the last live read, 0 before the first */

    dev = open_device(o); /* before the snapshot: nothing falls between */
    if (dev == INVALID_HANDLE_VALUE) {
        return 2;
    }
    if (pt_writer_init(&w, sink) != 0) {
        CloseHandle(dev);
        return 2;
    }
    w.facts = facts;
    ZeroMemory(reads, sizeof reads);
    for (i = 0; i < 2; i++) {
        reads[i].ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (reads[i].ov.hEvent == NULL) {
            fprintf(stderr, "proctree-agent: cannot create an event (error %lu)\n", (unsigned long)GetLastError());
            rc = 2;
            goto done;
        }
        reads[i].buf = (uint8_t *)malloc(PT_READ_BUFFER);
        if (reads[i].buf == NULL) {
            fprintf(stderr, "proctree-agent: out of memory (read buffer of %u bytes)\n", PT_READ_BUFFER);
            rc = 2;
            goto done;
        }
    }
    pt_write_stream_header(&w);
    if (pt_write_snapshot(&w, PT_SNAPSHOT_INITIAL) != 0) {
        snapshot_failed("initial", "");
        rc = 2;
        goto done; /* a stream without it would show no tree */
    }
    if (pt_writer_flush(&w) != 0) {
        rc = 1;
        goto done;
    }
    if (!start_read(dev, &reads[cur])) {
        fprintf(stderr, "proctree-agent: read from the driver failed (error %lu)\n", (unsigned long)GetLastError());
        rc = 2;
        goto done;
    }
    while (rc == 0) {
        HANDLE waits[3] = { reads[cur].ov.hEvent, stop_event, facts ? pt_facts_event(facts) : NULL };
        DWORD bytes = 0, r;

        r = WaitForMultipleObjects(facts ? 3 : 2, waits, FALSE, 200);
        if (r == WAIT_OBJECT_0 + 1) {
            break; /* Ctrl-C */
        }
        pt_sink_refuse_extra(sink);
        if (r == WAIT_OBJECT_0 || r == WAIT_FAILED) {
            if (!GetOverlappedResult(dev, &reads[cur].ov, &bytes, FALSE)) {
                DWORD err = GetLastError();
                fprintf(stderr, "proctree-agent: %s (error %lu)\n",
                        err == ERROR_DEVICE_REMOVED ? "the driver was stopped" : "read from the driver failed",
                        (unsigned long)err);
                rc = 2;
                break;
            }
            /* keep a read pended while this one's records go out */
            if (!(o->count && t->forwarded >= o->count) && !start_read(dev, &reads[cur ^ 1])) {
                fprintf(stderr, "proctree-agent: read from the driver failed (error %lu)\n",
                        (unsigned long)GetLastError());
                rc = 2;
            }
            resync_due |= forward(&w, reads[cur].buf, bytes, t, o->count);
            last_record = GetTickCount64();
            cur ^= 1;
            if (o->count && t->forwarded >= o->count) {
                break;
            }
        }
        /* after lost events, a fresh complete snapshot (at most one a second) */
        if (resync_due && GetTickCount64() - last_resync >= PT_RESYNC_MIN_MS) {
            if (pt_write_snapshot(&w, PT_SNAPSHOT_RESYNC) != 0) {
                snapshot_failed("resync", ", retrying");
                if (pt_write_snapshot(&w, PT_SNAPSHOT_RESYNC) != 0) {
                    snapshot_failed("resync", ": viewers cannot converge, ending the stream");
                    rc = 2;
                    break;
                }
            }
            t->resyncs++;
            last_resync = GetTickCount64();
            resync_due = 0;
        }
        if (facts != NULL) {
            pt_facts_drain(facts, &w);
        }
        if (pt_writer_flush(&w) != 0) {
            rc = 1;
        }
        if (deadline && GetTickCount64() >= deadline) {
            break;
        }
        if (o->idle_exit_ms && last_record && !resync_due && GetTickCount64() - last_record >= o->idle_exit_ms) {
            break;
        }
    }
    if (facts != NULL) { /* the last creates' facts, unless no one is reading */
        pt_facts_end_stream(facts, w.failed ? NULL : &w, w.failed ? 0 : PT_FACTS_FINISH_MS);
    }
    pt_writer_flush(&w);
done:
    CancelIoEx(dev, NULL);
    for (i = 0; i < 2; i++) {
        DWORD ignored;
        if (reads[i].ov.hEvent != NULL) {
            GetOverlappedResult(dev, &reads[i].ov, &ignored, TRUE);
            CloseHandle(reads[i].ov.hEvent);
        }
        free(reads[i].buf);
    }
    CloseHandle(dev);
    if (facts != NULL) {
        pt_facts_end_stream(facts, NULL, 0); /* (an early failure left requests) */
    }
    pt_writer_free(&w);
    if (rc == 1 && sink->error == PT_SINK_STOPPED) {
        rc = 0; /* Ctrl-C while a write waited */
    }
    return rc;
}

static void print_stats(const pt_totals *t, ULONGLONG started, pt_facts *facts)
{
    FILETIME c, x, k, u;
    ULARGE_INTEGER ku, uu;

    GetProcessTimes(GetCurrentProcess(), &c, &x, &k, &u);
    ku.LowPart = k.dwLowDateTime, ku.HighPart = k.dwHighDateTime;
    uu.LowPart = u.dwLowDateTime, uu.HighPart = u.dwHighDateTime;
    fprintf(stderr, "proctree-agent: forwarded %llu records, events lost %llu, resyncs %llu, "
                    "cpu user %llu ms kernel %llu ms, wall %llu ms\n",
            (unsigned long long)t->forwarded, (unsigned long long)t->lost, (unsigned long long)t->resyncs,
            (unsigned long long)(uu.QuadPart / 10000), (unsigned long long)(ku.QuadPart / 10000),
            (unsigned long long)(GetTickCount64() - started));
    if (facts != NULL) {
        pt_facts_stats s = pt_facts_get_stats(facts);
        fprintf(stderr, "proctree-agent: image facts: %llu images, %llu files read (%llu bytes), %llu from cache, "
                        "%llu unreadable, %llu skipped\n",
                (unsigned long long)s.requested, (unsigned long long)s.files_read,
                (unsigned long long)s.bytes_read, (unsigned long long)s.cache_hits,
                (unsigned long long)s.unreadable, (unsigned long long)s.skipped);
    }
}

int wmain(int argc, wchar_t **argv)
{
    pt_options o;
    pt_sink sink;
    pt_totals t;
    pt_facts *facts = NULL;
    ULONGLONG started = GetTickCount64();
    ULONGLONG deadline;
    int rc;

    if (parse_args(argc, argv, &o) != 0) {
        return 2;
    }
    deadline = o.duration > 0 ? started + (ULONGLONG)(o.duration * 1000.0) : 0;
    ZeroMemory(&t, sizeof t);
    stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (stop_event == NULL) {
        fprintf(stderr, "proctree-agent: cannot create an event (error %lu)\n", (unsigned long)GetLastError());
        return 1;
    }
    if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &main_thread, 0, FALSE,
                         DUPLICATE_SAME_ACCESS)) {
        main_thread = NULL; /* Ctrl-C then cannot cancel a blocked write; a second one still ends us */
    }
    SetConsoleCtrlHandler(on_console_ctrl, TRUE);
    if (!o.no_image_facts && (facts = pt_facts_start()) == NULL) {
        fprintf(stderr, "proctree-agent: cannot start the image hasher (out of memory): run with --no-image-facts\n");
        return 1;
    }

    if (o.listen) {
        if (pt_sink_listen(&sink, o.listen) != 0) {
            return 1;
        }
        sink.stop = stop_event;
        sink.stall_ms = o.client_timeout_ms;
        rc = 0;
        while (rc != 2 && pt_sink_accept(&sink, stop_event) == 0) {
            rc = run_stream(&o, &sink, &t, deadline, facts);
            pt_sink_drop_client(&sink);
            /* (a stalled client and rc 2 were reported already) */
            if (rc == 0 || (rc == 1 && sink.error != PT_SINK_STALLED)) {
                fprintf(stderr, "proctree-agent: client %s\n", rc == 1 ? "disconnected" : "done");
            }
            if (rc == 0) {
                break; /* stopped, count or duration reached */
            }
        }
    } else {
        if ((o.output ? pt_sink_open_file(&sink, o.output) : pt_sink_open_stdout(&sink)) != 0) {
            return 1;
        }
        sink.stop = stop_event;
        rc = run_stream(&o, &sink, &t, deadline, facts);
        if (rc == 1) {
            fprintf(stderr, "proctree-agent: writing the stream failed (error %lu)\n", (unsigned long)GetLastError());
        }
        if (sink.kind == PT_SINK_FILE) {
            CloseHandle(sink.file);
        }
    }
    if (o.stats) {
        print_stats(&t, started, facts);
    }
    pt_facts_stop(facts);
    return rc == 0 ? 0 : 1;
}
