#include "generators/llm/reply_parser.h"

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "libnas/util/error.h"
#include "libnas/util/rng.h"

namespace nas::llm {

namespace {

// Bounds that make the cost linear in the reply: candidates longer than kMaxCandidate are not
// tried (no architecture text comes close), each scan keeps only its last kKeepPerScan spans,
// and at most kMaxAttempts texts reach the space's parser, at most kMaxListAttempts of them
// from bracketed lists.
constexpr size_t kMaxCandidate = 4096;
constexpr size_t kKeepPerScan = 64;
constexpr int kMaxAttempts = 64;
constexpr int kMaxListAttempts = 32;
constexpr size_t kMaxError = 300;
constexpr size_t kCandidateInError = 60;
// A digit run shorter than this is a number in prose, not a digit-string architecture.
constexpr size_t kMinDigitRun = 4;
// A whole reply longer than this, or of several lines, is prose: its parse error is not shown.
constexpr size_t kMaxShortReply = 200;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ident(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
bool is_punct(char c) { return c > ' ' && c < 0x7f && !is_alpha(c) && !is_digit(c) && c != '_'; }
bool has_digit(std::string_view s) { return std::any_of(s.begin(), s.end(), is_digit); }

std::string_view trim_view(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// The reply without a Markdown code fence around it ("```json\n[1, 2]\n```", "```[1, 2]```").
std::string_view strip_fence(std::string_view t) {
  t = trim_view(t);
  if (!starts_with(t, "```")) return t;
  t.remove_prefix(3);
  if (ends_with(t, "```")) t.remove_suffix(3);
  // An info string ("json", "python") on the opening line is not part of the answer.
  const size_t nl = t.find('\n');
  if (nl != std::string_view::npos) {
    const std::string_view info = trim_view(t.substr(0, nl));
    if (std::all_of(info.begin(), info.end(), [](char c) { return is_ident(c) || c == '-'; }))
      t.remove_prefix(nl + 1);
  }
  return trim_view(t);
}

// ---- Scans -----------------------------------------------------------------------------------
// Each scan is one pass over the reply that records candidate spans [begin, end); only the
// last kKeepPerScan spans of at most kMaxCandidate bytes are kept, since a chatty reply states
// its answer last.

struct Span {
  size_t begin = 0;
  size_t end = 0;
};

class LastSpans {
 public:
  explicit LastSpans(std::string_view text) : text_(text) {}
  // Adds the span with surrounding whitespace trimmed (empty and oversized spans are dropped).
  void add(size_t begin, size_t end) {
    while (begin < end && is_space(text_[begin])) ++begin;
    while (end > begin && is_space(text_[end - 1])) --end;
    if (begin >= end || end - begin > kMaxCandidate) return;
    spans_.push_back({begin, end});
    if (spans_.size() > kKeepPerScan) spans_.pop_front();
  }
  const std::deque<Span>& spans() const { return spans_; }

 private:
  std::string_view text_;
  std::deque<Span> spans_;
};

// Innermost bracketed lists of numbers: '[' then only digits, signs, decimal points, commas
// and whitespace, then ']'. Any other byte abandons the list, so nesting costs nothing.
std::deque<Span> scan_number_lists(std::string_view text) {
  LastSpans out(text);
  size_t open = std::string_view::npos;
  bool digit = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '[') {
      open = i;
      digit = false;
    } else if (open == std::string_view::npos) {
      continue;
    } else if (c == ']') {
      if (digit) out.add(open, i + 1);
      open = std::string_view::npos;
    } else if (is_digit(c)) {
      digit = true;
    } else if (!(is_space(c) || c == ',' || c == '-' || c == '+' || c == '.')) {
      open = std::string_view::npos;
    }
  }
  return out.spans();
}

// Maximal runs of non-whitespace, without the quotes, emphasis, sentence punctuation,
// parentheses and unmatched brackets that prose puts around a token ("`|...|`.",
// "**01201201**,", "(213401)", "\"|...|\"}"). Bracket counts are kept up to date as the ends
// are stripped, so each word costs linear time.
std::deque<Span> scan_words(std::string_view text) {
  LastSpans out(text);
  auto is_quote = [](char c) { return c == '`' || c == '\'' || c == '"' || c == '*'; };
  auto is_trailing = [](char c) {
    return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?';
  };
  auto bracket = [](char c) {  // bracket kind 0-2 and +1 open / -1 close, or {-1, 0}
    switch (c) {
      case '(':
        return std::pair<int, int>(0, 1);
      case ')':
        return std::pair<int, int>(0, -1);
      case '[':
        return std::pair<int, int>(1, 1);
      case ']':
        return std::pair<int, int>(1, -1);
      case '{':
        return std::pair<int, int>(2, 1);
      case '}':
        return std::pair<int, int>(2, -1);
      default:
        return std::pair<int, int>(-1, 0);
    }
  };
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    size_t b = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    size_t e = i;
    if (e - b > kMaxCandidate) continue;
    long depth[3] = {0, 0, 0};  // openers minus closers, per bracket kind
    for (size_t k = b; k < e; ++k) {
      const auto [kind, step] = bracket(text[k]);
      if (kind >= 0) depth[kind] += step;
    }
    while (b < e) {
      const auto [open_kind, open_step] = bracket(text[b]);
      const auto [close_kind, close_step] = bracket(text[e - 1]);
      if (is_quote(text[b])) {
        ++b;
      } else if (is_quote(text[e - 1]) || is_trailing(text[e - 1])) {
        --e;
      } else if (open_step > 0 && depth[open_kind] > 0) {
        ++b;
        --depth[open_kind];
      } else if (close_step < 0 && depth[close_kind] < 0) {
        --e;
        ++depth[close_kind];
      } else if (text[b] == '(' && text[e - 1] == ')' && e - b >= 2) {
        ++b;  // a parenthesised aside; lists and JSON objects keep their brackets
        --e;
      } else {
        break;
      }
    }
    out.add(b, e);
  }
  return out.spans();
}

// Whether the number text[b, e) is a piece of a bigger number: a fraction or exponent after a
// decimal point or sign, or the integer part before one ("1.0" must not read as "0").
bool part_of_number(std::string_view text, size_t b, size_t e) {
  if (b > 0 && (text[b - 1] == '.' || text[b - 1] == '+' || text[b - 1] == '-')) return true;
  return e + 1 < text.size() && text[e] == '.' && is_digit(text[e + 1]);
}

// Maximal runs of digits ("01201201" in "key=01201201"), at least kMinDigitRun long, that are
// not part of a decimal or signed number.
std::deque<Span> scan_digit_runs(std::string_view text) {
  LastSpans out(text);
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !is_digit(text[i])) ++i;
    const size_t b = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i - b >= kMinDigitRun && !part_of_number(text, b, i)) out.add(b, i);
  }
  return out.spans();
}

