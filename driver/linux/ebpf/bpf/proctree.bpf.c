// SPDX-License-Identifier: GPL-2.0
/*
 * proctree.bpf.c - process lifetime events from the scheduler's BTF
 * tracepoints (tp_btf: no tracefs needed), captured inside the kernel so that
 * even a process that lives a millisecond keeps its name, executable and argv.
 *
 * Compiled with clang -target bpf against a vmlinux.h generated at build time
 * (CO-RE: field offsets are relocated by libbpf at load time). Events go to a
 * BPF ring buffer; a failed output is counted in `lost_events` so that user space
 * can report the loss and resync from /proc.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "pt_bpf_event.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD 0x00200000
#define SIGNAL_GROUP_EXIT 0x00000004

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024); /* user space sizes it before load */
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pt_bpf_proc);
} scratch SEC(".maps");

/* Ring buffer reserve/output failures. A global (.bss, memory-mapped by the
 * skeleton): user space reads it without a system call. */
__u64 lost_events = 0;

/* Wake the reader only once this much is waiting (set before load); it
 * also drains on its own every few milliseconds. Batching wakeups keeps the
 * reader's CPU low in a storm. */
const volatile __u64 wakeup_bytes = 64 * 1024;

/* The page size, for RSS counted in pages (set before load). */
const volatile __u64 page_bytes = 4096;

