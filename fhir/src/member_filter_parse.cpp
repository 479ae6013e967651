#include "alemwatch/fhir/member_filter_parse.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <string>

namespace alemwatch::fhir {
namespace {

using boost::json::string_view;
using boost::system::error_code;

// A Boost.JSON parser handler that forwards events to a value_stack, as boost::json::parser
// does, except within a top-level member whose key the filter refuses: those events are only
// followed (for depth) and dropped.
class MemberFilterHandler {
 public:
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  MemberFilterHandler(MemberFilter keep) : keep_(keep), stack_(boost::json::storage_ptr()) {}  // NOLINT

  void reset(boost::json::storage_ptr storage) {
    stack_.reset(std::move(storage));
    depth_ = 0;
    skipping_ = false;
    kept_ = 0;
    key_.clear();
  }
  boost::json::value release() { return stack_.release(); }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t n, error_code&) {
    if (--depth_ == 0) {
      stack_.push_object(kept_);  // the top-level object: only the members kept
    } else if (!skipping_) {
      stack_.push_object(n);
    } else if (depth_ == 1) {
      skipping_ = false;  // the end of a dropped member
    }
    return true;
  }
  bool on_array_begin(error_code&) {
    ++depth_;
    return true;
  }
  bool on_array_end(std::size_t n, error_code&) {
    --depth_;
    if (!skipping_) stack_.push_array(n);
    else if (depth_ == 1) skipping_ = false;
    return true;
  }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    if (depth_ == 1) key_.append(s.data(), s.size());
    else if (!skipping_) stack_.push_chars(s);
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    if (depth_ != 1) {
      if (!skipping_) stack_.push_key(s);
      return true;
    }
    key_.append(s.data(), s.size());
    skipping_ = !keep_(key_);
    if (!skipping_) {
      stack_.push_key(key_);
      ++kept_;
    }
    key_.clear();
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    if (!skipping_) stack_.push_chars(s);
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) { return scalar([&] { stack_.push_string(s); }); }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, string_view, error_code&) { return scalar([&] { stack_.push_int64(i); }); }
  bool on_uint64(std::uint64_t u, string_view, error_code&) { return scalar([&] { stack_.push_uint64(u); }); }
  bool on_double(double d, string_view, error_code&) { return scalar([&] { stack_.push_double(d); }); }
  bool on_bool(bool b, error_code&) { return scalar([&] { stack_.push_bool(b); }); }
  bool on_null(error_code&) { return scalar([&] { stack_.push_null(); }); }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  // A scalar is pushed unless it is (in) a dropped member; one that is the whole dropped member
  // ends it.
  template <class Push>
  bool scalar(Push push) {
    if (!skipping_) push();
    else if (depth_ == 1) skipping_ = false;
    return true;
  }

  MemberFilter keep_;
  boost::json::value_stack stack_;
  std::size_t depth_ = 0;
  bool skipping_ = false;  // within a top-level member the filter refused
  std::size_t kept_ = 0;   // top-level members kept
  std::string key_;        // a top-level key, while it arrives in parts
};

}  // namespace

std::optional<boost::json::value> parse_members(std::string_view text, MemberFilter keep, std::size_t max_depth,
                                                boost::json::storage_ptr storage) {
  boost::json::parse_options options;
  options.max_depth = max_depth;
  thread_local std::optional<boost::json::basic_parser<MemberFilterHandler>> parser;
  thread_local std::size_t parser_depth = 0;
  thread_local MemberFilter parser_filter = nullptr;
  if (!parser || parser_depth != max_depth || parser_filter != keep) {
    parser.emplace(options, keep);
    parser_depth = max_depth;
    parser_filter = keep;
  }
  parser->reset();
  parser->handler().reset(std::move(storage));
  error_code ec;
  const std::size_t used = parser->write_some(false, text.data(), text.size(), ec);
  if (ec || used != text.size()) return std::nullopt;  // an error, or more than one value: the full parse says which
  return parser->handler().release();
}

}  // namespace alemwatch::fhir
