// The SQLite state store: schema and file mode, what it keeps, the run lock (in this process, in
// another, and after a process dies), refused files, and durability across a SIGKILL.
#include "alemwatch/adapter/state_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class StateDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("alemwatch-state-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    file = dir / "state.db";
  }
  void TearDown() override { fs::remove_all(dir); }

  std::unique_ptr<StateStore> open_ok() {
    auto r = StateStore::open(file);
    if (!r) ADD_FAILURE() << r.error().describe();
    return r ? std::move(*r) : nullptr;
  }

  fs::path dir;
  fs::path file;
};

class StateStoreSchema : public StateDir {};
class StateStoreData : public StateDir {};
class StateStoreLock : public StateDir {};
class StateStoreDurability : public StateDir {};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Direct SQLite access, to look at or forge a state file behind the store's back.
struct RawDb {
  explicit RawDb(const fs::path& p) { sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr); }
  ~RawDb() { sqlite3_close_v2(db); }
  void exec(const char* sql) { ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db); }
  std::string text(const char* sql) {
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      out = t ? t : "";
    }
    sqlite3_finalize(s);
    return out;
  }
  sqlite3* db = nullptr;
};

WrittenIssue issue(std::string server, std::string identifier, bool pending) {
  WrittenIssue w;
  w.server = std::move(server);
  w.identifier = std::move(identifier);
  w.resource_id = pending ? "" : "di-17";
  w.version_id = pending ? "" : "3";
  w.content_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  w.status = "preliminary";
  w.pending = pending;
  w.updated_at = "2026-01-02T03:04:05Z";
  return w;
}

// A pipe that a forked child uses to say it has done its part.
struct Pipe {
  Pipe() { EXPECT_EQ(::pipe(fd), 0); }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void signal() {
    const char c = 'x';
    [[maybe_unused]] ssize_t n = ::write(fd[1], &c, 1);
  }
  bool wait() {  // true when the child signalled, false when it exited first
    ::close(fd[1]);
    fd[1] = -1;
    char c;
    return ::read(fd[0], &c, 1) == 1;
  }
  int fd[2] = {-1, -1};
};

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// --- schema and files -------------------------------------------------------------------------

TEST_F(StateStoreSchema, ANewFileIsCreatedAtTheCurrentSchemaVersionWithOwnerOnlyPermissions) {
  auto store = open_ok();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->stored_schema_version(), 2);
  EXPECT_EQ(StateStore::schema_version, 2);
  store->set_watermark("https://fhir.example/r4", "Observation", "2026-01-01T00:00:00Z");

  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(fs::path(file) += ".lock"), 0600u);
  EXPECT_EQ(mode_of(fs::path(file) += "-wal"), 0600u) << "the WAL holds the same identifiers";

  RawDb raw(file);
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.text("PRAGMA user_version"), "2");
  EXPECT_EQ(raw.text("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' "
                     "ORDER BY name)"),
            "dirty_patients,patient_resources,runs,watermarks,written_issues");
}

TEST_F(StateStoreSchema, AVersionOneFileIsMigratedKeepingWhatItHeld) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    const char* v1 =
        "PRAGMA application_id = 1097616727;"
        "CREATE TABLE written_issues (server TEXT NOT NULL, identifier TEXT NOT NULL, resource_id TEXT NOT NULL DEFAULT '',"
        " version_id TEXT NOT NULL DEFAULT '', content_hash TEXT NOT NULL, status TEXT NOT NULL,"
        " pending INTEGER NOT NULL CHECK (pending IN (0, 1)), updated_at TEXT NOT NULL, PRIMARY KEY (server, identifier));"
        "CREATE TABLE watermarks (server TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (server, key));"
        "CREATE TABLE dirty_patients (server TEXT NOT NULL, patient_id TEXT NOT NULL, PRIMARY KEY (server, patient_id));"
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, base_url TEXT NOT NULL,"
        " exit_code INTEGER, summary_json TEXT);"
        "INSERT INTO written_issues VALUES ('s', 'p1/itp/2026-01-01', 'di-1', '3', 'abc', 'preliminary', 0, 'now');"
        "PRAGMA user_version = 1;";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = open_ok();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->stored_schema_version(), 2);
  const auto kept = store->written("s", "p1/itp/2026-01-01");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->version_id, "3");
  EXPECT_EQ(kept->pending_hash, "");
  store->replace_patient_resources("s", "p1", {{"Observation", "o1", "{}"}});
  EXPECT_EQ(store->cached_patients("s"), std::vector<std::string>{"p1"});
}

