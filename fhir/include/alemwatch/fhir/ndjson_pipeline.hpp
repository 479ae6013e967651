// Reads an NDJSON file block by block on this thread while worker threads process the blocks,
// and hands each block's result back on this thread in file order. Memory stays bounded: only
// a few blocks are in flight at once, whatever the size of the file.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <utility>
#include <vector>

#include "alemwatch/fhir/ndjson_blocks.hpp"

namespace alemwatch::fhir {

// `work(const NdjsonBlock&, Result&)` runs on the workers, several at once; `merge(const NdjsonBlock&, Result&)`
// runs on the calling thread, once per block, in file order. Results are reused from block to
// block: one with a clear() member is cleared, keeping the memory it holds (a block's result
// can be large, and fresh memory costs page faults), else it is assigned a new Result. Fails only if the file cannot be
// opened or read (what was read before a read error has been merged).
template <class Result, class Work, class Merge>
boost::system::result<void> process_ndjson_in_order(const std::filesystem::path& file, unsigned workers,
                                                    Work&& work, Merge&& merge, std::size_t block_size = 8u << 20) {
  auto reader = NdjsonBlockReader::open(file, block_size);
  if (!reader) return reader.error();
  struct Slot {
    NdjsonBlock block;
    Result result;
    bool done = false;
  };
  workers = std::max(1u, workers);
  const std::size_t max_in_flight = 2 * workers;
  std::mutex mutex;
  std::condition_variable work_ready, slot_done;
  std::queue<Slot*> todo;
  std::deque<std::unique_ptr<Slot>> in_flight;  // file order
  std::vector<std::unique_ptr<Slot>> spare;
  bool closing = false;

  std::vector<std::thread> threads;
  for (unsigned i = 0; i < workers; ++i)
    threads.emplace_back([&] {
      for (;;) {
        Slot* slot = nullptr;
        {
          std::unique_lock lock(mutex);
          work_ready.wait(lock, [&] { return !todo.empty() || closing; });
          if (todo.empty()) return;
          slot = todo.front();
          todo.pop();
        }
        work(std::as_const(slot->block), slot->result);
        {
          std::lock_guard lock(mutex);
          slot->done = true;
        }
        slot_done.notify_one();
      }
    });

  bool end_of_file = false;
  std::unique_lock lock(mutex);
  for (;;) {
    while (!in_flight.empty() && in_flight.front()->done) {
      auto slot = std::move(in_flight.front());
      in_flight.pop_front();
      lock.unlock();
      merge(std::as_const(slot->block), slot->result);
      lock.lock();
      spare.push_back(std::move(slot));
    }
    if (end_of_file && in_flight.empty()) break;
    if (end_of_file || in_flight.size() >= max_in_flight) {
      slot_done.wait(lock, [&] { return in_flight.front()->done; });
      continue;
    }
    std::unique_ptr<Slot> slot;
    if (!spare.empty()) {
      slot = std::move(spare.back());
      spare.pop_back();
    } else {
      slot = std::make_unique<Slot>();
    }
    lock.unlock();
    if constexpr (requires { slot->result.clear(); })
      slot->result.clear();
    else
      slot->result = Result{};
    slot->done = false;
    const bool more = reader->next(slot->block);
    lock.lock();
    if (!more) {
      end_of_file = true;
      continue;
    }
    todo.push(slot.get());
    in_flight.push_back(std::move(slot));
    work_ready.notify_one();
  }
  closing = true;
  lock.unlock();
  work_ready.notify_all();
  for (auto& t : threads) t.join();
  if (reader->error()) return reader->error();
  return {};
}

}  // namespace alemwatch::fhir