// Maximal runs of at least two integers separated by whitespace or commas, across lines
// ("1 3 0 3 1 1 ..." in "Sure! 1 3 0 3 1 1 ...\n"). A run glued to a decimal point or to a
// word at either end is dropped: its end numbers are pieces of other tokens.
std::deque<Span> scan_int_runs(std::string_view text) {
  LastSpans out(text);
  auto in_run = [](char c) { return is_digit(c) || is_space(c) || c == ',' || c == '-'; };
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !in_run(text[i])) ++i;
    const size_t b = i;
    int groups = 0;
    bool prev_digit = false;
    while (i < text.size() && in_run(text[i])) {
      const bool d = is_digit(text[i]);
      if (d && !prev_digit) ++groups;
      prev_digit = d;
      ++i;
    }
    if (groups >= 2) {
      size_t e = i;
      size_t s = b;
      while (s < e && (is_space(text[s]) || text[s] == ',')) ++s;
      while (e > s && (is_space(text[e - 1]) || text[e - 1] == ',' || text[e - 1] == '-')) --e;
      const bool glued =
          (s > 0 && (text[s - 1] == '.' || text[s - 1] == '+' || is_ident(text[s - 1]))) ||
          (e < text.size() && is_ident(text[e])) || part_of_number(text, s, e);
      if (!glued) out.add(s, e);
    }
  }
  return out.spans();
}

