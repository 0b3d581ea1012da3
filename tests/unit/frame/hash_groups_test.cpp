// The hash table of Frame's key work (src/frame/hash_groups.hpp): groups numbered in the order
// they first come, equal hashes told apart by the caller's comparison, every group kept as the
// table grows.
#include "frame/hash_groups.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using mpp::detail::HashGroups;

TEST(HashGroups, AnEmptyTableFindsNothing) {
  const HashGroups table;
  EXPECT_EQ(table.size(), 0U);
  EXPECT_EQ(table.find(42, [](std::uint64_t) { return true; }), HashGroups::k_none);
}

TEST(HashGroups, NumbersKeysInTheOrderTheyFirstCome) {
  std::vector<std::string> keys;  // per group
  HashGroups table;
  auto insert = [&](const std::string& key, std::uint64_t hash) {
    const auto [g, added] = table.insert(hash, [&](std::uint64_t k) { return keys[k] == key; });
    if (added) keys.push_back(key);
    return std::pair{g, added};
  };
  EXPECT_EQ(insert("b", 7), (std::pair<std::uint64_t, bool>{0, true}));
  EXPECT_EQ(insert("a", 3), (std::pair<std::uint64_t, bool>{1, true}));
  EXPECT_EQ(insert("b", 7), (std::pair<std::uint64_t, bool>{0, false}));
  EXPECT_EQ(table.size(), 2U);
}

// Every key hashes alike: only the comparison tells them apart, and none is lost or merged.
TEST(HashGroups, KeysOfOneHashStayApart) {
  std::vector<int> keys;
  HashGroups table;
  for (int round = 0; round < 2; ++round) {
    for (int key = 0; key < 200; ++key) {
      const auto [g, added] = table.insert(99, [&](std::uint64_t k) { return keys[k] == key; });
      EXPECT_EQ(added, round == 0);
      EXPECT_EQ(g, static_cast<std::uint64_t>(key));
      if (added) keys.push_back(key);
    }
  }
  EXPECT_EQ(table.size(), 200U);
  EXPECT_EQ(table.find(99, [&](std::uint64_t k) { return keys[k] == 150; }), 150U);
  EXPECT_EQ(table.find(99, [&](std::uint64_t k) { return keys[k] == 200; }), HashGroups::k_none);
}

// Grown many times over from a small start, and from a reserved size: every group is found again,
// hashes that differ only in their high bits included (they share the low bits that pick a slot).
TEST(HashGroups, FindsEveryGroupAfterGrowing) {
  for (const std::size_t reserved : {std::size_t{0}, std::size_t{100000}}) {
    HashGroups table(reserved);
    std::vector<std::uint64_t> hashes;
    for (std::uint64_t i = 0; i < 100000; ++i) {
      const std::uint64_t h = i % 2 == 0 ? i : i << 40U;
      const auto [g, added] = table.insert(h, [&](std::uint64_t k) { return hashes[k] == h; });
      ASSERT_TRUE(added);
      ASSERT_EQ(g, i);
      hashes.push_back(h);
    }
    for (std::uint64_t i = 0; i < hashes.size(); ++i) {
      const std::uint64_t h = hashes[i];
      ASSERT_EQ(table.find(h, [&](std::uint64_t k) { return hashes[k] == h; }), i);
    }
    EXPECT_EQ(table.size(), 100000U);
  }
}

}  // namespace
