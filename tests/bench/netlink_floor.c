/* netlink_floor - the least a proc connector tracer that reads /proc at each
 * exec can do for exact names
 * (a peer in forkstorm.py, not part of proctree).
 *
 *   netlink_floor OUTFILE
 *
 * One exec-only subscription (kernels since 6.6), read by a thread at the
 * lowest real-time priority; for each exec it reads /proc/PID/stat once (the
 * name and start time together) and writes "exec PID NAME" to OUTFILE. No
 * command line, no executable, no forks or exits: what is left of a tracer's
 * cost is the wake-up per exec and one /proc file, the floor for a tracer
 * that names short-lived processes exactly from /proc. Prints "ready" to
 * OUTFILE once subscribed; stops on SIGINT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int subscribe(int fd)
{
    /* nlmsghdr, cn_msg, then struct proc_input {op, event mask} (6.6; laid
     * out by hand: older headers lack it, and cn_msg ends in a flexible array). */
    char msg[NLMSG_HDRLEN + sizeof(struct cn_msg) + 2 * sizeof(__u32)];
    memset(msg, 0, sizeof msg);
    struct nlmsghdr nh = {.nlmsg_len = sizeof msg, .nlmsg_type = NLMSG_DONE};
    struct cn_msg cn = {.id = {.idx = CN_IDX_PROC, .val = CN_VAL_PROC}, .len = 2 * sizeof(__u32)};
    const __u32 input[2] = {PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC};
    memcpy(msg, &nh, sizeof nh);
    memcpy(msg + NLMSG_HDRLEN, &cn, sizeof cn);
    memcpy(msg + NLMSG_HDRLEN + sizeof cn, input, sizeof input);
    return send(fd, msg, sizeof msg, 0) == (ssize_t)sizeof msg ? 0 : -1;
}

/* The name from /proc/PID/stat: between the first '(' and the last ')'. */
static void name_of(int pid, FILE *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = '\0';
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren) return;
    fprintf(out, "exec %d %.*s\n", pid, (int)(close_paren - open_paren - 1), open_paren + 1);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: netlink_floor OUTFILE\n");
        return 2;
    }
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the blocked recv returns */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
    int rcvbuf = 64 << 20;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0 || subscribe(fd) != 0) {
        perror("netlink_floor: proc connector");
        return 1;
    }
    struct sched_param param = {.sched_priority = sched_get_priority_min(SCHED_FIFO)};
    if (sched_setscheduler(0, SCHED_FIFO, &param) != 0) perror("netlink_floor: SCHED_FIFO");
    fprintf(out, "ready\n");
    fflush(out);
    char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
    while (!stop) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR || errno == ENOBUFS) continue;
            perror("netlink_floor: recv");
            return 1;
        }
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
            struct cn_msg *cn = NLMSG_DATA(nh);
            struct proc_event *ev = (struct proc_event *)cn->data;
            if (ev->what == PROC_EVENT_EXEC) name_of(ev->event_data.exec.process_tgid, out);
        }
    }
    return fclose(out) == 0 ? 0 : 1;
}
