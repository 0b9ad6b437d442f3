#include "base/json.hpp"

#include "base/error.hpp"

namespace oci {

Json parse_json_object(const std::string& text, const std::string& what) {
    // Parsed without exceptions first: the hook parses on every container start, and the first
    // throw in a static program costs about a millisecond.
    Json doc = Json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        // Only for the message: the library's exception knows the line and column.
        std::string reason = "not valid JSON";
        try {
            const auto unused = Json::parse(text);
            (void)unused;
        } catch (const Json::exception& e) { // parse_error, or out_of_range for a number like 1e999
            reason = e.what();
            // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ..."
            if (const auto at = reason.find("parse error at "); at != std::string::npos) reason.erase(0, at + 15);
            else if (const auto close = reason.find("] "); close != std::string::npos) reason.erase(0, close + 2);
        }
        throw Error("parse " + what + ": " + reason);
    }
    if (!doc.is_object()) throw Error("parse " + what + ": not a JSON object");
    return doc;
}

JsonLayout layout_of(const std::string& text) {
    JsonLayout l;
    l.final_newline = !text.empty() && text.back() == '\n';
    // The first non-blank line after the first line break tells the indentation.
    for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', nl + 1)) {
        const std::size_t start = nl + 1;
        const std::size_t end = text.find_first_not_of(" \t", start);
        if (end == std::string::npos) break;
        if (text[end] == '\n' || text[end] == '\r') continue;
        l.indent = static_cast<int>(end - start);
        if (end > start) l.indent_char = text[start];
        break;
    }
    return l;
}

std::string dump_like(const Json& doc, const JsonLayout& layout) {
    return doc.dump(layout.indent, layout.indent_char) + (layout.final_newline ? "\n" : "");
}

} // namespace oci
