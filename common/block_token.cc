#include "common/block_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace sfs {
namespace {

constexpr size_t kSecretBytes = 32;

absl::Status Denied(absl::string_view why) {
  return absl::PermissionDeniedError(absl::StrCat("block token: ", why));
}

}  // namespace

std::string BlockTokenMac(const proto::BlockToken& token,
                          const std::string& secret) {
  // Every field, each length-prefixed, so no two tokens share an input.
  std::string input = absl::StrCat(token.handle(), "|", token.mode(), "|",
                                   token.expires_unix_micros(), "|",
                                   token.key_id(), "|", token.chain_size());
  for (const std::string& address : token.chain()) {
    absl::StrAppend(&input, "|", address.size(), ":", address);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &mac_size);
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

absl::StatusOr<BlockTokenSigner> BlockTokenSigner::OpenKeyFile(
    const std::string& path, absl::Duration lifetime) {
  proto::BlockKey key;
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!key.ParseFromString(bytes.str()) ||
        key.secret().size() != kSecretBytes) {
      return absl::DataLossError(
          absl::StrCat(path, " does not hold a block token key"));
    }
    return BlockTokenSigner(std::move(key), lifetime);
  }
  unsigned char secret[kSecretBytes];
  uint32_t id = 0;
  if (RAND_bytes(secret, sizeof(secret)) != 1 ||
      RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof(id)) != 1) {
    return absl::InternalError("no randomness for a block token key");
  }
  key.set_id(id);
  key.set_secret(secret, sizeof(secret));
  OPENSSL_cleanse(secret, sizeof(secret));
  const std::string temp = path + ".new";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    ::chmod(temp.c_str(), 0600);
    out << key.SerializeAsString();
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", temp));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot create ", path));
  }
  return BlockTokenSigner(std::move(key), lifetime);
}

proto::BlockToken BlockTokenSigner::Sign(uint64_t handle,
                                         proto::BlockToken::Mode mode,
                                         const std::vector<std::string>& chain,
                                         absl::Time now) const {
  proto::BlockToken token;
  token.set_handle(handle);
  token.set_mode(mode);
  token.set_expires_unix_micros(absl::ToUnixMicros(now + lifetime_));
  for (const std::string& address : chain) token.add_chain(address);
  token.set_key_id(key_.id());
  token.set_mac(BlockTokenMac(token, key_.secret()));
  return token;
}

void BlockTokenVerifier::AddKey(const proto::BlockKey& key) {
  absl::MutexLock lock(&mu_);
  for (const proto::BlockKey& known : keys_) {
    if (known.id() == key.id() && known.secret() == key.secret()) return;
  }
  keys_.push_front(key);
  if (keys_.size() > kMaxKeys) keys_.pop_back();
}

absl::Status BlockTokenVerifier::Verify(const proto::BlockToken& token,
                                        uint64_t handle,
                                        proto::BlockToken::Mode mode,
                                        absl::Span<const std::string> replicas,
                                        absl::Time now) const {
  if (token.mac().empty()) return Denied("none given");
  bool signed_by_known_key = false;
  {
    absl::MutexLock lock(&mu_);
    for (const proto::BlockKey& key : keys_) {
      if (key.id() != token.key_id()) continue;
      const std::string expected = BlockTokenMac(token, key.secret());
      signed_by_known_key = expected.size() == token.mac().size() &&
                            CRYPTO_memcmp(expected.data(), token.mac().data(),
                                          expected.size()) == 0;
      if (signed_by_known_key) break;
    }
  }
  if (!signed_by_known_key) {
    return Denied("not signed by a key of this cluster's master");
  }
  if (token.handle() != handle) {
    return Denied(absl::StrCat("issued for chunk ", token.handle(),
                               ", not chunk ", handle));
  }
  if (token.mode() != mode) return Denied("issued for another access mode");
  if (absl::FromUnixMicros(token.expires_unix_micros()) <= now) {
    return Denied("expired");
  }
  for (const std::string& address : replicas) {
    if (std::find(token.chain().begin(), token.chain().end(), address) ==
        token.chain().end()) {
      return Denied(absl::StrCat("does not allow writing to ", address));
    }
  }
  return absl::OkStatus();
}

}  // namespace sfs
