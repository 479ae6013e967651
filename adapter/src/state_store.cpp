// The sync state in SQLite (plain C API). See state_store.hpp for the contract.
//
// Error policy: open() reports every problem it can foresee (missing directory, lock held, not a
// database, schema too new, migration failure) as a StateError. After a successful open, a failing
// SQLite call means the disk is full, the file system failed or the file was damaged under us: the
// accessors then throw std::runtime_error carrying the SQLite message, and callers treat that as
// fatal for the run. Nothing is ever left half-written: each mutating call is one transaction,
// committed before it returns.
#include "alemwatch/adapter/state_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;

// "AlMW": marks a SQLite file as an alemwatch state file (PRAGMA application_id).
constexpr std::int32_t application_id = 0x416C4D57;

// The schema, one step per version: step i (1-based) brings a file from version i-1 to version i.
// Each step runs in its own transaction together with the bump of PRAGMA user_version. Never edit
// a released step; append a new one and raise StateStore::schema_version.
constexpr std::string_view migrations[] = {
    // 1: the initial schema.
    R"sql(
      CREATE TABLE written_issues (
        server       TEXT NOT NULL,
        identifier   TEXT NOT NULL,
        resource_id  TEXT NOT NULL DEFAULT '',
        version_id   TEXT NOT NULL DEFAULT '',
        content_hash TEXT NOT NULL,
        status       TEXT NOT NULL,
        pending      INTEGER NOT NULL CHECK (pending IN (0, 1)),
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (server, identifier)
      );
      CREATE TABLE watermarks (
        server TEXT NOT NULL,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (server, key)
      );
      CREATE TABLE dirty_patients (
        server     TEXT NOT NULL,
        patient_id TEXT NOT NULL,
        PRIMARY KEY (server, patient_id)
      );
      CREATE TABLE runs (
        id           INTEGER PRIMARY KEY,
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        base_url     TEXT NOT NULL,
        exit_code    INTEGER,
        summary_json TEXT
      );
    )sql",
    // 2: the hash a pending write carries, and the resources last pulled per exposed patient.
    R"sql(
      ALTER TABLE written_issues ADD COLUMN pending_hash TEXT NOT NULL DEFAULT '';
      CREATE TABLE patient_resources (
        server        TEXT NOT NULL,
        patient_id    TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id   TEXT NOT NULL,
        json          TEXT NOT NULL
      );
      CREATE INDEX patient_resources_by_patient ON patient_resources (server, patient_id);
    )sql",
};
static_assert(std::size(migrations) == StateStore::schema_version, "one migration step per schema version");

// --- RAII -------------------------------------------------------------------------------------

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A failed SQLite call after open: the run cannot go on (see the error policy above).
struct SqliteError : std::runtime_error {
  SqliteError(int rc, const std::string& what) : std::runtime_error(what), code(rc) {}
  int code;
};

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// A prepared statement with positional binds and typed column reads.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    stmt_.reset(raw);
    if (rc != SQLITE_OK) fail("prepare", rc, sql);
  }

  Stmt& bind(int i, std::string_view text) {
    check(sqlite3_bind_text64(stmt_.get(), i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "bind");
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(stmt_.get(), i, v), "bind");
    return *this;
  }

  // Steps once: true while a row is available, false when done.
  bool step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step", rc);
  }
  // Steps to the end, then resets (keeping nothing bound) so the statement can run again.
  void run() {
    while (step()) {
    }
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
  }

  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
    if (!p) return {};
    return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), col)));
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }

 private:
  void check(int rc, const char* what) {
    if (rc != SQLITE_OK) fail(what, rc);
  }
  [[noreturn]] void fail(const char* what, int rc, std::string_view sql = {}) const {
    if (stmt_) sql = sqlite3_sql(stmt_.get());
    throw SqliteError(rc, fmt::format("state file {}: {} failed: {} (in: {})", sqlite3_db_filename(db_, "main"), what,
                                      sqlite3_errmsg(db_), sql));
  }

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt_;
};

// Statements without parameters (transaction control, DDL from this file).
void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw SqliteError(rc, fmt::format("state file {}: {}", sqlite3_db_filename(db, "main"), msg));
  }
}

// BEGIN IMMEDIATE ... COMMIT; rolls back when left without commit() (an exception on the way).
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { exec(db_, "BEGIN IMMEDIATE"); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (!committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, "COMMIT");
    committed_ = true;
  }

 private:
  sqlite3* db_;
  bool committed_ = false;
};

int pragma_int(sqlite3* db, const char* sql) {
  Stmt s(db, sql);
  return s.step() ? static_cast<int>(s.int64(0)) : 0;
}

std::string errno_text(int err) { return std::system_category().message(err); }

