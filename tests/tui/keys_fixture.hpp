// The key layer's test fixture: the small tree, a controller on it, and
// helpers that send one event and redraw.
#pragma once

#include "tui_fixture.hpp"

#include "viewer/keys.hpp"

namespace proctree::testing {

struct KeysFixture : LayoutFixture {
    viewer::Controller ctl{tree, ui};
    void SetUp() override
    {
        LayoutFixture::SetUp();
        feed(tree, small_stream());
        tree.advance(T0 + 10 * kSec);
        draw();
    }
    viewer::Request send(viewer::Event e)
    {
        viewer::Request r = ctl.handle(e);
        draw();
        return r;
    }
    viewer::Request key(viewer::Key k) { return send(viewer::Event::of(k)); }
    viewer::Request ch(char32_t c) { return send(viewer::Event::character(c)); }
    viewer::Request fn(int n) { return send(viewer::Event::function(n)); }
    void type(const std::string& s)
    {
        for (char c : s) ch(static_cast<unsigned char>(c));
    }
    std::uint32_t selected_pid() const { return ui.selected ? ui.selected->id.pid : 0; }
    std::size_t rows() const { return model::TreeView(tree).row_count(); }
};

}  // namespace proctree::testing