// Balanced (...) and {...} groups, a '(' group with the identifier before it ("Genotype(...)",
// JSON objects). The stack of open brackets lives on the heap and forgets openers more than
// kMaxCandidate bytes back (their groups would be too long), so any nesting depth is fine.
std::deque<Span> scan_groups(std::string_view text) {
  LastSpans out(text);
  std::deque<std::pair<char, size_t>> open;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '(' || c == '{') {
      open.emplace_back(c, i);
      while (!open.empty() && i - open.front().second > kMaxCandidate) open.pop_front();
    } else if (c == ')' || c == '}') {
      const char want = c == ')' ? '(' : '{';
      if (open.empty() || open.back().first != want) {
        open.clear();
        continue;
      }
      size_t b = open.back().second;
      open.pop_back();
      if (c == ')')
        while (b > 0 && is_ident(text[b - 1]) && i - b < kMaxCandidate) --b;
      out.add(b, i + 1);
    }
  }
  return out.spans();
}

// Each line, trimmed.
std::deque<Span> scan_lines(std::string_view text) {
  LastSpans out(text);
  size_t b = 0;
  while (b <= text.size()) {
    size_t e = text.find('\n', b);
    if (e == std::string_view::npos) e = text.size();
    out.add(b, e);
    b = e + 1;
  }
  return out.spans();
}

// The contents of "..." and `...` within one line (a JSON string value, inline code).
std::deque<Span> scan_quoted(std::string_view text) {
  LastSpans out(text);
  for (const char q : {'"', '`'}) {
    size_t open = std::string_view::npos;
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '\n') {
        open = std::string_view::npos;
      } else if (c == q) {
        if (open == std::string_view::npos) {
          open = i;
        } else {
          out.add(open + 1, i);
          open = std::string_view::npos;
        }
      }
    }
  }
  return out.spans();
}

// The contents of the fenced code blocks (```lang ... ```).
std::deque<Span> scan_fenced(std::string_view text) {
  LastSpans out(text);
  size_t at = 0;
  while (true) {
    const size_t open = text.find("```", at);
    if (open == std::string_view::npos) break;
    const size_t close = text.find("```", open + 3);
    if (close == std::string_view::npos) break;
    size_t b = open + 3;
    const size_t nl = text.find('\n', b);
    if (nl != std::string_view::npos && nl < close) {
      const std::string_view info = trim_view(text.substr(b, nl - b));
      if (std::all_of(info.begin(), info.end(), [](char c) { return is_ident(c) || c == '-'; }))
        b = nl + 1;
    }
    out.add(b, close);
    at = close + 3;
  }
  return out.spans();
}

// ---- What the space's text looks like --------------------------------------------------------

// Learnt once per space from a few formatted samples: an example for the "nothing found"
// message, and the shape used to judge which failed candidate was meant as an answer.
struct SpaceShape {
  std::string example;   // the shortest sample text
  bool punct[128] = {};  // punctuation every sample text holds
  int num_punct = 0;
  size_t min_length = 0;     // of the sample texts
  size_t min_digits = 0;     // digits in the sample texts, at least
  bool all_digits = false;   // the text is a digit string (Macro, Channel)
  bool takes_lists = false;  // a bracketed list of numbers can be an answer
};

