#include "remote/function_table.hpp"

#include <elf.h>
#include <link.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mpp/detail/core/throw.hpp"
#include "mpp/errors.hpp"

namespace mpp::detail {
namespace {

struct Code {
  std::uintptr_t begin;
  std::uintptr_t end;
};

struct Module {
  std::uint64_t id = 0;
  std::uintptr_t base = 0;
  std::vector<Code> code;  // its executable segments, absolute addresses
  std::string name;        // file name without the directory, for messages
};

std::uint64_t fnv1a(const void* data, std::size_t size, std::uint64_t hash = 14695981039346656037ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 1099511628211ULL;
  return hash;
}

std::size_t align4(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }

// The GNU build id in the module's notes: the linker's hash of its contents.
bool build_id(const dl_phdr_info& info, std::uint64_t& id) {
  for (int k = 0; k < info.dlpi_phnum; ++k) {
    const ElfW(Phdr)& ph = info.dlpi_phdr[k];
    if (ph.p_type != PT_NOTE) continue;
    const auto* at = reinterpret_cast<const unsigned char*>(info.dlpi_addr + ph.p_vaddr);
    std::size_t left = ph.p_memsz;
    while (left >= sizeof(ElfW(Nhdr))) {
      ElfW(Nhdr) note;
      std::memcpy(&note, at, sizeof(note));
      const std::size_t name = align4(note.n_namesz);
      const std::size_t desc = align4(note.n_descsz);
      if (sizeof(note) + name + desc > left) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(at + sizeof(note), "GNU", 4) == 0) {
        id = fnv1a(at + sizeof(note) + name, note.n_descsz);
        return true;
      }
      at += sizeof(note) + name + desc;
      left -= sizeof(note) + name + desc;
    }
  }
  return false;
}

int add_module(dl_phdr_info* info, std::size_t /*size*/, void* data) {
  auto& modules = *static_cast<std::vector<Module>*>(data);
  Module m;
  m.base = info->dlpi_addr;
  const std::string_view path = info->dlpi_name != nullptr ? info->dlpi_name : "";
  // The main program has an empty name here.
  m.name = path.empty() ? "the main program" : std::string(path.substr(path.rfind('/') + 1));
  if (!build_id(*info, m.id)) m.id = fnv1a(m.name.data(), m.name.size());
  for (int k = 0; k < info->dlpi_phnum; ++k) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[k];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) != 0) {
      m.code.push_back({info->dlpi_addr + ph.p_vaddr, info->dlpi_addr + ph.p_vaddr + ph.p_memsz});
    }
  }
  if (!m.code.empty()) modules.push_back(std::move(m));
  return 0;
}

// The loaded modules, read again only when a lookup misses (a library loaded since).
class ModuleTable {
 public:
  /// Calls `use(module)`, under the lock, with the first module that `match` picks; false when
  /// none does, even after reading the list again.
  void lock() noexcept { mutex_.lock(); }
  void unlock() noexcept { mutex_.unlock(); }

  template <class Match, class Use>
  bool find(const Match& match, const Use& use) {
    std::lock_guard lock(mutex_);
    for (int attempt = 0; attempt < 2; ++attempt) {
      const auto it = std::find_if(modules_.begin(), modules_.end(), match);
      if (it != modules_.end()) {
        use(*it);
        return true;
      }
      if (attempt == 0) {
        modules_.clear();
        dl_iterate_phdr(&add_module, &modules_);
      }
    }
    return false;
  }

 private:
  std::mutex mutex_;
  std::vector<Module> modules_;
};

ModuleTable& table() {
  static ModuleTable t;
  return t;
}

// A process forked while another thread holds the table's lock (an MPI rank's local workers are
// forked while its serving thread decodes) would find it held for ever: fork waits for it.
void lock_table() noexcept { table().lock(); }
void unlock_table() noexcept { table().unlock(); }
[[maybe_unused]] const bool k_table_forks = [] {
  table();
  return ::pthread_atfork(&lock_table, &unlock_table, &unlock_table) == 0;
}();

