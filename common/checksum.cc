#include "common/checksum.h"

#include <nmmintrin.h>
#include <openssl/evp.h>
#include <rocksdb/file_checksum.h>

#include <cstring>

#include "absl/strings/escaping.h"

namespace sfs {

namespace {

bool HasCrc32Instruction() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}

std::unique_ptr<rocksdb::FileChecksumGenerator> NewPortableGenerator() {
  return rocksdb::GetFileChecksumGenCrc32cFactory()
      ->CreateFileChecksumGenerator(rocksdb::FileChecksumGenContext());
}

uint32_t FinishPortable(rocksdb::FileChecksumGenerator* generator) {
  generator->Finalize();
  // RocksDB hands the value back as four big-endian bytes.
  std::string raw = generator->GetChecksum();
  uint32_t value = 0;
  for (unsigned char byte : raw) value = (value << 8) | byte;
  return value;
}

__attribute__((target("sse4.2"))) uint32_t ExtendWithInstruction(
    uint32_t crc, const char* data, size_t n) {
  uint64_t state = ~crc;
  while (n > 0 && reinterpret_cast<uintptr_t>(data) % 8 != 0) {
    state = _mm_crc32_u8(static_cast<uint32_t>(state), *data++);
    --n;
  }
  for (; n >= 8; n -= 8, data += 8) {
    uint64_t word;
    memcpy(&word, data, 8);
    state = _mm_crc32_u64(state, word);
  }
  for (; n > 0; --n)
    state = _mm_crc32_u8(static_cast<uint32_t>(state), *data++);
  return ~static_cast<uint32_t>(state);
}

}  // namespace

Crc32c::Crc32c() {
  if (!HasCrc32Instruction()) portable_ = NewPortableGenerator();
}

Crc32c::~Crc32c() = default;

void Crc32c::Update(absl::string_view data) {
  if (portable_ != nullptr) {
    portable_->Update(data.data(), data.size());
  } else {
    crc_ = ExtendWithInstruction(crc_, data.data(), data.size());
  }
}

uint32_t Crc32c::Finish() {
  return portable_ != nullptr ? FinishPortable(portable_.get()) : crc_;
}

uint32_t ComputeCrc32c(absl::string_view data) {
  Crc32c crc;
  crc.Update(data);
  return crc.Finish();
}

namespace internal {

uint32_t PortableCrc32c(absl::string_view data) {
  std::unique_ptr<rocksdb::FileChecksumGenerator> generator =
      NewPortableGenerator();
  generator->Update(data.data(), data.size());
  return FinishPortable(generator.get());
}

}  // namespace internal

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