SpaceShape learn_shape(const SearchSpace& space) {
  SpaceShape shape;
  std::vector<std::string> texts;
  try {
    Rng rng(20240607);
    for (int i = 0; i < 4; ++i) texts.push_back(space.format(space.sample(rng)));
  } catch (const std::exception&) {
    return shape;
  }
  bool common[128];
  std::fill(std::begin(common), std::end(common), true);
  shape.min_length = SIZE_MAX;
  shape.min_digits = SIZE_MAX;
  shape.all_digits = true;
  for (const std::string& t : texts) {
    bool here[128] = {};
    for (char c : t)
      if (is_punct(c)) here[static_cast<unsigned char>(c)] = true;
    for (int c = 0; c < 128; ++c) common[c] = common[c] && here[c];
    if (t.size() < shape.min_length) {
      shape.min_length = t.size();
      shape.example = t;
    }
    shape.min_digits = std::min(shape.min_digits,
                                static_cast<size_t>(std::count_if(t.begin(), t.end(), is_digit)));
    shape.all_digits = shape.all_digits && !t.empty() && std::all_of(t.begin(), t.end(), is_digit);
  }
  for (int c = 0; c < 128; ++c) {
    shape.punct[c] = common[c];
    shape.num_punct += common[c];
  }
  // Texts of numbers alone (Macro, Channel, NAO) are lists in other words; other spaces may
  // still read a list of op ids (NB201): probed with lists of ones, and their digits joined
  // as parse_reply tries them.
  shape.takes_lists = shape.num_punct == 0 && shape.min_digits > 0;
  for (int n = 1; n <= 16 && !shape.takes_lists; ++n) {
    std::string list = "[1";
    for (int i = 1; i < n; ++i) list += ", 1";
    for (const std::string& t : {list + "]", std::string(static_cast<size_t>(n), '1')}) {
      try {
        space.parse(t);
        shape.takes_lists = true;
      } catch (const std::exception&) {
      }
    }
  }
  return shape;
}

const SpaceShape& shape_of(const SearchSpace& space) {
  static std::mutex mutex;
  static std::map<std::string, SpaceShape> shapes;
  const std::string name = space.name();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = shapes.find(name);
  if (it == shapes.end()) it = shapes.emplace(name, learn_shape(space)).first;
  return it->second;
}

// Whether a candidate looks like the space's text, so that its parse error is worth telling the
// model: for punctuated texts (NB201 strings, cells, genotypes), two thirds of the punctuation
// the space always writes and a quarter of its length; for digit texts (Macro, Channel, NAO),
// only digits, separators, signs, decimal points and brackets, with three quarters of the
// digits.
bool looks_like(const SpaceShape& shape, std::string_view c) {
  if (shape.num_punct == 0) {
    if (shape.min_digits == 0) return false;
    for (char ch : c)
      if (!(is_digit(ch) || is_space(ch) ||
            std::string_view(",-+.[]").find(ch) != std::string_view::npos))
        return false;
    const auto digits = static_cast<size_t>(std::count_if(c.begin(), c.end(), is_digit));
    return 4 * digits >= 3 * shape.min_digits;
  }
  bool seen[128] = {};
  int shared = 0;
  for (char ch : c) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 128 && shape.punct[u] && !seen[u]) {
      seen[u] = true;
      ++shared;
    }
  }
  return 3 * shared >= 2 * shape.num_punct && 4 * c.size() >= shape.min_length;
}

// ---- Messages --------------------------------------------------------------------------------

// Length of the valid UTF-8 sequence at s[i], 0 when the bytes there are not one.
size_t utf8_length(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) lo = 0xa0;  // overlong
    if (b0 == 0xed) hi = 0x9f;  // surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) lo = 0x90;  // overlong
    if (b0 == 0xf4) hi = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return 0;
  }
  // C1 control characters (U+0080..U+009F).
  if (n == 2 && b0 == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0) return 0;
  return n;
}

// One line of valid UTF-8 of at most max_len bytes: whitespace controls become spaces, other
// control characters are dropped, invalid bytes become '?', and a cut text ends in "...".
std::string one_line(std::string_view s, size_t max_len) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = utf8_length(s, i);
    std::string_view piece;
    if (n == 0) {
      piece = "?";
      i += 1;
    } else if (n == 1 && (static_cast<unsigned char>(s[i]) < 0x20 || s[i] == 0x7f)) {
      piece = is_space(s[i]) ? std::string_view(" ") : std::string_view();
      i += 1;
    } else {
      piece = s.substr(i, n);
      i += n;
    }
    if (out.size() + piece.size() > max_len) {
      // Cut where "..." still fits, at a character boundary.
      while (!out.empty() && out.size() + 3 > max_len) {
        size_t k = out.size() - 1;
        while (k > 0 && (static_cast<unsigned char>(out[k]) & 0xc0) == 0x80) --k;
        out.resize(k);
      }
      out += "...";
      return out;
    }
    out += piece;
  }
  return out;
}

