// report as a user runs it: on a directory holding a generative pipeline's runs (a NAS dataset,
// a GAN with generated architectures, a comparison with random networks) and on a constrained
// search, then the page opened in a headless Chromium: no console errors, every figure drawn.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "libnas/util/file_io.h"
#include "libnas/util/json.h"
#include "libnas/util/plot.h"
#include "libnas/util/process.h"
#include "libnas/util/strings.h"
#include "test_util.h"

namespace nas {
namespace {

namespace fs = std::filesystem;
using test::run_script;
using test::run_tool;
using test::TempDir;
using test::ToolResult;

// Text as it reads in the page: the five entities xml_escape writes, undone.
std::string html_unescape(std::string text) {
  for (auto [from, to] : {std::pair<const char*, const char*>{"&#39;", "'"}, {"&quot;", "\""},
                          {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1))
      text.replace(at, std::string(from).size(), to);
  }
  return text;
}

// The headless browser of this machine, "" when none is installed.
std::string find_browser() {
  for (const char* name : {"chromium", "chromium-headless-shell", "chromium-browser", "google-chrome"}) {
    const std::string path = find_program(name);
    if (!path.empty()) return path;
  }
  return "";
}

// Put before the page's own head: scripts that run before its Content-Security-Policy applies,
// collect every error the page raises and, once it has loaded, measure every figure and cell
// diagram. The result is written into the page, which the browser prints.
const char* kChecker = R"(<script>
window.__errors = [];
window.addEventListener('error', e => __errors.push('error: ' + (e.message || (e.target && (e.target.src || e.target.href)) || 'a resource')), true);
document.addEventListener('securitypolicyviolation', e => __errors.push('blocked: ' + e.violatedDirective + ' ' + e.blockedURI));
const drawn = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
const marked = svg => [...svg.querySelectorAll('polyline, circle, polygon')].some(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
window.addEventListener('load', () => {
  const figures = [...document.querySelectorAll('figure')];
  const bad = figures.filter(f => { const s = f.querySelector('svg'); return !drawn(f) || !s || !drawn(s) || !marked(s); })
                     .map(f => f.querySelector('figcaption') ? f.querySelector('figcaption').textContent : '?');
  const cells = [...document.querySelectorAll('.cells svg')];
  const bad_cells = cells.filter(s => !drawn(s) || !s.querySelector('g.node')).length;
  const out = document.createElement('pre');
  out.id = 'nasgen-check';
  out.textContent = JSON.stringify({figures: figures.length, bad_figures: bad, cells: cells.length, bad_cells, errors: __errors});
  document.body.appendChild(out);
});
</script>
)";

// Opens a copy of the page with kChecker in it and expects no console line, no error, the given
// number of figures all drawn and, unless `cells` is -1, that many cell diagrams all drawn.
void expect_loads_cleanly(const std::string& browser, const std::string& page, const TempDir& tmp,
                          int figures, int cells) {
  std::string html = read_file(page);
  const size_t head = html.find("<head>");
  ASSERT_NE(head, std::string::npos) << page << " has no <head>";
  html.insert(head + 6, std::string("\n") + kChecker);
  const std::string copy = tmp.file("checked.html");
  test::write_text(copy, html);
  const ProgramOutput r = run_program(
      browser, {"--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                "--window-size=1280,2000", "--virtual-time-budget=10000", "--dump-dom",
                "file://" + fs::absolute(copy).string()});
  std::vector<std::string> console;
  for (const auto& line : split(r.err, '\n'))
    if (line.find(":CONSOLE") != std::string::npos) console.push_back(line);
  EXPECT_TRUE(console.empty()) << join(console, "\n");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("<pre id=\"nasgen-check\">([^<]*)</pre>")))
      << "the browser printed no check result (" << r.failure("browser") << ")\n" << r.err.substr(0, 3000);
  const Json result = Json::parse(html_unescape(m[1].str()));
  EXPECT_EQ(result["figures"].get<int>(), figures);
  EXPECT_TRUE(result["bad_figures"].empty()) << result.dump();
  EXPECT_TRUE(result["errors"].empty()) << result.dump();
  if (cells >= 0) {
    EXPECT_EQ(result["cells"].get<int>(), cells);
    EXPECT_EQ(result["bad_cells"].get<int>(), 0);
  }
}

