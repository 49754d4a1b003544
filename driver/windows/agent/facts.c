/*
 * facts.c - the size and SHA-256 of each create's image (PT_REC_IMAGE_FACTS),
 * learned off the capture path.
 *
 * The main thread appends one request per create to a bounded ring and goes
 * on; one worker thread opens each image, identifies it with
 * GetFileInformationByHandle (volume serial, file index, size, last-write
 * time) and reads and hashes it (BCrypt SHA-256) only when that identity is
 * not in its bounded cache. The main thread writes the answers, in request
 * order, into the stream it owns. A full ring gets "skipped" facts at once:
 * the driver's records never wait for a disk.
 */
#include "agent.h"

#include <bcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <proctree/wire_encode.h>

#define PT_FACTS_RING 1024u          /* requests waiting or answered, not yet written */
#define PT_FACTS_CACHE 4096u         /* file versions remembered (direct-mapped) */
#define PT_FACTS_CHUNK (256u * 1024u)

enum pt_slot_state { PT_SLOT_QUEUED, PT_SLOT_WORKING, PT_SLOT_DONE };

typedef struct pt_facts_slot {
    enum pt_slot_state state;
    struct pt_ident proc;
    uint64_t event_seq;
    char *path;                      /* UTF-8, as in the create record */
    uint32_t path_len;
    uint16_t status;
    uint32_t error;
    uint64_t file_size;
    uint8_t sha256[32];
} pt_facts_slot;

typedef struct pt_file_id {
    uint64_t volume, file, size, modified;
} pt_file_id;

typedef struct pt_cache_entry {
    int used;
    pt_file_id id;
    uint8_t sha256[32];
} pt_cache_entry;

struct pt_facts {
    CRITICAL_SECTION lock;           /* the ring, the generation, stopping, stats */
    CONDITION_VARIABLE wake;         /* the worker waits for work here */
    HANDLE answered;                 /* auto-reset: an answer is ready to write */
    HANDLE thread;
    pt_facts_slot ring[PT_FACTS_RING];
    uint64_t head, next, tail;       /* written <= next to hash <= appended */
    uint64_t generation;             /* a new stream drops what the old one asked */
    int stopping;
    pt_facts_stats stats;
    /* worker only */
    pt_cache_entry cache[PT_FACTS_CACHE];
    BCRYPT_ALG_HANDLE sha;
    uint8_t *chunk;
};

static pt_facts_slot *slot_of(pt_facts *f, uint64_t i) { return &f->ring[i % PT_FACTS_RING]; }

static uint32_t cache_index(const pt_file_id *id)
{
    uint64_t h = id->file * 0x9E3779B97F4A7C15ull ^ id->volume ^ (id->modified * 31u + id->size);
    return (uint32_t)((h ^ (h >> 29)) % PT_FACTS_CACHE);
}

/* The create record's image path (UTF-8), or NULL when it has none to read. */
static const char *image_of(const struct pt_record_header *h, uint32_t *len)
{
    const struct pt_process_create *c = (const struct pt_process_create *)h;
    uint64_t before;

    if (h->type != PT_REC_PROCESS_CREATE || h->size < PT_PROCESS_CREATE_FIXED) {
        return NULL;
    }
    before = (uint64_t)c->name_len + c->user_len;
    if (c->image_len == 0 || (c->flags & PT_PROC_IMAGE_TRUNCATED) ||
        PT_PROCESS_CREATE_FIXED + before + c->image_len > h->size) {
        return NULL;
    }
    *len = c->image_len;
    return (const char *)h + PT_PROCESS_CREATE_FIXED + before;
}

/* A kernel path (\??\C:\..., \Device\HarddiskVolumeN\..., \SystemRoot\...)
 * as a path CreateFileW opens; Win32 paths are kept. */