// ---- Parsing ---------------------------------------------------------------------------------

// How likely a failed candidate was meant as the answer, so its error is the one to report.
enum Rank {
  kNotShown = 0,
  kFallback = 1,  // the whole reply as one short line, a JSON object
  kLine = 2,      // a line (or the whole reply) shaped like an answer
  kShaped = 3,    // a token shaped like the space's text, a list in a space that takes lists
};

struct Failure {
  std::string candidate;
  std::string error;
  size_t end = 0;  // where the candidate ends in the reply (later = more likely the answer)
  int rank = -1;
};

class ReplyReader {
 public:
  ReplyReader(const SearchSpace& space, std::string_view reply) : space_(space), reply_(reply) {}

  ParsedReply read() {
    ParsedReply out;
    if (read_all(out)) return out;
    if (best_.rank > kNotShown) {
      out.text = best_.candidate;
      out.error = one_line("'" + one_line(best_.candidate, kCandidateInError) + "': " + best_.error,
                           kMaxError);
    } else {
      const std::string& example = shape().example;
      const std::string what =
          trim_view(reply_).empty() ? "the reply is empty" : "no architecture found in the reply";
      std::string msg = what + ": answer with one " + space_.name() + " architecture";
      if (!example.empty()) msg += ", e.g. " + example;
      out.error = one_line(msg, kMaxError);
    }
    return out;
  }

 private:
  enum class Outcome { Parsed, Failed, NotTried };

  bool read_all(ParsedReply& out) {
    // 1. The whole reply, then without a code fence around it.
    const std::string_view whole = trim_view(reply_);
    const size_t whole_end = static_cast<size_t>(whole.data() - reply_.data()) + whole.size();
    for (const std::string_view t : {whole, strip_fence(whole)}) {
      const Outcome o = attempt(t, out);
      if (o == Outcome::Parsed) return true;
      if (o == Outcome::Failed) consider(t, whole_end, rank_of(t, true));
    }

    // 2. Bracketed lists of numbers, the last first; single-digit entries also joined.
    const std::deque<Span> lists = scan_number_lists(reply_);
    int list_attempts = 0;
    for (auto it = lists.rbegin(); it != lists.rend() && list_attempts < kMaxListAttempts; ++it) {
      const int before = attempts_;
      if (attempt_list(reply_.substr(it->begin, it->end - it->begin), it->end, out)) return true;
      list_attempts += attempts_ - before;
    }

    // 3. Tokens of every shape an architecture text takes, the last first (the shortest first
    // among those ending at the same byte). Every text form of the spaces holds digits.
    struct Token {
      Span span;
      bool line;  // a whole line, prose included
    };
    std::vector<Token> tokens;
    for (const auto& scan : {scan_words, scan_digit_runs, scan_int_runs, scan_groups, scan_lines,
                             scan_quoted, scan_fenced}) {
      const bool line = scan == scan_lines;
      for (const Span& s : scan(reply_)) tokens.push_back({s, line});
    }
    std::sort(tokens.begin(), tokens.end(), [](const Token& a, const Token& b) {
      if (a.span.end != b.span.end) return a.span.end > b.span.end;
      return a.span.end - a.span.begin < b.span.end - b.span.begin;
    });
    for (const Token& tok : tokens) {
      if (attempts_ >= kMaxAttempts) break;
      const std::string_view t = reply_.substr(tok.span.begin, tok.span.end - tok.span.begin);
      if (!has_digit(t)) continue;
      const Outcome o = attempt(t, out);
      if (o == Outcome::Parsed) return true;
      if (o == Outcome::Failed) consider(t, tok.span.end, rank_of(t, false, tok.line));
    }
    return false;
  }

  // Lines and the whole reply rank below tokens shaped like an answer: they may carry prose,
  // and would otherwise win by ending later (a bare answer is also found as a token).
  int rank_of(std::string_view t, bool whole, bool line = false) {
    const bool one_line = t.find('\n') == std::string_view::npos;
    if (looks_like(shape(), t)) return line || whole ? kLine : kShaped;
    if (whole && one_line && t.size() <= kMaxShortReply) return kFallback;
    if (!whole && t.front() == '{') return kFallback;
    return kNotShown;
  }

