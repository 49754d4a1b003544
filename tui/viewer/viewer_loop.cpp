#include "viewer_loop.hpp"

#include "keys.hpp"
#include "layout.hpp"
#include "screen.hpp"
#include "terminal_check.hpp"
#include "theme.hpp"

#include "cli.hpp"
#include "stream_input.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace proctree::viewer {

namespace {

class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd()
    {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// SIGINT, SIGTERM, SIGHUP, SIGWINCH are blocked in every thread (the reader
// inherits the mask) and read through a signalfd in the loop.
int block_signals()
{
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGWINCH}) sigaddset(&set, sig);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    return ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

class Loop {
public:
    Loop(Session& session, Screen& screen, int signal_fd)
        : s_(session), screen_(screen), signal_fd_(signal_fd), ctl_(session.tree(), session.ui()),
          first_frame_by_(steady_ns_now() + kFirstFrameWaitNs)
    {
        theme_ = want_color(screen.has_colors()) ? Theme::colored() : Theme::monochrome();
        theme_.glyphs = Glyphs::select(locale_codeset(), session.options().ascii);
        grid_.resize(screen.width(), screen.height());
    }

    int run()
    {
        std::uint64_t last_gen = ~0ull;
        while (exit_code_ < 0) {
            std::uint64_t now = steady_ns_now();
            // While a frame is already due, events wait in the channel until
            // it is drawn: one wake-up per frame, not one per event (the
            // reader never waits: the channel takes everything).
            bool frame_due = dirty_ && !backlog_ && may_draw(now);
            int timeout = timeout_ms(now);
            pollfd fds[3] = {{screen_.input_fd(), POLLIN, 0}, {signal_fd_, POLLIN, 0}, {s_.channel_fd(), POLLIN, 0}};
            int rc = ::poll(fds, frame_due ? 2 : 3, timeout);
            if (rc < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
            now = steady_ns_now();
            if (rc > 0 && (fds[1].revents & POLLIN)) signals();
            if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) keys(fds[0].revents);
            bool frame_time = dirty_ && may_draw(now) && now >= next_frame();
            if (backlog_ || frame_time || (!frame_due && rc > 0 && (fds[2].revents & POLLIN))) {
                bool got = false;
                backlog_ = s_.pump(now, &got);
                if (got) dirty_ = true;
            }
            s_.tick(now);
            if (s_.sample_usage(now)) dirty_ = true;
            if (s_.tree().generation() != last_gen) {
                last_gen = s_.tree().generation();
                dirty_ = true;
            }
            if (now >= wake_) dirty_ = true;  // time alone changed something
            if (s_.refresh_status(now)) dirty_ = true;
            if (dirty_ && may_draw(now) && now >= next_frame()) frame(now);
        }
        return exit_code_;
    }

private:
    // Keys and resizes are answered at up to 30 frames/s; changes that come
    // from events or time alone are drawn at up to 10 frames/s.
    std::uint64_t next_frame() const { return last_frame_ + (urgent_ ? kFrameNs : kEventFrameNs); }
    // Before the first frame: only once there is a tree to show (or a key
    // asks, or the wait is over).
    bool may_draw(std::uint64_t now) const
    {
        return last_frame_ != 0 || urgent_ || s_.has_content() || now >= first_frame_by_;
    }