static void win32_path(const wchar_t *in, wchar_t *out, size_t cap)
{
    static const wchar_t dev[] = L"\\Device\\", root[] = L"\\SystemRoot\\";
    wchar_t target[MAX_PATH], drive[3] = L"A:";

    if (!wcsncmp(in, L"\\??\\", 4)) {
        _snwprintf(out, cap, L"%ls", in + 4);
    } else if (!_wcsnicmp(in, root, wcslen(root))) {
        UINT n = GetWindowsDirectoryW(target, MAX_PATH);
        _snwprintf(out, cap, L"%.*ls\\%ls", (int)n, target, in + wcslen(root));
    } else if (!_wcsnicmp(in, dev, wcslen(dev))) {
        _snwprintf(out, cap, L"\\\\?\\GLOBALROOT%ls", in); /* what no drive letter names */
        for (; drive[0] <= L'Z'; drive[0]++) {
            size_t n;
            if (!QueryDosDeviceW(drive, target, MAX_PATH)) {
                continue;
            }
            n = wcslen(target);
            if (!_wcsnicmp(in, target, n) && in[n] == L'\\') {
                _snwprintf(out, cap, L"%ls%ls", drive, in + n);
                break;
            }
        }
    } else {
        _snwprintf(out, cap, L"%ls", in);
    }
    out[cap - 1] = 0;
}

/* Hashes the rest of an open file; returns 0 or a Win32 error. */
static DWORD hash_file(pt_facts *f, HANDLE file, uint8_t sha[32], uint64_t *bytes)
{
    BCRYPT_HASH_HANDLE hash = NULL;
    DWORD err = 0, got = 0;

    *bytes = 0;
    if (f->sha == NULL || !BCRYPT_SUCCESS(BCryptCreateHash(f->sha, &hash, NULL, 0, NULL, 0, 0))) {
        return ERROR_NOT_SUPPORTED;
    }
    for (;;) {
        if (!ReadFile(file, f->chunk, PT_FACTS_CHUNK, &got, NULL)) {
            err = GetLastError();
            break;
        }
        if (got == 0) {
            break;
        }
        *bytes += got;
        if (!BCRYPT_SUCCESS(BCryptHashData(hash, f->chunk, got, 0))) {
            err = ERROR_INVALID_DATA;
            break;
        }
    }
    if (err == 0 && !BCRYPT_SUCCESS(BCryptFinishHash(hash, sha, 32, 0))) {
        err = ERROR_INVALID_DATA;
    }
    BCryptDestroyHash(hash);
    return err;
}

/* Fills s's answer from the file its path names (worker, unlocked). Returns
 * 1 when the file was read, 0 when the cache knew it, -1 when unreadable. */
static int answer(pt_facts *f, pt_facts_slot *s, const char *path8, uint32_t len)
{
    static wchar_t wide[PT_MAX_STRING + 1], path[PT_MAX_STRING + 64];
    BY_HANDLE_FILE_INFORMATION info;
    pt_file_id id;
    pt_cache_entry *e;
    HANDLE file;
    uint64_t bytes = 0;
    int n = MultiByteToWideChar(CP_UTF8, 0, path8, (int)len, wide, PT_MAX_STRING);

    s->status = PT_FACTS_UNREADABLE;
    wide[n > 0 ? n : 0] = 0;
    win32_path(wide, path, sizeof path / sizeof path[0]);
    file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                       OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    if (file == INVALID_HANDLE_VALUE || !GetFileInformationByHandle(file, &info)) {
        s->error = GetLastError();
        if (file != INVALID_HANDLE_VALUE) {
            CloseHandle(file);
        }
        return -1;
    }
    id.volume = info.dwVolumeSerialNumber;
    id.file = (uint64_t)info.nFileIndexHigh << 32 | info.nFileIndexLow;
    id.size = (uint64_t)info.nFileSizeHigh << 32 | info.nFileSizeLow;
    id.modified = (uint64_t)info.ftLastWriteTime.dwHighDateTime << 32 | info.ftLastWriteTime.dwLowDateTime;
    e = &f->cache[cache_index(&id)];
    if (e->used && !memcmp(&e->id, &id, sizeof id)) {
        CloseHandle(file);
        memcpy(s->sha256, e->sha256, 32);
        s->file_size = id.size;
        s->status = PT_FACTS_HASHED;
        return 0;
    }
    s->error = hash_file(f, file, s->sha256, &bytes);
    CloseHandle(file);
    if (s->error != 0) {
        return -1;
    }
    if (bytes == id.size) { /* a file that changed while read is not remembered */
        e->used = 1;
        e->id = id;
        memcpy(e->sha256, s->sha256, 32);
    }
    s->file_size = bytes;
    s->status = PT_FACTS_HASHED;
    return 1;
}