static __always_inline __u64 wakeup_flag(void)
{
    return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void count_lost(void)
{
    __sync_fetch_and_add(&lost_events, 1); /* rare: contention does not matter */
}

/* tp_btf arguments are typed kernel pointers: fields reached from them are
 * read with plain (fault-safe) loads, far cheaper than a bpf_probe_read call
 * per field. Only strings and user memory go through helpers. */
static __always_inline __u64 leader_start(struct task_struct *t) { return t->group_leader->start_boottime; }

/* The path walk (see read_path) runs as bpf_loop callbacks: the verifier
 * checks each body once instead of every unrolled step. Its state lives in
 * the caller's stack and in the event. */
struct path_walk {
    struct pt_bpf_proc *e;
    struct dentry *dentry; /* typed, while still inside the file's own mount */
    struct vfsmount *vfsmnt;
    __u64 mnt;        /* struct mount * (container_of leaves no typed pointer) */
    __u64 far_dentry; /* beyond the first mount: plain addresses, read by helper */
    int state;        /* WALK_* */
};

enum {
    WALK_ON = 0,
    WALK_ROOT = 1,
    WALK_CROSS = 2,
    WALK_STOP = 3
};

/* Appends one component name; false when the path area is full. */
static __always_inline int append_name(struct pt_bpf_proc *e, const unsigned char *name)
{
    __u32 off = e->path_len;
    if (off > PT_BPF_PATH_MAX - PT_BPF_NAME_MAX) return 0;
    long n = bpf_probe_read_kernel_str(&e->data[off & (PT_BPF_PATH_MAX - 1)], PT_BPF_NAME_MAX, name);
    if (n <= 0) return 0;
    e->path_len = (__u16)(off + (__u32)n);
    return 1;
}

/* At the root of mount `mnt`: the namespace root, or on to the mount point. */
static __always_inline long mount_root(struct path_walk *w)
{
    struct mount *mnt = (struct mount *)w->mnt;
    struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
    if (mnt_parent == mnt) {
        w->state = WALK_ROOT;
        return 1;
    }
    w->far_dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
    w->mnt = (__u64)mnt_parent;
    w->state = WALK_CROSS;
    return 1;
}

/* Inside the executable's own mount (nearly always all of the path): typed loads. */
static long near_step(__u32 index, void *ctx)
{
    struct path_walk *w = ctx;
    struct dentry *dentry = w->dentry;
    struct dentry *parent = dentry->d_parent;

    if (dentry == w->vfsmnt->mnt_root) return mount_root(w);
    if (dentry == parent) {
        w->state = WALK_ROOT;
        return 1;
    }
    if (!append_name(w->e, dentry->d_name.name)) {
        w->state = WALK_STOP;
        return 1;
    }
    w->dentry = parent;
    return 0;
}

/* Beyond a mount point: every field through the helper. */
static long far_step(__u32 index, void *ctx)
{
    struct path_walk *w = ctx;
    struct dentry *dentry = (struct dentry *)w->far_dentry;
    struct mount *mnt = (struct mount *)w->mnt;
    struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

    if (dentry == BPF_CORE_READ(mnt, mnt.mnt_root)) {
        mount_root(w); /* WALK_ROOT, or WALK_CROSS with the next mount set */
        if (w->state != WALK_CROSS) return 1;
        w->state = WALK_ON;
        return 0;
    }
    if (dentry == parent) {
        w->state = WALK_ROOT;
        return 1;
    }
    if (!append_name(w->e, BPF_CORE_READ(dentry, d_name.name))) {
        w->state = WALK_STOP;
        return 1;
    }
    w->far_dentry = (__u64)parent;
    return 0;
}

/* Appends the path of `file` to e->data as components, leaf first, each
 * NUL-terminated (user space reverses them). Crosses mount points up to the
 * root of the mount namespace, like d_path; at most PT_BPF_PATH_DEPTH steps. */
static __always_inline void read_path(struct pt_bpf_proc *e, struct file *file)
{
    struct path_walk w = {
        .e = e,
        .dentry = file->f_path.dentry,
        .vfsmnt = file->f_path.mnt,
        .state = WALK_ON,
    };
    w.mnt = (__u64)w.vfsmnt - bpf_core_field_offset(struct mount, mnt);
    e->path_len = 0;
    long steps = bpf_loop(PT_BPF_PATH_DEPTH, near_step, &w, 0);
    if (w.state == WALK_CROSS && steps > 0 && steps < PT_BPF_PATH_DEPTH) {
        w.state = WALK_ON;
        bpf_loop(PT_BPF_PATH_DEPTH - steps, far_step, &w, 0);
    }
    if (w.state != WALK_ROOT) e->flags |= PT_BPF_F_PATH_TRUNCATED;
}

/* Appends up to PT_BPF_ARGS_MAX bytes of argv (of the current task's memory,
 * at [arg_start, arg_end) of mm) after the path. */
static __always_inline void read_args(struct pt_bpf_proc *e, struct mm_struct *mm)
{
    unsigned long start = mm->arg_start;
    unsigned long end = mm->arg_end;
    __u32 off = e->path_len;
    __u64 len;

    if (end <= start) {
        e->flags |= PT_BPF_F_NO_ARGS;
        return;
    }
    len = end - start;
    e->args_area_len = len > 0xFFFFFFFFull ? 0xFFFFFFFFu : (__u32)len;
    if (len > PT_BPF_ARGS_MAX) {
        len = PT_BPF_ARGS_MAX;
        e->flags |= PT_BPF_F_ARGS_TRUNCATED;
    }
    off &= (PT_BPF_PATH_MAX * 2 - 1);
    len &= (PT_BPF_ARGS_MAX * 2 - 1);
    if (len == 0) return;
    if (bpf_probe_read_user(&e->data[off], len, (const void *)start) != 0) {
        e->flags |= PT_BPF_F_NO_ARGS;
        return;
    }
    e->args_len = (__u16)len;
}

static __always_inline void fill_proc(struct pt_bpf_proc *e, __u32 type, struct task_struct *task,
                                      struct mm_struct *args_mm)
{
    struct task_struct *rparent = task->real_parent;
    struct mm_struct *mm = task->mm;

    e->h.type = type;
    e->h.time_ns = bpf_ktime_get_boot_ns();
    e->pid = task->tgid;
    e->tid = task->pid;
    e->start_boottime = leader_start(task);
    e->ppid = rparent->tgid;
    e->parent_start_boottime = leader_start(rparent);
    e->uid = task->cred->euid.val; /* like ProcFs (and ps) */
    e->flags = 0;
    e->path_len = 0;
    e->args_len = 0;
    e->args_area_len = 0;
    e->reserved = 0;
    __builtin_memcpy(e->comm, task->comm, sizeof(e->comm)); /* NUL-padded by the kernel */

    if (task->flags & PF_KTHREAD) {
        e->flags |= PT_BPF_F_KTHREAD | PT_BPF_F_NO_PATH | PT_BPF_F_NO_ARGS;
    } else if (!mm) {
        /* a user-mode helper before its exec (forked from a kernel thread) */
        e->flags |= PT_BPF_F_NO_PATH | PT_BPF_F_NO_ARGS;
    } else {
        struct file *exe = mm->exe_file;
        if (exe) read_path(e, exe);
        else e->flags |= PT_BPF_F_NO_PATH;
        if (args_mm) read_args(e, args_mm);
        else e->flags |= PT_BPF_F_NO_ARGS;
    }
}

static __always_inline void send_proc(struct pt_bpf_proc *e)
{
    __u64 size = PT_BPF_PROC_FIXED + (__u64)e->path_len + (__u64)e->args_len;
    size &= (PT_BPF_DATA_SIZE * 2 - 1);
    if (size > sizeof(*e)) size = sizeof(*e);
    if (size < PT_BPF_PROC_FIXED) size = PT_BPF_PROC_FIXED;
    e->h.size = (__u32)size;
    if (bpf_ringbuf_output(&events, e, size, wakeup_flag()) != 0) count_lost();
}

static __always_inline void fill_task(struct pt_bpf_task *e, __u32 type, __u32 size, struct task_struct *task,
                                      __s32 exit_code, __u32 flags)
{
    e->h.type = type;
    e->h.size = size;
    e->h.time_ns = bpf_ktime_get_boot_ns();
    e->pid = task->tgid;
    e->tid = task->pid;
    e->start_boottime = leader_start(task);
    e->exit_code = exit_code;
    e->flags = flags;
}

static __always_inline void send_task(__u32 type, struct task_struct *task, __s32 exit_code, __u32 flags)
{
    struct pt_bpf_task *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return;
    }
    fill_task(e, type, sizeof(*e), task, exit_code, flags);
    bpf_ringbuf_submit(e, wakeup_flag());
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pt_fork, struct task_struct *parent, struct task_struct *child)
{
    __u32 zero = 0;
    struct pt_bpf_proc *e;

    if (child->pid != child->tgid) {
        send_task(PT_BPF_EV_THREAD, child, 0, 0);
        return 0;
    }
    e = bpf_map_lookup_elem(&scratch, &zero);
    if (!e) return 0;
    /* The child is a copy of the parent: its argv is in the parent's (the
     * current task's) memory at the same addresses. */
    fill_proc(e, PT_BPF_EV_FORK, child, parent->mm);
    e->creator_pid = parent->tgid;
    e->creator_tid = parent->pid;
    send_proc(e);
    return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pt_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    __u32 zero = 0;
    struct pt_bpf_proc *e = bpf_map_lookup_elem(&scratch, &zero);

    if (!e) return 0;
    fill_proc(e, PT_BPF_EV_EXEC, p, p->mm);
    e->creator_pid = (__u32)old_pid;
    e->creator_tid = 0;
    send_proc(e);
    return 0;
}