  // Tries the list text, then (when every entry is one digit) the digits joined. When both fail
  // the list's error is kept, unless the list has as many entries as the space's digit string
  // has digits: then the values are what is wrong, and the digit form names them.
  bool attempt_list(std::string_view list, size_t end, ParsedReply& out) {
    std::string joined;
    size_t entries = 0;
    bool single_digits = true;
    for (size_t i = 1; i + 1 < list.size() && single_digits;) {
      if (is_space(list[i]) || list[i] == ',') {
        ++i;
        continue;
      }
      const size_t b = i;
      while (i + 1 < list.size() && !is_space(list[i]) && list[i] != ',') ++i;
      single_digits = i - b == 1 && is_digit(list[b]);
      joined.push_back(list[b]);
      ++entries;
    }
    const Outcome as_list = attempt(list, out);
    if (as_list == Outcome::Parsed) return true;
    const std::string list_error = last_error_;
    Outcome as_digits = Outcome::NotTried;
    if (single_digits && !joined.empty()) {
      as_digits = attempt(joined, out);
      if (as_digits == Outcome::Parsed) return true;
    }
    const SpaceShape& s = shape();
    const bool values_wrong = s.all_digits && entries == s.min_length;
    const int rank = s.takes_lists || looks_like(s, list) ? kShaped : kNotShown;
    if (as_digits == Outcome::Failed && (values_wrong || as_list != Outcome::Failed))
      consider(joined, end, rank);
    else if (as_list == Outcome::Failed)
      consider(list, end, rank, &list_error);
    return false;
  }

  // Parses one candidate; a text seen before is answered from memory (its error in last_error_)
  // without counting against the budget.
  Outcome attempt(std::string_view text, ParsedReply& out) {
    if (text.empty() || text.size() > kMaxCandidate) return Outcome::NotTried;
    std::string t(text);
    if (auto it = errors_.find(t); it != errors_.end()) {
      last_error_ = it->second;
      return Outcome::Failed;
    }
    if (attempts_ >= kMaxAttempts) return Outcome::NotTried;
    ++attempts_;
    try {
      Arch arch = space_.parse(t);
      space_.validate(arch);
      out.arch = std::move(arch);
      out.text = std::move(t);
      out.error.clear();
      return Outcome::Parsed;
    } catch (const std::exception& e) {
      last_error_ = e.what();
    } catch (...) {
      last_error_ = "the text could not be read";
    }
    errors_.emplace(std::move(t), last_error_);
    return Outcome::Failed;
  }

  // Keeps the failure most likely meant as the answer: the better ranked, then the one ending
  // later, then the shorter, then the one tried first. `error` defaults to the last attempt's.
  void consider(std::string_view candidate, size_t end, int rank,
                const std::string* error = nullptr) {
    if (rank != best_.rank) {
      if (rank < best_.rank) return;
    } else if (end != best_.end) {
      if (end < best_.end) return;
    } else if (candidate.size() >= best_.candidate.size()) {
      return;
    }
    best_.candidate = std::string(candidate);
    best_.error = error ? *error : last_error_;
    best_.end = end;
    best_.rank = rank;
  }

  // The space's shape, looked up once per reply (only when something failed).
  const SpaceShape& shape() {
    if (!shape_) shape_ = &shape_of(space_);
    return *shape_;
  }

  const SearchSpace& space_;
  std::string_view reply_;
  const SpaceShape* shape_ = nullptr;
  std::unordered_map<std::string, std::string> errors_;  // text tried -> its parse error
  std::string last_error_;
  int attempts_ = 0;
  Failure best_;
};

}  // namespace

ParsedReply parse_reply(const SearchSpace& space, std::string_view reply) {
  try {
    return ReplyReader(space, reply).read();
  } catch (const std::exception& e) {
    // Only allocation can fail outside the guarded parse calls.
    ParsedReply out;
    out.error = one_line(std::string("the reply could not be read: ") + e.what(), kMaxError);
    return out;
  }
}

}  // namespace nas::llm
