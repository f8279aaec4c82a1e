#include "libnas/report/cell_diagram.h"

#include <unistd.h>

#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "libnas/util/file_io.h"
#include "libnas/util/plot.h"
#include "libnas/util/process.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

// A Graphviz double-quoted string.
std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

// dot's SVG without the XML prologue, comments and element ids.
std::string inline_svg(const std::string& svg) {
  const size_t start = svg.find("<svg");
  if (start == std::string::npos) return "";
  std::string body = svg.substr(start);
  body = std::regex_replace(body, std::regex("<!--[\\s\\S]*?-->\\n?"), "");
  body = std::regex_replace(body, std::regex(" id=\"[^\"]*\""), "");
  return body;
}

}  // namespace

std::string cell_dot(const CellDag& cell, const OpVocab& vocab, const std::string& title) {
  std::vector<int> inputs;
  for (int i = 0; i < cell.num_nodes(); ++i)
    if (vocab.is_input(cell.ops[static_cast<size_t>(i)])) inputs.push_back(i);
  const std::vector<bool> live = live_nodes(cell, inputs, cell.num_nodes() - 1);
  std::string dot = "digraph cell {\n  rankdir=LR;\n  bgcolor=\"white\";\n";
  dot += fmt::format("  label={};\n  labelloc=t;\n  fontname=\"sans-serif\";\n", dot_quote(title));
  dot += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef4fb\", fontname=\"sans-serif\", fontsize=11];\n";
  for (int i = 0; i < cell.num_nodes(); ++i) {
    const int op = cell.ops[static_cast<size_t>(i)];
    const std::string name = op >= 0 && op < vocab.size() ? vocab.names[static_cast<size_t>(op)]
                                                          : fmt::format("op {}", op);
    const bool io = vocab.is_input(op) || op == vocab.output_id;
    std::string style;
    if (io) style = ", fillcolor=\"#d9d9d9\"";
    else if (!live[static_cast<size_t>(i)]) style = ", style=\"rounded,dotted\", fillcolor=\"white\"";
    dot += fmt::format("  n{} [label={}{}];\n", i, dot_quote(name), style);
  }
  for (int i = 0; i < cell.num_nodes(); ++i)
    for (int j = i + 1; j < cell.num_nodes(); ++j)
      if (cell.edge(i, j)) dot += fmt::format("  n{} -> n{};\n", i, j);
  return dot + "}\n";
}

std::string cell_name(const SearchSpace& space, int index) {
  if (space.num_cells() == 2) return index == 0 ? "normal cell" : "reduction cell";
  if (space.num_cells() == 1) return "cell";
  return fmt::format("cell {}", index + 1);
}

std::string arch_diagrams(const SearchSpace& space, const Arch& arch) {
  const std::string dot_program = find_program("dot");
  std::string html;
  for (size_t c = 0; c < arch.cells.size(); ++c) {
    const std::string dot = cell_dot(arch.cells[c], space.vocab(), cell_name(space, static_cast<int>(c)));
    std::string why = "Graphviz (dot) is not installed";
    if (!dot_program.empty()) {
      const std::string path =
          (fs::temp_directory_path() / fmt::format("nasgen-cell-{}-{}.dot", ::getpid(), c)).string();
      write_file_atomic(path, dot);
      const ProgramOutput r = run_program(dot_program, {"-Tsvg", path});
      std::error_code ec;
      fs::remove(path, ec);
      const std::string svg = r.ok() ? inline_svg(r.out) : "";
      if (!svg.empty()) {
        html += svg;
        continue;
      }
      why = r.ok() ? "dot wrote no SVG" : r.failure("dot");
    }
    html += fmt::format("<pre class=\"dot\" title=\"{}\">{}</pre>", xml_escape(why), xml_escape(dot));
  }
  return html;
}

}  // namespace nas
