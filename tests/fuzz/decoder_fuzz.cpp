// libFuzzer target for the wire decoder, and for the model behind it: any
// bytes are fed in chunks (sized by the first input byte, to exercise split
// reads), every decoded record is applied to a tree (keeping exited processes
// or not, toggled now and then), and the view and both
// exports are produced. Crashes, sanitizer reports and read overruns fail.
#include <proctree/model/decoder.hpp>
#include <proctree/model/event_log.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/spawners.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>
#include <proctree/wire.h>

#include <cstddef>
#include <cstdint>

namespace {

struct Apply : proctree::model::RecordHandler {
    explicit Apply(proctree::model::TreeConfig c) : tree(c) {}
    proctree::model::ProcessTree tree;
    proctree::model::EventLog log{16};
    proctree::model::SpawnerCounts spawners;
    unsigned touched = 0;
    void on_header(const proctree::model::StreamHeader& h) override { tree.apply_header(h); }
    void on_record(const proctree::model::Record& r) override
    {
        // Every byte of a decoded string must lie inside the input (the
        // sanitizer catches a view the length checks let out of bounds).
        if (auto* f = std::get_if<proctree::model::ImageFactsRecord>(&r.body))
            for (char c : f->path) touched += static_cast<unsigned char>(c);
        // Exit usage: present only when the record holds it and says so.
        if (auto* x = std::get_if<proctree::model::ProcessExit>(&r.body)) {
            if (r.size < PT_PROCESS_EXIT_FIXED && (x->cpu_ns || x->peak_rss_bytes)) __builtin_trap();
            touched += static_cast<unsigned>(x->cpu_ns.value_or(0) ^ x->peak_rss_bytes.value_or(0));
        }
        tree.apply(r);
        log.add(r, tree);
        spawners.add(r, tree);
        if (r.seq % 7 == 3)
            tree.toggle_collapsed(proctree::model::Identity{static_cast<std::uint32_t>(r.seq), r.time_ns});
        if (r.seq % 11 == 5) tree.set_keep_exited(!tree.keep_exited());
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) return 0;
    std::size_t chunk = 1 + data[0] % 64;
    auto* bytes = reinterpret_cast<const std::byte*>(data + 1);
    std::size_t len = size - 1;

    proctree::model::StreamDecoder decoder;
    // Bit 3: keep exited processes, with a history bound of 4 so that the
    // bound and the lineage-only parents are exercised.
    proctree::model::TreeConfig config;
    config.highlight_ns = 1'000'000;
    config.keep_exited = data[0] & 8;
    config.history = 4;
    config.images_per_process = 3;
    config.renames_per_process = 3;
    // Bit 4: a fleet (streams laid end to end, a node per host).
    config.hosts = data[0] & 16;
    decoder.accept_concatenated(config.hosts);
    Apply apply(config);
    for (std::size_t i = 0; i < len; i += chunk) {
        std::size_t n = len - i < chunk ? len - i : chunk;
        if (!decoder.feed(std::span<const std::byte>(bytes + i, n), apply)) break;
    }
    decoder.finish();
    if (decoder.error()) (void)decoder.error()->describe();

    proctree::model::TreeView view(apply.tree);
    (void)view.rows(0, 50);
    if (data[0] & 1) {
        proctree::model::Filter f;
        f.name = "a";
        f.match_cmdline = data[0] & 2;
        if (data[0] & 4) f.pids = {1, 2};
        apply.tree.set_filter(f);
    }
    (void)view.rows(view.row_count() / 2, 50);
    (void)proctree::model::export_text(apply.tree, {});
    (void)proctree::model::export_json(apply.tree, {});
    for (const auto& row : view.rows(0, 50)) (void)proctree::model::describe_exit_usage(*row.proc);
    (void)apply.spawners.top(apply.tree.now(), 5, true);
    (void)apply.spawners.top(apply.tree.now(), 5, false);
    apply.tree.advance(~std::uint64_t{0} - 1);
    return 0;
}
