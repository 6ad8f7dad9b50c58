#include "sfs-frontend/server/trusted_proxies.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace sfs::frontend {

bool TrustedProxies::ParseAddress(absl::string_view text, Address* out) {
  const std::string copy(text);
  in_addr v4;
  if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
    out->fill(0);
    (*out)[10] = (*out)[11] = 0xff;
    memcpy(out->data() + 12, &v4, 4);
    return true;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, copy.c_str(), &v6) == 1) {
    memcpy(out->data(), &v6, 16);
    return true;
  }
  return false;
}

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(absl::string_view list) {
  TrustedProxies proxies;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(entry, absl::MaxSplits('/', 1));
    Block block;
    const bool v4 = parts.first.find(':') == absl::string_view::npos;
    int bits = v4 ? 32 : 128;
    const bool valid = ParseAddress(parts.first, &block.base) &&
                       (entry.find('/') == absl::string_view::npos ||
                        (absl::SimpleAtoi(parts.second, &bits) && bits >= 0 &&
                         bits <= (v4 ? 32 : 128)));
    if (!valid) {
      return absl::InvalidArgumentError(absl::StrCat(
          "trusted proxy \"", entry,
          "\" is not an IP address or CIDR block (like 10.0.0.0/8)"));
    }
    block.prefix_bits = v4 ? 96 + bits : bits;
    proxies.blocks_.push_back(block);
  }
  return proxies;
}

bool TrustedProxies::Contains(absl::string_view address) const {
  Address a;
  if (!ParseAddress(address, &a)) return false;
  for (const Block& block : blocks_) {
    int bits = block.prefix_bits;
    bool match = true;
    for (int i = 0; i < 16 && bits > 0 && match; ++i, bits -= 8) {
      const unsigned char mask =
          bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
      match = (a[i] & mask) == (block.base[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string TrustedProxies::ClientAddress(
    absl::string_view peer, absl::string_view forwarded_for) const {
  std::vector<absl::string_view> hops = absl::StrSplit(forwarded_for, ',');
  absl::string_view client = peer;
  for (auto it = hops.rbegin(); it != hops.rend() && Contains(client); ++it) {
    absl::string_view hop = absl::StripAsciiWhitespace(*it);
    Address ignored;
    if (!ParseAddress(hop, &ignored)) break;
    client = hop;
  }
  return std::string(client);
}

}  // namespace sfs::frontend
