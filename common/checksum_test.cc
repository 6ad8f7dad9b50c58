#include "common/checksum.h"

#include <string>

#include "gtest/gtest.h"

namespace sfs {
namespace {

TEST(Crc32cTest, KnownValues) {
  // RFC 3720 B.4 test vectors.
  EXPECT_EQ(ComputeCrc32c(std::string(32, '\0')), 0x8a9136aaU);
  EXPECT_EQ(ComputeCrc32c(std::string(32, '\xff')), 0x62a8ab43U);
  EXPECT_EQ(ComputeCrc32c("123456789"), 0xe3069283U);
}

TEST(Crc32cTest, StreamingEqualsOneShot) {
  std::string data(100000, 'q');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  Crc32c crc;
  crc.Update(absl::string_view(data).substr(0, 12345));
  crc.Update(absl::string_view(data).substr(12345));
  EXPECT_EQ(crc.Finish(), ComputeCrc32c(data));
}

TEST(Crc32cTest, InstructionAndPortablePathsAgree) {
  std::string data(100003, '\0');
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 131 + 7);
  // Unaligned starts and odd lengths exercise the byte-wise edges.
  for (size_t start : {0, 1, 5, 8, 13}) {
    for (size_t length : {0, 1, 7, 8, 9, 4096, 99990}) {
      absl::string_view piece = absl::string_view(data).substr(start, length);
      EXPECT_EQ(ComputeCrc32c(piece), internal::PortableCrc32c(piece))
          << start << "+" << length;
    }
  }
  EXPECT_EQ(internal::PortableCrc32c("123456789"), 0xe3069283U);
}

// Inputs of three lanes (4 KiB each) and more are checksummed three lanes
// at a time: every length around those edges, from every alignment, and
// fed in pieces, agrees with the byte-wise portable path.
TEST(Crc32cTest, InterleavedLanesAgreeWithThePortablePath) {
  std::string data(5 * 12288 + 128, '\0');
  uint32_t x = 12345;
  for (char& c : data) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  for (size_t start : {0, 3, 8}) {
    for (size_t length :
         {12287, 12288, 12289, 12295, 24576, 24583, 61440, 5 * 12288 + 61}) {
      absl::string_view piece = absl::string_view(data).substr(start, length);
      EXPECT_EQ(ComputeCrc32c(piece), internal::PortableCrc32c(piece))
          << start << "+" << length;
      Crc32c pieces;
      pieces.Update(piece.substr(0, 5000));
      pieces.Update(piece.substr(5000));
      EXPECT_EQ(pieces.Finish(), internal::PortableCrc32c(piece))
          << start << "+" << length << " in two pieces";
    }
  }
}

TEST(Sha256Test, KnownValues) {
  Sha256 empty;
  EXPECT_EQ(empty.FinishHex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.Update("a");
  abc.Update("bc");
  EXPECT_EQ(abc.FinishHex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A state saved mid-stream, at every offset within a block, goes on in
// another hasher to the same digest.
TEST(Sha256Test, SavedStateContinuesElsewhere) {
  std::string data(300, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  Sha256 whole;
  whole.Update(data);
  const std::string expected = whole.FinishHex();
  for (size_t cut = 0; cut <= 130; ++cut) {
    Sha256 first;
    first.Update(absl::string_view(data).substr(0, cut));
    Sha256 second;
    second.Update("something else entirely");
    ASSERT_TRUE(second.RestoreState(first.SaveState())) << cut;
    second.Update(absl::string_view(data).substr(cut));
    EXPECT_EQ(second.FinishHex(), expected) << cut;
  }
  Sha256 hasher;
  EXPECT_FALSE(hasher.RestoreState("short"));
  std::string bad = Sha256().SaveState();
  bad[bad.size() - 8] = static_cast<char>(64);  // num beyond a block
  EXPECT_FALSE(hasher.RestoreState(bad));
}

}  // namespace
}  // namespace sfs