TEST_F(StateStoreSchema, AMissingDirectoryIsAClearErrorNamingTheFile) {
  const fs::path missing = dir / "no-such-dir" / "state.db";
  auto r = StateStore::open(missing);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().locked);
  EXPECT_EQ(r.error().file, missing.string());
  EXPECT_NE(r.error().describe().find(missing.string()), std::string::npos) << r.error().describe();
  EXPECT_NE(r.error().reason.find("does not exist"), std::string::npos) << r.error().reason;
  EXPECT_FALSE(fs::exists(missing.parent_path())) << "the directory is not created";
}

TEST_F(StateStoreSchema, AFileFromANewerSchemaIsRefusedAndLeftAlone) {
  { ASSERT_TRUE(open_ok()); }
  { RawDb(file).exec("PRAGMA user_version = 3"); }

  auto r = StateStore::open(file);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().locked);
  EXPECT_EQ(r.error().reason, "state file schema 3 is newer than this alemwatch (2): upgrade alemwatch");
  EXPECT_EQ(RawDb(file).text("PRAGMA user_version"), "3");
}

TEST_F(StateStoreSchema, AFileThatIsNotASQLiteDatabaseIsRefusedAndLeftAlone) {
  const std::string garbage =
      "{\"resourceType\": \"Bundle\", \"note\": \"this is JSON, not a SQLite database, and it is long enough to "
      "cover the whole 100-byte SQLite header\"}\n";
  std::ofstream(file, std::ios::binary) << garbage;

  auto r = StateStore::open(file);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().locked);
  EXPECT_EQ(r.error().file, file.string());
  EXPECT_NE(r.error().reason.find("not a SQLite database"), std::string::npos) << r.error().reason;
  EXPECT_EQ(slurp(file), garbage);
  EXPECT_FALSE(fs::exists(fs::path(file) += "-wal"));
}

TEST_F(StateStoreSchema, ASQLiteDatabaseOfAnotherApplicationIsRefused) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE contacts (name TEXT)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  auto r = StateStore::open(file);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().reason.find("not an alemwatch state file"), std::string::npos) << r.error().reason;
  EXPECT_EQ(RawDb(file).text("PRAGMA user_version"), "0");
}

// --- what it keeps ----------------------------------------------------------------------------

TEST_F(StateStoreData, ReopeningKeepsWhatWasStored) {
  {
    auto store = open_ok();
    ASSERT_TRUE(store);
    store->record(issue("https://a.example", "p1/itp/2025-01-01", false));
    store->set_watermark("https://a.example", "Observation", "2026-01-01T00:00:00Z");
    store->add_dirty_patients("https://a.example", {"p1"});
    store->begin_run("https://a.example", "2026-01-01T00:00:00Z");
  }
  auto store = open_ok();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->stored_schema_version(), StateStore::schema_version);
  EXPECT_TRUE(store->written("https://a.example", "p1/itp/2025-01-01"));
  EXPECT_EQ(store->watermark("https://a.example", "Observation"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(store->dirty_patients("https://a.example"), std::vector<std::string>{"p1"});
  EXPECT_EQ(store->runs().size(), 1u);
}

TEST_F(StateStoreData, ARecordedIssueReadsBackFieldForFieldIncludingThePendingFlag) {
  auto store = open_ok();
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->written("https://a.example", "p1/itp/2025-01-01"));

  const WrittenIssue intent = issue("https://a.example", "p1/itp/2025-01-01", true);
  store->record(intent);
  auto got = store->written("https://a.example", "p1/itp/2025-01-01");
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->pending);
  EXPECT_EQ(got->resource_id, "");
  EXPECT_EQ(got->content_hash, intent.content_hash);

  WrittenIssue confirmed = issue("https://a.example", "p1/itp/2025-01-01", false);
  confirmed.status = "entered-in-error";
  confirmed.updated_at = "2026-01-02T03:05:00Z";
  store->record(confirmed);
  got = store->written("https://a.example", "p1/itp/2025-01-01");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->server, confirmed.server);
  EXPECT_EQ(got->identifier, confirmed.identifier);
  EXPECT_EQ(got->resource_id, "di-17");
  EXPECT_EQ(got->version_id, "3");
  EXPECT_EQ(got->content_hash, confirmed.content_hash);
  EXPECT_EQ(got->status, "entered-in-error");
  EXPECT_FALSE(got->pending);
  EXPECT_EQ(got->updated_at, "2026-01-02T03:05:00Z");
  EXPECT_EQ(store->all_written("https://a.example").size(), 1u) << "the row is replaced, not added";
}

