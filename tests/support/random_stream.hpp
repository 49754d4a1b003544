// tests/support/random_stream.hpp - random but valid wire streams that use
// every record kind the model acts on: creates (with parents living, dead,
// not yet arrived, or reused pids), exits, execs, renames, re-parentings, threads, complete
// snapshots that drop some processes, losses, unknown records, and times
// slightly out of order. For the time-travel tests and benchmarks.
#pragma once

#include "stream_builder.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace proctree::testing {

struct RandomStreamShape {
    std::size_t records = 2000;
    std::uint32_t pid_space = 48;            // few pids: reuse is common (bounds the living too)
    std::uint64_t mean_gap_ns = 40'000'000;  // between records
    unsigned rare_per_mille = 20;            // snapshots, losses, unknown records
    unsigned living_parent_in_10 = 6;        // the rest: dead (orphans at the root) or arriving later
    std::uint64_t start_ns = 1'700'000'000'000'000'000ull;
};

class RandomStream {
public:
    RandomStream(std::uint32_t seed, RandomStreamShape shape) : rng_(seed), shape_(shape), t_(shape.start_ns) {}

    // The whole stream: header and shape.records records (a snapshot counts
    // as the records it writes).
    std::string build()
    {
        while (written_ < shape_.records) step();
        return b_.bytes();
    }

private:
    std::uint64_t pick(std::uint64_t n) { return n ? std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_) : 0; }
    bool chance(unsigned per_mille) { return pick(1000) < per_mille; }
    Id random_alive() { return alive_.empty() ? Id{} : alive_[pick(alive_.size())]; }
    void forget(std::uint32_t pid)
    {
        for (std::size_t i = 0; i < alive_.size(); ++i)
            if (alive_[i].pid == pid) {
                alive_[i] = alive_.back();
                alive_.pop_back();
                return;
            }
    }

    // A record's time: mostly forward, sometimes a little behind (another CPU).
    std::uint64_t when()
    {
        t_ += pick(2 * shape_.mean_gap_ns + 1);
        if (chance(50)) return t_ - pick(5'000'000);
        return t_;
    }

    Id parent_for()
    {
        std::uint64_t r = pick(10);
        unsigned living = shape_.living_parent_in_10;
        if (r < living || dead_.empty()) return random_alive();
        if (r < living + (10 - living) / 2) return dead_[pick(dead_.size())];  // exited: hangs at the root
        // A parent that started earlier but whose create comes later.
        Id late{static_cast<std::uint32_t>(2 + pick(shape_.pid_space)), t_ - 1000};
        promised_.push_back(late);
        return late;
    }

    void create()
    {
        std::uint64_t t = when();
        Id self{static_cast<std::uint32_t>(2 + pick(shape_.pid_space)), t};
        if (!promised_.empty() && chance(300)) {  // a late parent arrives
            self = promised_.back();
            promised_.pop_back();
        } else if (!dead_.empty() && dead_.back().start_ns != 0 && chance(50)) {
            self = dead_.back();  // a pid reused within one clock tick: the same identity again
        }
        Id parent = parent_for();
        if (parent.pid == self.pid) parent = {};
        forget(self.pid);  // a reused pid: the old one exited unseen
        static const char* names[] = {"bash", "make", "cc1", "ld", "sshd", "cron", "python3", "git"};
        const char* name = names[pick(8)];
        b_.create(t, self, parent, name, std::string(name) + " --job " + std::to_string(pick(100)));
        alive_.push_back(self);
        ++written_;
    }

    void exit()
    {
        if (alive_.empty()) return create();
        Id id = random_alive();
        if (chance(100)) id.start_ns = 0;  // an exit naming the pid only
        b_.exit(when(), id, static_cast<std::int32_t>(pick(3)), chance(200) ? 9 : 0);
        forget(id.pid);
        dead_.push_back(id);
        if (dead_.size() > 64) dead_.erase(dead_.begin());
        ++written_;
    }

    void snapshot()
    {
        std::uint64_t t = when();
        b_.snapshot(t, true, PT_SNAPSHOT_RESYNC, PT_SNAPSHOT_COMPLETE);
        std::vector<Id> listed;
        for (Id id : alive_) {
            if (chance(100)) continue;  // gone unseen: the snapshot ends it
            b_.create(t, id, {}, "listed");
            listed.push_back(id);
        }
        b_.snapshot(t, false, PT_SNAPSHOT_RESYNC, PT_SNAPSHOT_COMPLETE);
        written_ += 2 + listed.size();
        alive_ = std::move(listed);
    }

    void rare()
    {
        std::uint64_t r = pick(3);
        if (r == 0) return snapshot();
        if (r == 1) b_.lost(when(), pick(5));
        else b_.unknown(when(), 200, 8 * static_cast<std::uint32_t>(pick(4)));
        ++written_;
    }

    void step()
    {
        if (chance(shape_.rare_per_mille)) return rare();
        std::uint64_t r = pick(100);
        Id some = random_alive();
        if (r < 40 || some.pid == 0) return create();
        if (r < 75) return exit();
        if (r < 85) b_.exec(when(), some, "exec" + std::to_string(pick(5)), "new command line");
        else if (r < 88) b_.rename(when(), some, "renamed");
        else if (r < 90) b_.reparent(when(), some, random_alive(), {});  // sometimes itself: ignored
        else b_.thread(when(), some, static_cast<std::uint32_t>(pick(1000)), r < 96);
        ++written_;
    }

    std::mt19937 rng_;
    RandomStreamShape shape_;
    StreamBuilder b_;
    std::uint64_t t_;
    std::size_t written_ = 0;
    std::vector<Id> alive_;
    std::vector<Id> dead_;
    std::vector<Id> promised_;
};

}  // namespace proctree::testing