static DWORD WINAPI worker(void *arg)
{
    pt_facts *f = (pt_facts *)arg;
    static char path[PT_MAX_STRING];

    EnterCriticalSection(&f->lock);
    for (;;) {
        pt_facts_slot *s, result;
        uint64_t i, generation;
        uint32_t len;
        int how;

        while (!f->stopping && f->next == f->tail) {
            SleepConditionVariableCS(&f->wake, &f->lock, INFINITE);
        }
        if (f->stopping) {
            break;
        }
        i = f->next++;
        s = slot_of(f, i);
        s->state = PT_SLOT_WORKING;
        len = s->path_len;
        memcpy(path, s->path, len);
        generation = f->generation;
        LeaveCriticalSection(&f->lock);

        ZeroMemory(&result, sizeof result);
        how = answer(f, &result, path, len);

        EnterCriticalSection(&f->lock);
        if (generation == f->generation) {
            s->status = result.status;
            s->error = result.error;
            s->file_size = result.file_size;
            memcpy(s->sha256, result.sha256, 32);
            s->state = PT_SLOT_DONE;
            if (how > 0) {
                f->stats.files_read++;
                f->stats.bytes_read += result.file_size;
            } else if (how == 0) {
                f->stats.cache_hits++;
            } else {
                f->stats.unreadable++;
            }
            SetEvent(f->answered);
        }
    }
    LeaveCriticalSection(&f->lock);
    return 0;
}

pt_facts *pt_facts_start(void)
{
    pt_facts *f = (pt_facts *)calloc(1, sizeof *f);

    if (f == NULL) {
        return NULL;
    }
    f->chunk = (uint8_t *)malloc(PT_FACTS_CHUNK);
    f->answered = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (f->chunk == NULL || f->answered == NULL ||
        !BCRYPT_SUCCESS(BCryptOpenAlgorithmProvider(&f->sha, BCRYPT_SHA256_ALGORITHM, NULL, 0))) {
        f->sha = NULL; /* every image is then unreadable (ERROR_NOT_SUPPORTED): said in the stream */
    }
    if (f->chunk == NULL || f->answered == NULL) {
        pt_facts_stop(f);
        return NULL;
    }
    InitializeCriticalSection(&f->lock);
    InitializeConditionVariable(&f->wake);
    f->thread = CreateThread(NULL, 0, worker, f, 0, NULL);
    if (f->thread == NULL) {
        DeleteCriticalSection(&f->lock);
        CloseHandle(f->answered);
        f->answered = NULL;
        pt_facts_stop(f);
        return NULL;
    }
    return f;
}

HANDLE pt_facts_event(const pt_facts *f) { return f->answered; }

static void write_facts(pt_writer *w, const pt_facts_slot *s)
{
    static uint8_t rec[PT_IMAGE_FACTS_FIXED + PT_MAX_STRING + 8];
    struct pt_facts_args a;
    uint32_t n;

    ZeroMemory(&a, sizeof a);
    a.proc = s->proc;
    a.event_seq = s->event_seq;
    a.status = s->status;
    a.error = s->status == PT_FACTS_UNREADABLE ? s->error : 0;
    a.file_size = s->file_size;
    a.sha256 = s->status == PT_FACTS_HASHED ? s->sha256 : NULL;
    a.path.ptr = s->status == PT_FACTS_SKIPPED ? NULL : s->path;
    a.path.len = s->status == PT_FACTS_SKIPPED ? 0 : s->path_len;
    n = pt_encode_image_facts(rec, sizeof rec, 0, pt_wall_clock_ns(), &a);
    if (n != 0) {
        pt_writer_record(w, rec);
    }
}