// --- the lock ---------------------------------------------------------------------------------

std::string read_small_file(int fd) {
  char buf[64];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return {};
  std::string s(buf, static_cast<std::size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Opens `<file>.lock` (0600) and takes an exclusive flock without waiting. flock locks belong to
// the open file description, so a second StateStore in this process conflicts like another process
// does, and the kernel drops the lock when the process dies, however it dies.
boost::system::result<Fd, StateError> take_lock(const fs::path& file) {
  const fs::path lock_path = fs::path(file) += ".lock";
  Fd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd) {
    ::fchmod(fd.get(), 0600);  // whatever the umask
  } else if (errno == EEXIST) {
    fd = Fd(::open(lock_path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  }
  if (!fd)
    return StateError{file.string(), fmt::format("cannot open the lock file {}: {}", lock_path.string(),
                                                 errno_text(errno))};
  int rc;
  do rc = ::flock(fd.get(), LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EWOULDBLOCK) {
      std::string pid = read_small_file(fd.get());
      if (pid.empty()) pid = "unknown";
      return StateError{file.string(),
                        fmt::format("another alemwatch run holds the lock on {} (pid {})", file.string(), pid), true};
    }
    return StateError{file.string(), fmt::format("cannot lock {}: {}", lock_path.string(), errno_text(errno))};
  }
  // Ours now: leave our pid for whoever finds the lock taken. Best effort; the lock is what counts.
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd.get(), 0) == 0) {
    [[maybe_unused]] const ssize_t n = ::pwrite(fd.get(), pid.data(), pid.size(), 0);
  }
  return fd;
}

// --- opening the database ---------------------------------------------------------------------

// A new state file is created empty with mode 0600 before SQLite opens it (an empty file is a
// valid empty database); SQLite gives the -wal and -shm files the mode of the database file.
std::optional<std::string> create_private_file(const fs::path& file) {
  Fd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd) {
    ::fchmod(fd.get(), 0600);
    return std::nullopt;
  }
  if (errno == EEXIST) return std::nullopt;
  return fmt::format("cannot create the state file: {}", errno_text(errno));
}

std::optional<std::string> configure_and_migrate(sqlite3* db) {
  // A garbage file opens fine; the first read of its header is where it fails. Check before any
  // pragma that could write (journal_mode=WAL would create a -wal beside someone else's file).
  int app_id = 0;
  int objects = 0;
  try {
    app_id = pragma_int(db, "PRAGMA application_id");
    objects = pragma_int(db, "SELECT count(*) FROM sqlite_schema");
  } catch (const SqliteError& e) {
    const int primary = e.code & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
      return std::string("not an alemwatch state file: not a SQLite database");
    return fmt::format("cannot read the state file: {}", e.what());
  }
  if (app_id != application_id && (app_id != 0 || objects != 0))
    return std::string("not an alemwatch state file: a SQLite database of another application");

  try {
    {
      Stmt s(db, "PRAGMA journal_mode=WAL");
      const std::string mode = s.step() ? s.text(0) : std::string();
      if (mode != "wal") return fmt::format("cannot switch the state file to WAL (journal mode is '{}')", mode);
    }
    exec(db, "PRAGMA synchronous=FULL");
    exec(db, "PRAGMA foreign_keys=ON");

    for (;;) {
      Transaction tx(db);
      const int version = pragma_int(db, "PRAGMA user_version");
      if (version > StateStore::schema_version)
        return fmt::format("state file schema {} is newer than this alemwatch ({}): upgrade alemwatch", version,
                           StateStore::schema_version);
      if (version < 0) return fmt::format("state file schema {} is invalid", version);
      if (version == StateStore::schema_version) {
        tx.commit();
        break;
      }
      exec(db, std::string(migrations[version]).c_str());
      // PRAGMAs take no bound parameters; both values are constants of this program.
      exec(db, fmt::format("PRAGMA user_version = {}", version + 1).c_str());
      if (version == 0) exec(db, fmt::format("PRAGMA application_id = {}", application_id).c_str());
      tx.commit();
    }
  } catch (const std::runtime_error& e) {
    return fmt::format("cannot prepare the state file: {}", e.what());
  }
  return std::nullopt;
}

}  // namespace

struct StateStore::Impl {
  fs::path file;
  Fd lock;  // declared before db: the database is closed before the lock is released
  Db db;
};

StateStore::StateStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StateStore::~StateStore() = default;