    int timeout_ms(std::uint64_t now)
    {
        if (backlog_) return 0;
        wake_ = s_.next_wake(now);
        std::uint64_t until = wake_;
        if (dirty_) until = std::min(until, may_draw(now) ? next_frame() : first_frame_by_);
        if (until == UINT64_MAX) return -1;
        if (until <= now) return 0;
        std::uint64_t ms = (until - now + 999'999ull) / 1'000'000ull;
        return static_cast<int>(std::min<std::uint64_t>(ms, 60'000));
    }

    void signals()
    {
        signalfd_siginfo si;
        while (::read(signal_fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
            if (si.ssi_signo == SIGWINCH) {
                screen_.resized();
                grid_.resize(screen_.width(), screen_.height());
                full_ = true;
                dirty_ = true;
                urgent_ = true;  // resize re-lays at once
            } else {
                exit_code_ = 128 + static_cast<int>(si.ssi_signo);
            }
        }
    }

    void keys(short revents)
    {
        events_.clear();
        screen_.read_events(events_);
        if (events_.empty() && (revents & (POLLHUP | POLLERR))) {
            exit_code_ = s_.exit_status();  // the terminal went away
            return;
        }
        for (const Event& e : events_) {
            Request r = ctl_.handle(e);
            if (r == Request::None) continue;
            full_ = true;
            dirty_ = true;
            if (e.key == Key::Resize) {
                screen_.resized();
                grid_.resize(screen_.width(), screen_.height());
            }
            switch (r) {
            case Request::Quit: exit_code_ = s_.exit_status(); return;
            case Request::ExportText: s_.export_view(false); break;
            case Request::ExportJson: s_.export_view(true); break;
            case Request::Seek: s_.seek(steady_ns_now()); break;
            case Request::Signal: s_.send_signal(steady_ns_now()); break;
            case Request::Repaint:
                screen_.resized();  // forgets what was painted: the next frame paints every cell
                break;
            default: break;
            }
        }
        urgent_ = true;  // answer keys at once
    }

    void frame(std::uint64_t now)
    {
        s_.refresh_status(now);
        UiState& ui = s_.ui();
        bool footer_only =
            ui.paused && !full_ && frozen_.width() == grid_.width() && frozen_.height() == grid_.height();
        if (footer_only) {
            grid_ = frozen_;
            footer_only = render_footer(s_.tree().filter(), ui, s_.status(), theme_, grid_);
        }
        if (!footer_only) {
            render(s_.tree(), ui, s_.status(), theme_, grid_, PaneSources{&s_.log(), &s_.spawners()});
            frozen_ = grid_;
        }
        screen_.paint(grid_);
        last_frame_ = now;
        dirty_ = false;
        full_ = false;
        urgent_ = false;
    }

    Session& s_;
    Screen& screen_;
    int signal_fd_;
    Controller ctl_;
    Theme theme_;
    Grid grid_;
    Grid frozen_;  // the last full frame (a paused screen keeps its tree part)
    std::vector<Event> events_;
    std::uint64_t last_frame_ = 0;
    std::uint64_t first_frame_by_;
    std::uint64_t wake_ = UINT64_MAX;
    bool dirty_ = true;
    bool full_ = true;
    bool backlog_ = false;
    bool urgent_ = false;
    int exit_code_ = -1;
};

}  // namespace

int run_viewer(const ViewerOptions& options)
{
    // Before the viewer opens anything: with stdin closed, its first
    // descriptor (the signalfd) would be fd 0 and read as the stream.
    if (options.from == "-" && !cli::stdin_is_open()) {
        fmt::print(stderr, "proctree: --from -: standard input is closed; pipe a stream in "
                           "(proctree record | proctree --from -) or give a file\n");
        return cli::kExitBadInput;
    }
    // Fixed malloc thresholds: burst-sized buffers (MiB of records) are
    // mapped on their own and unmapped when freed, and free heap top is given
    // back. glibc's dynamic thresholds would rise to the burst's size and
    // keep that memory after it (also from malloc_trim: a thread arena's top).
    // One arena: the reader and hasher threads allocate little, and each
    // arena of their own would keep its free pages after a churn.
    ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    ::mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    ::mallopt(M_ARENA_MAX, 1);
    Fd sig(block_signals());
    if (sig.get() < 0) {
        fmt::print(stderr, "proctree: signalfd: {}\n", std::strerror(errno));
        return cli::kExitFailure;
    }
    // The keyboard: stdin, unless the stream comes from there.
    int in_fd = STDIN_FILENO, out_fd = STDOUT_FILENO;
    std::unique_ptr<Fd> tty;
    if (options.from == "-" || !::isatty(in_fd) || !::isatty(out_fd)) {
        tty = std::make_unique<Fd>(::open("/dev/tty", O_RDWR | O_CLOEXEC));
        if (tty->get() < 0) {
            fmt::print(stderr, "proctree: the viewer needs a terminal ({}); try `proctree decode`\n",
                       std::strerror(errno));
            return cli::kExitFailure;
        }
        in_fd = out_fd = tty->get();
    }
    if (std::string why = terminal_unusable(out_fd); !why.empty()) {
        fmt::print(stderr, "proctree: {}\n", why);
        return cli::kExitBadInput;
    }
    Session session(options);
    std::string error;
    if (!session.start(error)) {
        fmt::print(stderr, "proctree: {}\n", error);
        return cli::kExitFailure;
    }
    int code;
    std::string last_error;
    {
        Screen screen(in_fd, out_fd, options.mouse);
        Loop loop(session, screen, sig.get());
        code = loop.run();
        screen.close();
        last_error = session.status().error;
    }
    if (!last_error.empty()) fmt::print(stderr, "proctree: {}\n", last_error);
    return code;
}

}  // namespace proctree::viewer