// The first command of `html` that starts with `prefix`, unescaped, as a user copies it.
std::string copied_command(const std::string& html, const std::string& prefix) {
  std::smatch m;
  const std::string esc_prefix = std::regex_replace(prefix, std::regex("[.^$|()\\[\\]{}*+?\\\\]"), "\\$&");
  if (!std::regex_search(html, m, std::regex("<pre class=\"cmd\"><code>(" + esc_prefix + "[^<]*)</code>")))
    return "";
  return html_unescape(m[1].str());
}

TEST(ReportTool, PipelinePageHasEveryPartAndLoadsInABrowserWithEveryFigureDrawn) {
  TempDir dir;
  // The main job's directory, at toy sizes: a one-shot NAS dataset, the GAN, generation, the
  // comparison, and the table copied to the top as scripts/main.sh leaves it.
  const std::string job = dir.file("job");
  ToolResult d = run_tool("build_nas_dataset",
                          {"--config", std::string(NASGEN_SOURCE_DIR) + "/configs/nag_oneshot_fmnist.yaml",
                           "--records", "40", "--set", "one_shot.train_subset=1000", "--set",
                           "one_shot.train.epochs=2", "--set", "one_shot.average_last=1", "--set",
                           "one_shot.score_batch=100", "--set", "one_shot.network.channels=8", "--threads",
                           "1", "--out", job + "/nas_dataset"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  ToolResult t = run_tool("train_gan", {"--dataset", job + "/nas_dataset", "--epochs", "3", "--threads", "1",
                                        "--set", "conditions=[acc, params]", "--set", "model.g_node_size=16",
                                        "--set", "model.g_graph_size=8", "--set", "model.d_node_size=16",
                                        "--set", "model.d_graph_size=8", "--set", "train.batch_size=32",
                                        "--set", "train.quality_samples=20", "--out", job + "/gan"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  ToolResult g = run_tool("generate_archs", {"--run", job + "/gan", "--num", "3", "--samples", "200",
                                             "--threads", "1"});
  ASSERT_EQ(g.exit_code, 0) << g.out << g.err;
  ToolResult c = run_script("compare_with_random.sh",
                            {"--top", "1", "--label", "generated", "--config",
                             std::string(NASGEN_SOURCE_DIR) + "/configs/train_fmnist_nag.yaml",
                             job + "/gan/generated.txt", job + "/trained", "1", "--epochs", "2", "--set",
                             "train_subset=256", "--set", "test_subset=300", "--threads", "1"});
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  fs::copy_file(job + "/trained/table.txt", job + "/table.txt");

  const std::string page = job + "/report.html";
  ToolResult r = run_tool("report", {job});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("report: " + page), std::string::npos) << r.out;
  const std::string html = read_file(page);
  // The three runs in pipeline order, each with its parts.
  const size_t ds = html.find("<h2>NAS dataset: " + job + "/nas_dataset</h2>");
  const size_t gan = html.find("<h2>GAN: " + job + "/gan</h2>");
  const size_t cmp = html.find("<h2>generated vs random: " + job + "/trained</h2>");
  ASSERT_NE(ds, std::string::npos);
  ASSERT_NE(gan, std::string::npos);
  ASSERT_NE(cmp, std::string::npos);
  EXPECT_LT(ds, gan);
  EXPECT_LT(gan, cmp);
  EXPECT_EQ(test::count_of(html, "<section"), 3u)
      << "the comparison's networks are part of it, not runs of their own, and the top directory "
         "with its copy of the table is none";
  EXPECT_NE(html.find("GAN quality per epoch"), std::string::npos);
  EXPECT_NE(html.find(xml_escape(read_file(job + "/trained/table.txt"))), std::string::npos);
  EXPECT_EQ(test::count_of(html, "<figure>"), 4u);  // dataset scatter, GAN quality, GAN losses, test accuracy
  // Diagrams of the dataset's best, two generated and the two networks: two cells each.
  if (!find_program("dot").empty()) {
    EXPECT_EQ(test::count_of(html, "<g class=\"graph\""), 10u);
  }
  // Nothing outside the page is referenced, and the page says so to the browser.
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);

  // The commands the page offers run as copied: they resolve to the architectures shown.
  const std::string generated = copied_command(html, "train_cifar --config configs/train_fmnist_nag.yaml --arch ");
  ASSERT_FALSE(generated.empty());
  const std::string first = split(read_file(job + "/gan/generated.txt.jsonl"), '\n').front();
  const std::string again = copied_command(html, "train_cifar --config " + job + "/trained/");
  ASSERT_FALSE(again.empty());
  const std::string trained = again.substr(again.find("/trained/") + 9, again.find("/config.yaml") - again.find("/trained/") - 9);
  const std::string sh = find_program("sh");
  for (const auto& [cmd, arch] :
       {std::pair<std::string, std::string>{generated, parse_json(first, "generated").at("arch").get<std::string>()},
        {again, parse_json(read_file(job + "/trained/" + trained + "/summary.json"), "summary").at("arch").get<std::string>()}}) {
    ProgramOutput p = run_program(sh, {"-c", "PATH=" + std::string(NASGEN_BIN_DIR) + ":$PATH; " + cmd +
                                                 " --print-config"},
                                  NASGEN_SOURCE_DIR);
    ASSERT_TRUE(p.ok()) << cmd << "\n" << p.err;
    EXPECT_NE(p.out.find(arch), std::string::npos) << cmd << "\n" << p.out;
  }

  // A name from the file system is text on the page, never markup.
  const std::string odd = dir.file("gan <b>&'\"");
  fs::copy(job + "/gan", odd, fs::copy_options::recursive);
  ToolResult o = run_tool("report", {odd, "--out", dir.file("odd.html")});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string odd_html = read_file(dir.file("odd.html"));
  EXPECT_NE(odd_html.find("GAN: " + xml_escape(odd)), std::string::npos);
  EXPECT_EQ(odd_html.find("<b>"), std::string::npos);

  const std::string browser = find_browser();
  if (browser.empty())
    GTEST_SKIP() << "no Chromium installed: the page was not opened in a browser (scripts/bootstrap.sh "
                    "--tests installs chromium)";
  expect_loads_cleanly(browser, page, dir, 4, find_program("dot").empty() ? -1 : 10);
}

TEST(ReportTool, SearchPageHasCurvesWithTheOptimumParetoFrontsAndTheBestArchitectures) {
  NAS_REQUIRE_DATA(file, "nas-bench-201/nb201_latency_help.csv");
  TempDir dir;
  const std::string out = dir.file("search");
  ToolResult s = run_tool("search", {"--strategy", "rea,random", "--benchmark", "nb201-cifar10", "--budget",
                                     "30", "--seeds", "0:2", "--out", out, "--set",
                                     "constraint.metric=latency_pixel3_ms", "--set", "constraint.max=10.6756",
                                     "--set", "plot=false"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const std::string page = dir.file("page.html");
  ToolResult r = run_tool("report", {out, "--out", page});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read_file(page);
  EXPECT_NE(html.find("<h2>search on nb201-cifar10: " + out + "</h2>"), std::string::npos);
  // Best-so-far with the optimum of the constrained table, and one front per strategy.
  EXPECT_NE(html.find("optimum 90.8340"), std::string::npos);
  EXPECT_EQ(test::count_of(html, "<figure>"), 3u);
  EXPECT_NE(html.find("rea: val_acc against latency_pixel3_ms"), std::string::npos);
  // Four seeds' answers, each with a look-up and a training command.
  EXPECT_EQ(test::count_of(html, "get_performance --benchmark nb201-cifar10 --arch "), 4u);
  EXPECT_EQ(test::count_of(html, "train_cifar --space nb201 --dataset cifar10 --arch "), 4u);
  const std::string lookup = copied_command(html, "get_performance --benchmark nb201-cifar10 --arch ");
  ProgramOutput p = run_program(find_program("sh"),
                                {"-c", "PATH=" + std::string(NASGEN_BIN_DIR) + ":$PATH; " + lookup});
  EXPECT_TRUE(p.ok()) << lookup << "\n" << p.err;

  const std::string browser = find_browser();
  if (browser.empty())
    GTEST_SKIP() << "no Chromium installed: the page was not opened in a browser (scripts/bootstrap.sh "
                    "--tests installs chromium)";
  expect_loads_cleanly(browser, page, dir, 3, -1);
}

TEST(ReportTool, NoRunIsOneLineAndExitTwo) {
  TempDir dir;
  fs::create_directories(dir.file("empty/a/b"));
  ToolResult r = run_tool("report", {dir.file("empty")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no run found in " + dir.file("empty")), std::string::npos) << r.err;
  ToolResult m = run_tool("report", {dir.file("nope")});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find("is not a directory"), std::string::npos) << m.err;
}

}  // namespace
}  // namespace nas