bool in_code(const Module& m, std::uintptr_t address) noexcept {
  return std::any_of(m.code.begin(), m.code.end(),
                     [&](const Code& c) { return address >= c.begin && address < c.end; });
}

std::string hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof(text), "%#llx", static_cast<unsigned long long>(v));
  return text;
}

// Every chunk of a call names the same functions (the job's entry, the user's function), so each
// thread keeps the last few it encoded and decoded: no lock and no allocation per chunk (they were
// a sixth of tiny tasks' time on spawned workers). A module unloaded and another loaded at its
// place would make a kept name wrong, but then the function pointer being sent dangles already.
struct EncodedEntry {
  std::uintptr_t address = 0;  // 0: none
  std::size_t size = 0;
  std::array<std::byte, 2 * sizeof(std::uint64_t) + sizeof(std::uint16_t) + 255> bytes;

  void put(const void* data, std::size_t n) noexcept {
    std::memcpy(bytes.data() + size, data, n);
    size += n;
  }
};

struct DecodedEntry {
  std::uint64_t id = 0;
  std::uint64_t offset = 0;
  std::uintptr_t address = 0;  // 0: none
};

// The last few of each, replaced in turn.
template <class Entry>
struct Recent {
  std::array<Entry, 4> entries{};
  std::size_t next = 0;

  template <class Same>
  const Entry* find(const Same& same) const noexcept {
    for (const Entry& e : entries) {
      if (e.address != 0 && same(e)) return &e;
    }
    return nullptr;
  }
  Entry& replace() noexcept { return entries[next++ % entries.size()]; }
};

}  // namespace

void ModuleRelocation::encode(ByteBuffer& out, std::uintptr_t address) const {
  thread_local Recent<EncodedEntry> recent;
  const EncodedEntry* known = recent.find([&](const EncodedEntry& e) { return e.address == address; });
  if (known == nullptr) {
    EncodedEntry entry;
    entry.address = address;
    const bool found = table().find(
        [&](const Module& c) { return in_code(c, address); },
        [&](const Module& m) {
          const std::uint64_t offset = address - m.base;
          const auto length = static_cast<std::uint16_t>(std::min<std::size_t>(m.name.size(), 255));
          entry.put(&m.id, sizeof(m.id));
          entry.put(&offset, sizeof(offset));
          entry.put(&length, sizeof(length));
          entry.put(m.name.data(), length);
        });
    if (!found) {
      throw SerializationError(words_.who + ": the function at " + hex(address) +
                               " is not in the code of any loaded module, so " + words_.others +
                               " cannot find it");
    }
    EncodedEntry& slot = recent.replace();
    slot = entry;
    known = &slot;
  }
  append_bytes(out, known->bytes.data(), known->size);
}

std::uintptr_t ModuleRelocation::decode(ByteReader& in) const {
  thread_local Recent<DecodedEntry> recent;
  const auto id = in.read_raw<std::uint64_t>();
  const auto offset = in.read_raw<std::uint64_t>();
  const auto length = in.read_raw<std::uint16_t>();
  const auto name_bytes = in.take(length);
  if (const DecodedEntry* known =
          recent.find([&](const DecodedEntry& e) { return e.id == id && e.offset == offset; })) {
    return known->address;
  }
  const auto name = [&] {
    return std::string(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size());
  };
  std::uintptr_t address = 0;
  bool code = false;
  if (!table().find([&](const Module& c) { return c.id == id; },
                    [&](const Module& m) {
                      address = m.base + offset;
                      code = in_code(m, address);
                    })) {
    throw SerializationError(words_.who + ": " + words_.here + " cannot resolve a function of " + name() +
                             ": that module is not loaded " + words_.where + " (" + words_.hint + ")");
  }
  if (!code || address == 0) {
    throw SerializationError(words_.who + ": " + words_.here + " cannot resolve a function at offset " +
                             hex(offset) + " of " + name() + ": it is not code there (do " + words_.others +
                             " run the same build?)");
  }
  recent.replace() = {id, offset, address};
  return address;
}

}  // namespace mpp::detail
