#include "host_row.hpp"

#include <proctree/model/escape.hpp>
#include <proctree/model/fleet.hpp>

namespace proctree::viewer {

void paint_host_row(const model::ProcessTree& tree, const model::Row& row, int y, bool selected, const Theme& theme,
                    Grid& g)
{
    const model::Process& p = *row.proc;
    Style st = theme.row_style(row.state);
    if (!(st == theme.normal)) g.fill(0, y, -1, st);
    std::string text = "host ";
    if (row.has_children && row.collapsed) text += theme.glyphs.collapsed;
    text += model::escape(p.name.empty() ? std::string_view("?") : std::string_view(p.name));
    if (const model::HostInfo* h = tree.host(p.id.host)) text += "  " + model::describe_host(*h, tree.now());
    g.put(0, y, text, st);
    if (selected) g.add_reverse(0, y, -1);
}

}  // namespace proctree::viewer
