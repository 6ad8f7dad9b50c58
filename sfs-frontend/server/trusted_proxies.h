// TrustedProxies names the proxies (a load balancer, an ingress) whose word
// on a request's client address the frontend takes. Behind such a proxy
// every connection comes from the proxy, so everything keyed by client
// address (the login throttle, anonymous transfer owners, progress stream
// budgets, the audit log) would lump all its clients together. A proxy
// appends the address it received the request from to X-Forwarded-For, so
// the client is found by walking that list from its end: each entry
// written by a trusted hop is believed, and the first entry that is not a
// trusted proxy is the client. Entries left of it were written by the
// client itself and are ignored; so is the whole header on a request that
// did not come from a trusted proxy.
//
// Immutable after Parse; thread-safe.
#ifndef SFS_FRONTEND_SERVER_TRUSTED_PROXIES_H_
#define SFS_FRONTEND_SERVER_TRUSTED_PROXIES_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sfs::frontend {

class TrustedProxies {
 public:
  TrustedProxies() = default;  // trusts nobody

  // A comma-separated list of IPv4 and IPv6 addresses and CIDR blocks
  // ("10.0.0.0/8, fd00::/8, 127.0.0.1"); InvalidArgument naming the first
  // entry that is neither. Empty: nobody.
  static absl::StatusOr<TrustedProxies> Parse(absl::string_view list);

  bool empty() const { return blocks_.empty(); }
  // Whether `address` (an IP address; IPv4-mapped IPv6 counts as IPv4) is
  // in a trusted block.
  bool Contains(absl::string_view address) const;

  // The client of a request that arrived from `peer` carrying
  // `forwarded_for` (every X-Forwarded-For value, joined by commas): `peer`
  // unless it is trusted; else the last entry not written by a trusted
  // proxy, as described above. An entry that is not an IP address stops
  // the walk at the hop that wrote it.
  std::string ClientAddress(absl::string_view peer,
                            absl::string_view forwarded_for) const;

 private:
  // An address in network order, IPv4 as IPv4-mapped IPv6.
  using Address = std::array<unsigned char, 16>;
  static bool ParseAddress(absl::string_view text, Address* out);

  struct Block {
    Address base;
    int prefix_bits;  // of the 128
  };
  std::vector<Block> blocks_;
};

}  // namespace sfs::frontend

#endif  // SFS_FRONTEND_SERVER_TRUSTED_PROXIES_H_
