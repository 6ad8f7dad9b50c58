#include "sfs-frontend/catalog/postgres_catalog.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "sfs-frontend/catalog/names.h"
#include "sfs-frontend/catalog/postgres_schema.h"
#include "sfs-frontend/catalog/record_json.h"
#include "sfs-frontend/catalog/record_rules.h"

namespace sfs::frontend {
namespace {

constexpr char kProgressChannel[] = "sfs_progress";

// Column lists in the order the *FromRow decoders and *Params read/write.
constexpr char kNamespaceColumns[] =
    "name, owner_id, visibility, hidden, max_file_bytes, allowed_mime_types, "
    "quota_bytes, retention_days, keep_versions, created_at";
constexpr char kUserColumns[] = "username, password_hash, is_admin, created_at";
constexpr char kTokenColumns[] =
    "id, username, scopes, secret_hash, expires_at, created_at";
// The secret is bytea, written in its \x hex input format and read through
// encode(secret, 'hex'), so that the text protocol carries any bytes.
constexpr char kSigningKeyColumns[] = "id, secret, created_at";

// Reads one result row's columns left to right, keeping the first error.
class RowReader {
 public:
  RowReader(const PgResult& result, int row) : result_(result), row_(row) {}

  std::string Text() { return result_.Text(row_, column_++); }
  bool Bool() { return Text() == "t"; }
  template <typename T>
  T Int() {
    T value{};
    if (!absl::SimpleAtoi(Text(), &value)) {
      status_.Update(absl::DataLossError(
          absl::StrCat("column ", column_ - 1, " is not an integer")));
    }
    return value;
  }
  template <typename T>
  std::optional<T> OptionalInt() {
    if (result_.IsNull(row_, column_)) {
      ++column_;
      return std::nullopt;
    }
    return Int<T>();
  }
  std::vector<std::string> StringList() {
    absl::StatusOr<std::vector<std::string>> list =
        DecodeJson<std::vector<std::string>>(Text());
    status_.Update(list.status());
    return list.ok() ? *std::move(list) : std::vector<std::string>();
  }
  const absl::Status& status() const { return status_; }