TEST_F(StateStoreData, ValuesThatLookLikeSqlAreStoredVerbatim) {
  auto store = open_ok();
  ASSERT_TRUE(store);
  const std::string nasty = "x'); DROP TABLE written_issues; --";
  store->record(issue(nasty, nasty, true));
  store->set_watermark(nasty, nasty, nasty);
  ASSERT_TRUE(store->written(nasty, nasty));
  EXPECT_EQ(store->written(nasty, nasty)->identifier, nasty);
  EXPECT_EQ(store->watermark(nasty, nasty), nasty);
}

TEST_F(StateStoreData, AllWrittenListsOnlyTheGivenServersIssues) {
  auto store = open_ok();
  ASSERT_TRUE(store);
  store->record(issue("https://a.example", "p2/itp/2025-02-01", false));
  store->record(issue("https://a.example", "p1/itp/2025-01-01", true));
  store->record(issue("https://b.example", "p1/itp/2025-01-01", false));

  const auto a = store->all_written("https://a.example");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].identifier, "p1/itp/2025-01-01");
  EXPECT_TRUE(a[0].pending);
  EXPECT_EQ(a[1].identifier, "p2/itp/2025-02-01");
  for (const auto& w : a) EXPECT_EQ(w.server, "https://a.example");
  EXPECT_EQ(store->all_written("https://b.example").size(), 1u);
  EXPECT_TRUE(store->all_written("https://c.example").empty());
}

TEST_F(StateStoreData, WatermarksAreKeptPerServerAndKey) {
  auto store = open_ok();
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->watermark("https://a.example", "Observation"));
  store->set_watermark("https://a.example", "Observation", "2026-01-01T00:00:00Z");
  store->set_watermark("https://a.example", "MedicationAdministration", "2026-01-02T00:00:00Z");
  store->set_watermark("https://b.example", "Observation", "2026-01-03T00:00:00Z");
  store->set_watermark("https://a.example", "Observation", "2026-01-04T00:00:00Z");

  EXPECT_EQ(store->watermark("https://a.example", "Observation"), "2026-01-04T00:00:00Z");
  EXPECT_EQ(store->watermark("https://a.example", "MedicationAdministration"), "2026-01-02T00:00:00Z");
  EXPECT_EQ(store->watermark("https://b.example", "Observation"), "2026-01-03T00:00:00Z");
  EXPECT_FALSE(store->watermark("https://b.example", "MedicationAdministration"));
}

TEST_F(StateStoreData, DirtyPatientsAreAddedOnceListedAndClearedPerServer) {
  auto store = open_ok();
  ASSERT_TRUE(store);
  store->add_dirty_patients("https://a.example", {"p2", "p1", "p2"});
  store->add_dirty_patients("https://a.example", {"p1", "p3"});
  store->add_dirty_patients("https://b.example", {"p1"});
  store->add_dirty_patients("https://b.example", {});
  EXPECT_EQ(store->dirty_patients("https://a.example"), (std::vector<std::string>{"p1", "p2", "p3"}));
  EXPECT_EQ(store->dirty_patients("https://b.example"), std::vector<std::string>{"p1"});

  store->clear_dirty_patients("https://a.example", {"p1", "p3", "not-dirty"});
  EXPECT_EQ(store->dirty_patients("https://a.example"), std::vector<std::string>{"p2"});
  EXPECT_EQ(store->dirty_patients("https://b.example"), std::vector<std::string>{"p1"}) << "other server untouched";
}