/* The wait status a parent would see for this process (see wait_task_zombie). */
static __always_inline __s32 process_status(struct task_struct *p)
{
    struct signal_struct *sig = p->signal;
    if (sig->flags & SIGNAL_GROUP_EXIT) return sig->group_exit_code;
    return p->group_leader->exit_code;
}

/* The thread group's CPU time: the exiting thread's, the group leader's (a
 * zombie leader is folded into the signal struct only when reaped) and that
 * of the threads already reaped. The running thread's figure lags by at most
 * the time since the scheduler last updated it. */
static __always_inline __u64 group_cpu_ns(struct task_struct *p)
{
    struct task_struct *leader = p->group_leader;
    __u64 ns = p->se.sum_exec_runtime + p->signal->sum_sched_runtime;
    if (leader != p) ns += leader->se.sum_exec_runtime;
    return ns;
}

/* do_exit folded the mm's high-water mark into signal->maxrss (in pages)
 * before this tracepoint, as getrusage reports it; the mm's own mark is the
 * fallback while it is still attached. */
static __always_inline __u64 group_peak_rss_bytes(struct task_struct *p)
{
    __u64 pages = p->signal->maxrss;
    struct mm_struct *mm = p->mm;
    if (mm && mm->hiwater_rss > pages) pages = mm->hiwater_rss;
    return pages * page_bytes;
}

static __always_inline void send_exit(struct task_struct *p)
{
    struct pt_bpf_exit *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return;
    }
    fill_task(&e->t, PT_BPF_EV_EXIT, sizeof(*e), p, process_status(p), 0);
    e->cpu_ns = group_cpu_ns(p);
    e->peak_rss_bytes = group_peak_rss_bytes(p);
    bpf_ringbuf_submit(e, wakeup_flag());
}

static __always_inline void on_exit(struct task_struct *p, int group_dead)
{
    if (group_dead) send_exit(p);
    else send_task(PT_BPF_EV_THREAD_EXIT, p, p->exit_code, 0);
}

/* Linux >= 6.16: the tracepoint says whether the thread group died. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(pt_exit_group_dead, struct task_struct *p, bool group_dead)
{
    on_exit(p, group_dead);
    return 0;
}

/* Older kernels: the last thread out sees signal->live at zero (do_exit
 * decrements it before this tracepoint). User space loads one of the two. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(pt_exit_live, struct task_struct *p)
{
    on_exit(p, p->signal->live.counter == 0);
    return 0;
}

/* comm changes of a process (its group leader's comm is /proc/PID/comm).
 * exec renames too, inside begin_new_exec: the exec event carries that name,
 * so renames while in_execve is set are not reported. */
SEC("tp_btf/task_rename")
int BPF_PROG(pt_rename, struct task_struct *task, const char *comm)
{
    struct pt_bpf_rename *e;

    if (task->pid != task->tgid) return 0;
    if (bpf_core_field_exists(task->in_execve) && BPF_CORE_READ_BITFIELD(task, in_execve)) return 0;
    e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return 0;
    }
    e->h.type = PT_BPF_EV_RENAME;
    e->h.size = sizeof(*e);
    e->h.time_ns = bpf_ktime_get_boot_ns();
    e->pid = task->tgid;
    e->tid = task->pid;
    e->start_boottime = leader_start(task);
    if (bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm) < 0) e->comm[0] = 0;
    bpf_ringbuf_submit(e, wakeup_flag());
    return 0;
}
