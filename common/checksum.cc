#include "common/checksum.h"

#include <nmmintrin.h>
// SHA256_CTX is the one OpenSSL digest interface whose state is plain data
// that can be saved and restored (EVP's is opaque); deprecated in 3.0, not
// removed.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
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

// The CRC instruction has a latency of three cycles and a throughput of
// one, so one dependency chain uses a third of it. Long inputs are
// checksummed in three interleaved lanes of kLaneBytes each, and the lanes'
// states joined: a state followed by k zero bytes is a linear function of
// the state, so lane states a, b, c of consecutive lanes join as
// Shift(Shift(a) ^ b) ^ c, where Shift feeds kLaneBytes zero bytes.
constexpr size_t kLaneBytes = 4096;

__attribute__((target("sse4.2"))) uint32_t FeedZeros(uint32_t state,
                                                     size_t count) {
  uint64_t s = state;
  for (size_t i = 0; i < count / 8; ++i) s = _mm_crc32_u64(s, 0);
  return static_cast<uint32_t>(s);
}

// FeedZeros(state, kLaneBytes) as four table lookups, one per state byte.
class LaneShift {
 public:
  LaneShift() {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; ++bit) {
      basis[bit] = FeedZeros(uint32_t{1} << bit, kLaneBytes);
    }
    for (int b = 0; b < 4; ++b) {
      for (int value = 0; value < 256; ++value) {
        uint32_t shifted = 0;
        for (int bit = 0; bit < 8; ++bit) {
          if (value & (1 << bit)) shifted ^= basis[8 * b + bit];
        }
        table_[b][value] = shifted;
      }
    }
  }

  uint32_t operator()(uint32_t state) const {
    return table_[0][state & 0xff] ^ table_[1][(state >> 8) & 0xff] ^
           table_[2][(state >> 16) & 0xff] ^ table_[3][state >> 24];
  }

 private:
  uint32_t table_[4][256];
};

__attribute__((target("sse4.2"))) uint32_t ExtendWithInstruction(
    uint32_t crc, const char* data, size_t n) {
  static const LaneShift* const shift = new LaneShift();
  uint64_t state = ~crc;
  while (n > 0 && reinterpret_cast<uintptr_t>(data) % 8 != 0) {
    state = _mm_crc32_u8(static_cast<uint32_t>(state), *data++);
    --n;
  }
  for (; n >= 3 * kLaneBytes; n -= 3 * kLaneBytes, data += 3 * kLaneBytes) {
    uint64_t a = state, b = 0, c = 0;
    for (size_t i = 0; i < kLaneBytes; i += 8) {
      uint64_t wa, wb, wc;
      memcpy(&wa, data + i, 8);
      memcpy(&wb, data + kLaneBytes + i, 8);
      memcpy(&wc, data + 2 * kLaneBytes + i, 8);
      a = _mm_crc32_u64(a, wa);
      b = _mm_crc32_u64(b, wb);
      c = _mm_crc32_u64(c, wc);
    }
    state = (*shift)((*shift)(static_cast<uint32_t>(a)) ^
                     static_cast<uint32_t>(b)) ^
            static_cast<uint32_t>(c);
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
  SHA256_CTX ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  SHA256_Init(&state_->ctx);
}

Sha256::~Sha256() = default;

void Sha256::Update(absl::string_view data) {
  SHA256_Update(&state_->ctx, data.data(), data.size());
}

std::string Sha256::FinishHex() {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &state_->ctx);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

namespace {

// The words of a SHA256_CTX in SaveState's order.
constexpr size_t kStateWords = 8 + 2 + SHA_LBLOCK + 2;

template <typename Ctx, typename Fn>
void ForEachStateWord(Ctx& ctx, Fn fn) {
  for (auto& word : ctx.h) fn(word);
  fn(ctx.Nl);
  fn(ctx.Nh);
  for (auto& word : ctx.data) fn(word);
  fn(ctx.num);
  fn(ctx.md_len);
}

}  // namespace

std::string Sha256::SaveState() const {
  std::string out;
  out.reserve(kStateWords * 4);
  ForEachStateWord(state_->ctx, [&](uint32_t word) {
    for (int i = 0; i < 4; ++i)
      out.push_back(static_cast<char>(word >> (8 * i)));
  });
  return out;
}

bool Sha256::RestoreState(absl::string_view state) {
  if (state.size() != kStateWords * 4) return false;
  SHA256_CTX ctx;
  size_t at = 0;
  ForEachStateWord(ctx, [&](auto& word) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      value |= static_cast<uint32_t>(static_cast<unsigned char>(state[at++]))
               << (8 * i);
    }
    word = value;
  });
  // A state SHA256_Update and SHA256_Final can continue from.
  if (ctx.num >= SHA256_CBLOCK || ctx.md_len != SHA256_DIGEST_LENGTH) {
    return false;
  }
  state_->ctx = ctx;
  return true;
}

}  // namespace sfs
