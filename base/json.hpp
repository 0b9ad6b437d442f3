#pragma once
// JSON documents from files people edit: a syntax error names the line and column.
#include <nlohmann/json.hpp>

#include <string>

namespace oci {

// Documents xarch reads and writes back (config.json, OCI state, settings): members keep the
// order they were written in, so a rewritten config.json reads like the user's own.
using Json = nlohmann::ordered_json;

// Parses `text` as a JSON object. Throws Error "parse WHAT: line L, column C: REASON" for
// invalid JSON, "parse WHAT: not a JSON object" for another value. `what` names the source
// (a file's path, or "OCI state").
Json parse_json_object(const std::string& text, const std::string& what);

// How a JSON file people edit is laid out, so that a rewrite looks like it: compact (one line)
// or indented with the spaces or tabs of its first indented line; and its final newline.
struct JsonLayout {
    int indent = -1; // -1: compact
    char indent_char = ' ';
    bool final_newline = false;
};

// The layout of `text`; a file with no line breaks is compact.
JsonLayout layout_of(const std::string& text);

// `doc` written in `layout`.
std::string dump_like(const Json& doc, const JsonLayout& layout);

} // namespace oci