boost::system::result<std::unique_ptr<StateStore>, StateError> StateStore::open(const fs::path& file) {
  const auto fail = [&](std::string reason) { return StateError{file.string(), std::move(reason)}; };

  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail(fmt::format("the directory {} does not exist", dir.string()));
  if (fs::is_directory(file, ec)) return fail("is a directory, not a state file");

  auto impl = std::make_unique<Impl>();
  impl->file = file;
  auto lock = take_lock(file);
  if (!lock) return lock.error();
  impl->lock = std::move(*lock);

  if (auto err = create_private_file(file)) return fail(*err);

  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, nullptr);
  impl->db.reset(raw);
  if (rc != SQLITE_OK)
    return fail(fmt::format("cannot open the state file: {}", raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  if (sqlite3_db_readonly(raw, "main") == 1) return fail("the state file is read-only");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);

  if (auto err = configure_and_migrate(raw)) return fail(*err);
  return std::unique_ptr<StateStore>(new StateStore(std::move(impl)));
}

boost::system::result<std::unique_ptr<StateStore>, StateError> StateStore::open_read_only(const fs::path& file) {
  const auto fail = [&](std::string reason) { return StateError{file.string(), std::move(reason)}; };
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return fail("no such state file");
  auto impl = std::make_unique<Impl>();
  impl->file = file;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, nullptr);
  impl->db.reset(raw);
  if (rc != SQLITE_OK)
    return fail(fmt::format("cannot open the state file: {}", raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  try {
    if (pragma_int(raw, "PRAGMA application_id") != application_id)
      return fail("not an alemwatch state file");
    if (const int v = pragma_int(raw, "PRAGMA user_version"); v != schema_version)
      return fail(fmt::format("state file schema {} is not this alemwatch's ({}): run alemwatch sync first", v,
                              schema_version));
  } catch (const SqliteError& e) {
    return fail(fmt::format("cannot read the state file: {}", e.what()));
  }
  return std::unique_ptr<StateStore>(new StateStore(std::move(impl)));
}

int StateStore::stored_schema_version() const { return pragma_int(impl_->db.get(), "PRAGMA user_version"); }

std::optional<std::string> StateStore::watermark(const std::string& server, const std::string& key) const {
  Stmt s(impl_->db.get(), "SELECT value FROM watermarks WHERE server = ?1 AND key = ?2");
  s.bind(1, server).bind(2, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void StateStore::set_watermark(const std::string& server, const std::string& key, const std::string& value) {
  Stmt s(impl_->db.get(),
         "INSERT INTO watermarks (server, key, value) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (server, key) DO UPDATE SET value = excluded.value");
  s.bind(1, server).bind(2, key).bind(3, value).run();  // autocommit: durable on return
}

namespace {

constexpr const char* written_columns =
    "SELECT server, identifier, resource_id, version_id, content_hash, status, pending, updated_at, pending_hash "
    "FROM written_issues ";

WrittenIssue written_row(const Stmt& s) {
  WrittenIssue w;
  w.server = s.text(0);
  w.identifier = s.text(1);
  w.resource_id = s.text(2);
  w.version_id = s.text(3);
  w.content_hash = s.text(4);
  w.status = s.text(5);
  w.pending = s.int64(6) != 0;
  w.updated_at = s.text(7);
  w.pending_hash = s.text(8);
  return w;
}

}  // namespace

std::optional<WrittenIssue> StateStore::written(const std::string& server, const std::string& identifier) const {
  Stmt s(impl_->db.get(), std::string(written_columns) + "WHERE server = ?1 AND identifier = ?2");
  s.bind(1, server).bind(2, identifier);
  if (!s.step()) return std::nullopt;
  return written_row(s);
}

std::vector<WrittenIssue> StateStore::all_written(const std::string& server) const {
  Stmt s(impl_->db.get(), std::string(written_columns) + "WHERE server = ?1 ORDER BY identifier");
  s.bind(1, server);
  std::vector<WrittenIssue> out;
  while (s.step()) out.push_back(written_row(s));
  return out;
}

void StateStore::record(const WrittenIssue& issue) {
  Stmt s(impl_->db.get(),
         "INSERT OR REPLACE INTO written_issues "
         "(server, identifier, resource_id, version_id, content_hash, status, pending, updated_at, pending_hash) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  s.bind(1, issue.server)
      .bind(2, issue.identifier)
      .bind(3, issue.resource_id)
      .bind(4, issue.version_id)
      .bind(5, issue.content_hash)
      .bind(6, issue.status)
      .bind(7, std::int64_t{issue.pending ? 1 : 0})
      .bind(8, issue.updated_at)
      .bind(9, issue.pending_hash)
      .run();
}

void StateStore::add_dirty_patients(const std::string& server, const std::vector<std::string>& patient_ids) {
  if (patient_ids.empty()) return;
  Transaction tx(impl_->db.get());
  Stmt s(impl_->db.get(), "INSERT OR IGNORE INTO dirty_patients (server, patient_id) VALUES (?1, ?2)");
  for (const auto& id : patient_ids) s.bind(1, server).bind(2, id).run();
  tx.commit();
}

std::vector<std::string> StateStore::dirty_patients(const std::string& server) const {
  Stmt s(impl_->db.get(), "SELECT patient_id FROM dirty_patients WHERE server = ?1 ORDER BY patient_id");
  s.bind(1, server);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void StateStore::clear_dirty_patients(const std::string& server, const std::vector<std::string>& patient_ids) {
  if (patient_ids.empty()) return;
  Transaction tx(impl_->db.get());
  Stmt s(impl_->db.get(), "DELETE FROM dirty_patients WHERE server = ?1 AND patient_id = ?2");
  for (const auto& id : patient_ids) s.bind(1, server).bind(2, id).run();
  tx.commit();
}

void StateStore::replace_patient_resources(const std::string& server, const std::string& patient_id,
                                           const std::vector<CachedResource>& resources) {
  Transaction tx(impl_->db.get());
  Stmt del(impl_->db.get(), "DELETE FROM patient_resources WHERE server = ?1 AND patient_id = ?2");
  del.bind(1, server).bind(2, patient_id).run();
  Stmt ins(impl_->db.get(),
           "INSERT INTO patient_resources (server, patient_id, resource_type, resource_id, json) VALUES (?1, ?2, ?3, ?4, ?5)");
  for (const auto& r : resources) ins.bind(1, server).bind(2, patient_id).bind(3, r.type).bind(4, r.id).bind(5, r.json).run();
  // A patient without any resource is still known: an empty marker row keeps them listed.
  if (resources.empty())
    ins.bind(1, server).bind(2, patient_id).bind(3, std::string()).bind(4, std::string()).bind(5, std::string()).run();
  tx.commit();
}

void StateStore::remove_patient(const std::string& server, const std::string& patient_id) {
  Stmt s(impl_->db.get(), "DELETE FROM patient_resources WHERE server = ?1 AND patient_id = ?2");
  s.bind(1, server).bind(2, patient_id).run();
}

std::vector<std::string> StateStore::cached_patients(const std::string& server) const {
  Stmt s(impl_->db.get(), "SELECT DISTINCT patient_id FROM patient_resources WHERE server = ?1 ORDER BY patient_id");
  s.bind(1, server);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::vector<std::string> StateStore::cached_servers() const {
  Stmt s(impl_->db.get(), "SELECT DISTINCT server FROM patient_resources ORDER BY server");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::vector<StateStore::CachedResource> StateStore::patient_resources(const std::string& server,
                                                                     const std::string& patient_id) const {
  Stmt s(impl_->db.get(),
         "SELECT resource_type, resource_id, json FROM patient_resources "
         "WHERE server = ?1 AND patient_id = ?2 AND resource_type <> '' ORDER BY rowid");
  s.bind(1, server).bind(2, patient_id);
  std::vector<CachedResource> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2)});
  return out;
}

std::int64_t StateStore::begin_run(const std::string& base_url, const std::string& started_at) {
  Stmt s(impl_->db.get(), "INSERT INTO runs (started_at, base_url) VALUES (?1, ?2) RETURNING id");
  s.bind(1, started_at).bind(2, base_url);
  if (!s.step()) throw std::runtime_error(fmt::format("state file {}: no run id returned", impl_->file.string()));
  const std::int64_t id = s.int64(0);
  s.run();  // finish the statement: the insert commits when it completes
  return id;
}

// An unknown run id changes nothing (there is no row to finish).
void StateStore::finish_run(std::int64_t run, const std::string& finished_at, int exit_code,
                            const std::string& summary_json) {
  Stmt s(impl_->db.get(), "UPDATE runs SET finished_at = ?2, exit_code = ?3, summary_json = ?4 WHERE id = ?1");
  s.bind(1, run).bind(2, finished_at).bind(3, std::int64_t{exit_code}).bind(4, summary_json).run();
}

std::vector<RunRecord> StateStore::runs(std::size_t limit) const {
  Stmt s(impl_->db.get(),
         "SELECT id, started_at, finished_at, base_url, exit_code, summary_json FROM runs ORDER BY id DESC LIMIT ?1");
  s.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
  std::vector<RunRecord> out;
  while (s.step()) {
    RunRecord r;
    r.id = s.int64(0);
    r.started_at = s.text(1);
    r.finished_at = s.text(2);
    r.base_url = s.text(3);
    r.exit_code = s.is_null(4) ? -1 : static_cast<int>(s.int64(4));
    r.summary_json = s.text(5);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace alemwatch::adapter
