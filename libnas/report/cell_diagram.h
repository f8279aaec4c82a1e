// Cell diagrams: an architecture's cells as Graphviz graphs, drawn to inline SVG by `dot`.
#pragma once

#include <string>

#include "libnas/encoding/cell_dag.h"
#include "libnas/spaces/search_space.h"

namespace nas {

// Graphviz text of one cell, left to right: each node labelled with its op, input and output
// nodes shaded; nodes no path connects to the output are drawn dotted.
std::string cell_dot(const CellDag& cell, const OpVocab& vocab, const std::string& title);

// The names the space gives its cells ("cell", or "normal cell" and "reduction cell").
std::string cell_name(const SearchSpace& space, int index);

// Every cell of `arch` as an <svg> element drawn by Graphviz's dot (ids removed so several can
// share a page). Where dot is missing or fails, a <pre> with the Graphviz text and the reason.
std::string arch_diagrams(const SearchSpace& space, const Arch& arch);

}  // namespace nas