 private:
  const PgResult& result_;
  const int row_;
  int column_ = 0;
  absl::Status status_;
};

template <typename T>
std::optional<std::string> OptionalText(const std::optional<T>& value) {
  if (!value.has_value()) return std::nullopt;
  return std::to_string(*value);
}

std::string BoolText(bool value) { return value ? "true" : "false"; }

absl::StatusOr<NamespaceRecord> NamespaceFromRow(const PgResult& result,
                                                 int row) {
  RowReader in(result, row);
  NamespaceRecord r;
  r.name = in.Text();
  r.owner_id = in.Text();
  r.visibility = static_cast<Visibility>(in.Int<int>());
  r.hidden = in.Bool();
  r.policies.max_file_bytes = in.OptionalInt<int64_t>();
  r.policies.allowed_mime_types = in.StringList();
  r.policies.quota_bytes = in.OptionalInt<int64_t>();
  r.policies.retention_days = in.OptionalInt<int32_t>();
  r.policies.keep_versions = in.OptionalInt<int32_t>();
  r.created_at = in.Int<int64_t>();
  RETURN_IF_ERROR(in.status());
  return r;
}

// Ends with created_at so that UPDATE can use the rest unchanged.
PgParams NamespaceParams(const NamespaceRecord& r) {
  const NamespacePolicies& p = r.policies;
  return {r.name,
          r.owner_id,
          std::to_string(static_cast<int>(r.visibility)),
          BoolText(r.hidden),
          OptionalText(p.max_file_bytes),
          EncodeJson(p.allowed_mime_types),
          OptionalText(p.quota_bytes),
          OptionalText(p.retention_days),
          OptionalText(p.keep_versions),
          std::to_string(r.created_at)};
}

absl::StatusOr<UserRecord> UserFromRow(const PgResult& result, int row) {
  RowReader in(result, row);
  UserRecord u;
  u.username = in.Text();
  u.password_hash = in.Text();
  u.is_admin = in.Bool();
  u.created_at = in.Int<int64_t>();
  RETURN_IF_ERROR(in.status());
  return u;
}

absl::StatusOr<ApiTokenRecord> TokenFromRow(const PgResult& result, int row) {
  RowReader in(result, row);
  ApiTokenRecord t;
  t.id = in.Text();
  t.username = in.Text();
  t.scopes = in.StringList();
  t.secret_hash = in.Text();
  t.expires_at = in.Int<int64_t>();
  t.created_at = in.Int<int64_t>();
  RETURN_IF_ERROR(in.status());
  return t;
}

// Reads "id, encode(secret, 'hex'), created_at".
absl::StatusOr<SigningKeyRecord> SigningKeyFromRow(const PgResult& result,
                                                   int row) {
  RowReader in(result, row);
  SigningKeyRecord k;
  k.id = in.Text();
  k.secret = absl::HexStringToBytes(in.Text());
  k.created_at = in.Int<int64_t>();
  RETURN_IF_ERROR(in.status());
  return k;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresCatalog>> PostgresCatalog::Open(
    const std::string& conninfo, PostgresCatalogOptions options) {
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError("pool_size must be at least 1");
  }
  std::unique_ptr<PostgresCatalog> catalog(
      new PostgresCatalog(conninfo, options));
  {
    ASSIGN_OR_RETURN(PgConnectionPool::Lease conn, catalog->pool_.Acquire());
    RETURN_IF_ERROR(MigrateSchema(*conn));
  }
  ProgressFanout* fanout = &catalog->fanout_;
  ASSIGN_OR_RETURN(catalog->listener_,
                   PgListener::Start(conninfo, kProgressChannel,
                                     [fanout](const std::string& payload) {
                                       fanout->Deliver(payload);
                                     }));
  return catalog;
}

PostgresCatalog::PostgresCatalog(const std::string& conninfo,
                                 PostgresCatalogOptions options)
    : pool_(conninfo, options.pool_size) {}

PostgresCatalog::~PostgresCatalog() = default;

absl::StatusOr<PgResult> PostgresCatalog::Exec(const std::string& sql,
                                               const PgParams& params) {
  ASSIGN_OR_RETURN(PgConnectionPool::Lease conn, pool_.Acquire());
  return conn->Exec(sql, params);
}

absl::Status PostgresCatalog::Insert(const std::string& table,
                                     const std::string& columns,
                                     const PgParams& params,
                                     const std::string& what) {
  std::vector<std::string> placeholders;
  for (size_t i = 1; i <= params.size(); ++i) {
    placeholders.push_back(absl::StrCat("$", i));
  }
  absl::Status s =
      Exec(absl::StrCat("INSERT INTO ", table, " (", columns, ") VALUES (",
                        absl::StrJoin(placeholders, ", "), ")"),
           params)
          .status();
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(absl::StrCat(what, " exists"));
  }
  return s;
}

absl::Status PostgresCatalog::ExecOnOne(const std::string& sql,
                                        const PgParams& params,
                                        const std::string& what) {
  ASSIGN_OR_RETURN(PgResult result, Exec(sql, params));
  if (result.affected_rows() == 0) {
    return absl::NotFoundError(absl::StrCat("no ", what));
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<T> PostgresCatalog::QueryOne(const std::string& sql,
                                            const PgParams& params,
                                            RowDecoder<T> decode,
                                            const std::string& what) {
  ASSIGN_OR_RETURN(PgResult result, Exec(sql, params));
  if (result.rows() == 0) return absl::NotFoundError(absl::StrCat("no ", what));
  return decode(result, 0);
}

template <typename T>
absl::StatusOr<std::vector<T>> PostgresCatalog::QueryAll(const std::string& sql,
                                                         const PgParams& params,
                                                         RowDecoder<T> decode) {
  ASSIGN_OR_RETURN(PgResult result, Exec(sql, params));
  std::vector<T> records;
  records.reserve(result.rows());
  for (int row = 0; row < result.rows(); ++row) {
    ASSIGN_OR_RETURN(T record, decode(result, row));
    records.push_back(std::move(record));
  }
  return records;
}

absl::Status PostgresCatalog::CreateNamespace(const NamespaceRecord& record) {
  RETURN_IF_ERROR(CheckNamespaceRecord(record));
  return Insert("namespaces", kNamespaceColumns, NamespaceParams(record),
                QuotedName("namespace", record.name));
}

absl::StatusOr<NamespaceRecord> PostgresCatalog::GetNamespace(
    const std::string& name) {
  return QueryOne<NamespaceRecord>(
      absl::StrCat("SELECT ", kNamespaceColumns,
                   " FROM namespaces WHERE name = $1"),
      {name}, NamespaceFromRow, QuotedName("namespace", name));
}

absl::Status PostgresCatalog::UpdateNamespace(const NamespaceRecord& record) {
  RETURN_IF_ERROR(CheckNamespaceRecord(record));
  PgParams params = NamespaceParams(record);
  params.pop_back();  // created_at keeps its stored value
  return ExecOnOne(
      "UPDATE namespaces SET owner_id = $2, visibility = $3, hidden = $4, "
      "max_file_bytes = $5, allowed_mime_types = $6, quota_bytes = $7, "
      "retention_days = $8, keep_versions = $9 WHERE name = $1",
      params, QuotedName("namespace", record.name));
}

absl::Status PostgresCatalog::DeleteNamespace(const std::string& name) {
  return ExecOnOne("DELETE FROM namespaces WHERE name = $1", {name},
                   QuotedName("namespace", name));
}

absl::StatusOr<std::vector<NamespaceRecord>> PostgresCatalog::ListNamespaces(
    const std::string& owner_id) {
  return QueryAll<NamespaceRecord>(
      absl::StrCat("SELECT ", kNamespaceColumns,
                   " FROM namespaces WHERE $1 = '' OR owner_id = $1 "
                   "ORDER BY name"),
      {owner_id}, NamespaceFromRow);
}

absl::Status PostgresCatalog::AddUser(const UserRecord& user) {
  RETURN_IF_ERROR(CheckUserRecord(user));
  return Insert("users", kUserColumns,
                {user.username, user.password_hash, BoolText(user.is_admin),
                 std::to_string(user.created_at)},
                QuotedName("user", user.username));
}

absl::StatusOr<UserRecord> PostgresCatalog::GetUser(
    const std::string& username) {
  return QueryOne<UserRecord>(
      absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE username = $1"),
      {username}, UserFromRow, QuotedName("user", username));
}

absl::Status PostgresCatalog::DeleteUser(const std::string& username) {
  // api_tokens references users ON DELETE CASCADE.
  return ExecOnOne("DELETE FROM users WHERE username = $1", {username},
                   QuotedName("user", username));
}

absl::StatusOr<std::vector<UserRecord>> PostgresCatalog::ListUsers() {
  return QueryAll<UserRecord>(
      absl::StrCat("SELECT ", kUserColumns, " FROM users ORDER BY username"),
      {}, UserFromRow);
}

absl::Status PostgresCatalog::CreateApiToken(const ApiTokenRecord& token) {
  RETURN_IF_ERROR(CheckApiTokenRecord(token));
  absl::Status s = Insert(
      "api_tokens", kTokenColumns,
      {token.id, token.username, EncodeJson(token.scopes), token.secret_hash,
       std::to_string(token.expires_at), std::to_string(token.created_at)},
      absl::StrCat(QuotedName("token", token.id), " or its secret"));
  // The foreign key to users reports an unknown user.
  if (s.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(
        absl::StrCat("no ", QuotedName("user", token.username)));
  }
  return s;
}

absl::StatusOr<ApiTokenRecord> PostgresCatalog::FindApiTokenBySecretHash(
    const std::string& secret_hash) {
  return QueryOne<ApiTokenRecord>(
      absl::StrCat("SELECT ", kTokenColumns,
                   " FROM api_tokens WHERE secret_hash = $1"),
      {secret_hash}, TokenFromRow, "token with that secret");
}

absl::StatusOr<std::vector<ApiTokenRecord>> PostgresCatalog::ListApiTokens(
    const std::string& username) {
  return QueryAll<ApiTokenRecord>(
      absl::StrCat("SELECT ", kTokenColumns,
                   " FROM api_tokens WHERE username = $1 ORDER BY id"),
      {username}, TokenFromRow);
}

absl::Status PostgresCatalog::DeleteApiToken(const std::string& id) {
  return ExecOnOne("DELETE FROM api_tokens WHERE id = $1", {id},
                   QuotedName("token", id));
}

absl::Status PostgresCatalog::AddSigningKey(const SigningKeyRecord& key) {
  RETURN_IF_ERROR(CheckSigningKeyRecord(key));
  return Insert(
      "signing_keys", kSigningKeyColumns,
      {key.id, absl::StrCat("\\x", absl::BytesToHexString(key.secret)),
       std::to_string(key.created_at)},
      QuotedName("signing key", key.id));
}

absl::StatusOr<std::vector<SigningKeyRecord>>
PostgresCatalog::ListSigningKeys() {
  return QueryAll<SigningKeyRecord>(
      "SELECT id, encode(secret, 'hex'), created_at FROM signing_keys "
      "ORDER BY created_at DESC, id DESC",
      {}, SigningKeyFromRow);
}

absl::Status PostgresCatalog::DeleteSigningKey(const std::string& id) {
  return ExecOnOne("DELETE FROM signing_keys WHERE id = $1", {id},
                   QuotedName("signing key", id));
}

absl::Status PostgresCatalog::ClaimSingleUse(const std::string& id,
                                             int64_t expires_at, int64_t now) {
  RETURN_IF_ERROR(CheckSingleUseClaim(id, expires_at));
  const std::string now_text = std::to_string(now);
  // A statement of its own, so that its row locks never combine with a
  // claim's into a deadlock; SKIP LOCKED lets concurrent claims forget
  // different grants instead of waiting for each other.
  RETURN_IF_ERROR(
      Exec(absl::StrCat("DELETE FROM single_use_grants WHERE id IN ("
                        "SELECT id FROM single_use_grants WHERE expires_at <= "
                        "$1 ORDER BY expires_at, id LIMIT ",
                        kExpiredSingleUseForgottenPerClaim,
                        " FOR UPDATE SKIP LOCKED)"),
           {now_text})
          .status());
  // Inserts, or takes over an expired record; a live record stays, and the
  // statement then changes no row. ON CONFLICT makes concurrent claims
  // exact: the losers wait for the winner's row and find it live.
  ASSIGN_OR_RETURN(
      PgResult claimed,
      Exec("INSERT INTO single_use_grants (id, expires_at) VALUES ($1, $2) "
           "ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at "
           "WHERE single_use_grants.expires_at <= $3",
           {id, std::to_string(expires_at), now_text}));
  if (claimed.affected_rows() == 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        QuotedName("single-use grant", id), " has been used already"));
  }
  return absl::OkStatus();
}

absl::Status PostgresCatalog::ReleaseSingleUse(const std::string& id) {
  return ExecOnOne("DELETE FROM single_use_grants WHERE id = $1", {id},
                   QuotedName("single-use grant", id));
}

absl::StatusOr<bool> PostgresCatalog::SingleUseClaimed(const std::string& id,
                                                       int64_t now) {
  RETURN_IF_ERROR(ValidateSingleUseId(id));
  ASSIGN_OR_RETURN(PgResult found,
                   Exec("SELECT 1 FROM single_use_grants WHERE id = $1 AND "
                        "expires_at > $2",
                        {id, std::to_string(now)}));
  return found.rows() > 0;
}

absl::Status PostgresCatalog::AppendAudit(const AuditEvent& event) {
  RETURN_IF_ERROR(CheckAuditEvent(event));
  return Exec(
             "INSERT INTO audit_events (at, actor, action, target, outcome, "
             "address) VALUES ($1, $2, $3, $4, $5, $6)",
             {std::to_string(event.at), event.actor, event.action, event.target,
              event.outcome, event.address})
      .status();
}

absl::StatusOr<std::vector<AuditEvent>> PostgresCatalog::ListAudit(
    int64_t since, int64_t before, size_t limit) {
  ASSIGN_OR_RETURN(
      PgResult rows,
      Exec("SELECT at, actor, action, target, outcome, address FROM "
           "audit_events WHERE at >= $1 AND at < $2 ORDER BY at DESC, seq "
           "DESC LIMIT $3",
           {std::to_string(since), std::to_string(before),
            std::to_string(limit)}));
  std::vector<AuditEvent> events;
  for (int row = 0; row < rows.rows(); ++row) {
    AuditEvent event;
    if (!absl::SimpleAtoi(rows.Text(row, 0), &event.at)) {
      return absl::DataLossError("unreadable audit event time");
    }
    event.actor = rows.Text(row, 1);
    event.action = rows.Text(row, 2);
    event.target = rows.Text(row, 3);
    event.outcome = rows.Text(row, 4);
    event.address = rows.Text(row, 5);
    events.push_back(std::move(event));
  }
  return events;
}

absl::StatusOr<int64_t> PostgresCatalog::ForgetAuditBefore(int64_t before) {
  ASSIGN_OR_RETURN(
      PgResult deleted,
      Exec("DELETE FROM audit_events WHERE at < $1", {std::to_string(before)}));
  return deleted.affected_rows();
}

absl::Status PostgresCatalog::PublishProgress(const std::string& json_event) {
  RETURN_IF_ERROR(CheckProgressEvent(json_event));
  return Exec("SELECT pg_notify($1, $2)", {kProgressChannel, json_event})
      .status();
}

std::unique_ptr<ProgressSubscription> PostgresCatalog::Subscribe(
    ProgressCallback callback) {
  return fanout_.Subscribe(std::move(callback));
}

}  // namespace sfs::frontend
