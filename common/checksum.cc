#include "common/checksum.h"

#include <openssl/evp.h>
#include <rocksdb/file_checksum.h>

#include "absl/strings/escaping.h"

namespace sfs {

Crc32c::Crc32c()
    : generator_(rocksdb::GetFileChecksumGenCrc32cFactory()
                     ->CreateFileChecksumGenerator(
                         rocksdb::FileChecksumGenContext())) {}

Crc32c::~Crc32c() = default;

void Crc32c::Update(absl::string_view data) {
  generator_->Update(data.data(), data.size());
}

uint32_t Crc32c::Finish() {
  generator_->Finalize();
  // RocksDB hands the value back as four big-endian bytes.
  std::string raw = generator_->GetChecksum();
  uint32_t value = 0;
  for (unsigned char byte : raw) value = (value << 8) | byte;
  return value;
}

uint32_t ComputeCrc32c(absl::string_view data) {
  Crc32c crc;
  crc.Update(data);
  return crc.Finish();
}

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() = default;

void Sha256::Update(absl::string_view data) {
  EVP_DigestUpdate(state_->ctx, data.data(), data.size());
}

std::string Sha256::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->ctx, digest, &length);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace sfs