TEST_F(StateStoreData, RunsAreListedNewestFirstWithTheirOutcome) {
  auto store = open_ok();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->runs().empty());
  const auto first = store->begin_run("https://a.example", "2026-01-01T00:00:00Z");
  store->finish_run(first, "2026-01-01T00:01:00Z", 0, R"({"issues":2})");
  const auto second = store->begin_run("https://a.example", "2026-01-02T00:00:00Z");
  store->finish_run(second, "2026-01-02T00:01:00Z", 3, R"({"issues":0})");
  const auto third = store->begin_run("https://b.example", "2026-01-03T00:00:00Z");  // still running
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);

  const auto runs = store->runs();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].id, third);
  EXPECT_EQ(runs[0].base_url, "https://b.example");
  EXPECT_EQ(runs[0].started_at, "2026-01-03T00:00:00Z");
  EXPECT_EQ(runs[0].finished_at, "");
  EXPECT_EQ(runs[0].exit_code, -1);
  EXPECT_EQ(runs[0].summary_json, "");
  EXPECT_EQ(runs[1].id, second);
  EXPECT_EQ(runs[1].exit_code, 3);
  EXPECT_EQ(runs[2].id, first);
  EXPECT_EQ(runs[2].finished_at, "2026-01-01T00:01:00Z");
  EXPECT_EQ(runs[2].exit_code, 0);
  EXPECT_EQ(runs[2].summary_json, R"({"issues":2})");

  const auto newest_two = store->runs(2);
  ASSERT_EQ(newest_two.size(), 2u);
  EXPECT_EQ(newest_two[0].id, third);
  EXPECT_EQ(newest_two[1].id, second);
}

// --- the run lock -----------------------------------------------------------------------------

TEST_F(StateStoreLock, ASecondOpenInTheSameProcessFailsAsLockedNamingTheFile) {
  auto first = open_ok();
  ASSERT_TRUE(first);
  auto second = StateStore::open(file);
  ASSERT_FALSE(second);
  EXPECT_TRUE(second.error().locked);
  EXPECT_EQ(second.error().reason, "another alemwatch run holds the lock on " + file.string() + " (pid " +
                                       std::to_string(::getpid()) + ")");

  first.reset();
  auto third = StateStore::open(file);
  EXPECT_TRUE(third) << third.error().describe();
}

TEST_F(StateStoreLock, ALockHeldByAnotherProcessNamesItsPidAndIsFreedWhenItIsKilled) {
  Pipe ready;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = StateStore::open(file);
    if (!store) ::_exit(1);
    ready.signal();
    for (;;) ::pause();
  }
  ASSERT_TRUE(ready.wait()) << "the child could not open the state file";

  auto blocked = StateStore::open(file);
  ASSERT_FALSE(blocked);
  EXPECT_TRUE(blocked.error().locked);
  EXPECT_EQ(blocked.error().reason, "another alemwatch run holds the lock on " + file.string() + " (pid " +
                                        std::to_string(child) + ")");

  ::kill(child, SIGKILL);
  const int status = wait_for(child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  auto after = StateStore::open(file);
  EXPECT_TRUE(after) << after.error().describe();
}

TEST_F(StateStoreLock, AProcessThatExitsWithoutCleaningUpLeavesNoLockBehind) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = StateStore::open(file);
    if (!store) ::_exit(1);
    (*store)->begin_run("https://a.example", "2026-01-01T00:00:00Z");
    ::_exit(0);  // no destructors
  }
  const int status = wait_for(child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the child could not open the state file";

  auto store = open_ok();
  ASSERT_TRUE(store);
  const auto runs = store->runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].finished_at, "") << "a run that never finished shows as such";
}

// --- durability -------------------------------------------------------------------------------

TEST_F(StateStoreDurability, ARowRecordedByAProcessKilledRightAfterwardsIsThere) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = StateStore::open(file);
    if (!store) ::_exit(1);
    (*store)->record(issue("https://a.example", "p1/itp/2025-01-01", true));
    (*store)->add_dirty_patients("https://a.example", {"p1", "p2"});
    ::kill(::getpid(), SIGKILL);
    ::_exit(2);
  }
  const int status = wait_for(child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child could not open the state file";

  auto store = open_ok();
  ASSERT_TRUE(store);
  const auto got = store->written("https://a.example", "p1/itp/2025-01-01");
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->pending);
  EXPECT_EQ(store->dirty_patients("https://a.example"), (std::vector<std::string>{"p1", "p2"}));
}

}  // namespace
}  // namespace alemwatch::adapter
