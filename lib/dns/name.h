// Domain names in wire form (RFC 1035 3.1): a sequence of length-prefixed labels ending in the
// zero-length root label. Inside LiveCDN names are kept lowercased in wire form (std::string),
// which makes them hash keys; text form is for config and humans. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace cdn::dns {

// "Pull.Example.com" or "pull.example.com." -> lowercased wire form. "." or "" is the root.
// Rejects empty labels, labels over 63 octets, names over 255 octets and whitespace.
base::Result<std::string> NameFromText(std::string_view text);

// Wire form -> "pull.example.com." (root is "."). Non-printable octets are escaped as \DDD.
// `wire` must be a valid uncompressed name (as produced by NameFromText or the parser).
std::string NameToText(std::string_view wire);

// True when `name` equals `zone` or lies below it (label-aligned suffix; both lowercased wire).
bool NameIsUnder(std::string_view name, std::string_view zone);

// The name without its first label ("a.b." -> "b."); the root stays the root.
std::string_view NameParent(std::string_view name);

// Number of labels, not counting the root.
int NameLabelCount(std::string_view name);

// Validates an uncompressed wire name occupying exactly `wire` and lowercases ASCII in place.
bool NameCheckAndLower(std::string* wire);

}  // namespace cdn::dns