void pt_facts_request(pt_facts *f, pt_writer *w, const struct pt_record_header *h, uint64_t seq)
{
    const struct pt_process_create *c = (const struct pt_process_create *)h;
    uint32_t len = 0;
    const char *image = image_of(h, &len);
    pt_facts_slot *s, skipped;
    int full;

    if (image == NULL) {
        return;
    }
    EnterCriticalSection(&f->lock);
    f->stats.requested++;
    full = f->tail - f->head >= PT_FACTS_RING;
    s = full ? NULL : slot_of(f, f->tail);
    if (s != NULL) {
        s->path = (char *)malloc(len);
        if (s->path == NULL) {
            s = NULL;
        }
    }
    if (s == NULL) {
        f->stats.skipped++;
        LeaveCriticalSection(&f->lock);
        ZeroMemory(&skipped, sizeof skipped);
        skipped.proc = c->proc;
        skipped.event_seq = seq;
        skipped.status = PT_FACTS_SKIPPED;
        write_facts(w, &skipped);
        return;
    }
    memcpy(s->path, image, len);
    s->path_len = len;
    s->proc = c->proc;
    s->proc.reserved = 0;
    s->event_seq = seq;
    s->state = PT_SLOT_QUEUED;
    f->tail++;
    WakeConditionVariable(&f->wake);
    LeaveCriticalSection(&f->lock);
}

void pt_facts_drain(pt_facts *f, pt_writer *w)
{
    for (;;) {
        pt_facts_slot *s = NULL;
        /* (only this thread moves head; the worker never touches a DONE slot,
         * so the write, which may wait on a client, runs unlocked) */
        EnterCriticalSection(&f->lock);
        if (f->head < f->tail && slot_of(f, f->head)->state == PT_SLOT_DONE) {
            s = slot_of(f, f->head);
        }
        LeaveCriticalSection(&f->lock);
        if (s == NULL) {
            break;
        }
        write_facts(w, s);
        free(s->path);
        s->path = NULL;
        EnterCriticalSection(&f->lock);
        f->head++;
        LeaveCriticalSection(&f->lock);
    }
}

void pt_facts_end_stream(pt_facts *f, pt_writer *w, DWORD wait_ms)
{
    ULONGLONG deadline = GetTickCount64() + wait_ms;

    for (;;) {
        int pending;
        if (w != NULL) {
            pt_facts_drain(f, w);
        }
        EnterCriticalSection(&f->lock);
        pending = f->head < f->tail;
        LeaveCriticalSection(&f->lock);
        if (!pending || GetTickCount64() >= deadline) {
            break;
        }
        WaitForSingleObject(f->answered, 50);
    }
    EnterCriticalSection(&f->lock);
    while (f->head < f->tail) { /* not answered in time: the facts say skipped */
        pt_facts_slot *s = slot_of(f, f->head++);
        if (w != NULL) {
            s->status = PT_FACTS_SKIPPED;
            f->stats.skipped++;
            write_facts(w, s);
        }
        free(s->path);
        s->path = NULL;
    }
    f->head = f->next = f->tail = 0;
    f->generation++; /* an answer still being computed is for nobody now */
    LeaveCriticalSection(&f->lock);
}

pt_facts_stats pt_facts_get_stats(pt_facts *f)
{
    pt_facts_stats s;

    EnterCriticalSection(&f->lock);
    s = f->stats;
    LeaveCriticalSection(&f->lock);
    return s;
}

void pt_facts_stop(pt_facts *f)
{
    if (f == NULL) {
        return;
    }
    if (f->thread != NULL) {
        pt_facts_end_stream(f, NULL, 0);
        EnterCriticalSection(&f->lock);
        f->stopping = 1;
        WakeConditionVariable(&f->wake);
        LeaveCriticalSection(&f->lock);
        WaitForSingleObject(f->thread, INFINITE);
        CloseHandle(f->thread);
        DeleteCriticalSection(&f->lock);
    }
    if (f->sha != NULL) {
        BCryptCloseAlgorithmProvider(f->sha, 0);
    }
    if (f->answered != NULL) {
        CloseHandle(f->answered);
    }
    free(f->chunk);
    free(f);
}
