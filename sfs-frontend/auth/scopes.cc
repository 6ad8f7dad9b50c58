#include "sfs-frontend/auth/scopes.h"

#include <array>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sfs-frontend/catalog/names.h"

namespace sfs::frontend {
namespace {

constexpr absl::string_view kPrefix = "storage.";

constexpr std::array<std::pair<absl::string_view, ScopeAction>, 4> kActions = {{
    {"read", ScopeAction::kRead},
    {"create", ScopeAction::kCreate},
    {"update", ScopeAction::kUpdate},
    {"delete", ScopeAction::kDelete},
}};

constexpr std::array<std::pair<absl::string_view, ScopeKind>, 2> kKinds = {{
    {"files", ScopeKind::kFiles},
    {"namespaces", ScopeKind::kNamespaces},
}};

absl::Status BadScope(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("scope \"", text, "\": ", why));
}

absl::StatusOr<uint8_t> ParseActions(absl::string_view text,
                                     absl::string_view actions) {
  uint8_t bits = 0;
  for (absl::string_view name : absl::StrSplit(actions, ',')) {
    uint8_t bit = 0;
    for (const auto& [action_name, action] : kActions) {
      if (name == action_name) bit = static_cast<uint8_t>(action);
    }
    if (bit == 0)
      return BadScope(text, absl::StrCat("unknown action \"", name, "\""));
    if (bits & bit)
      return BadScope(text, absl::StrCat("repeated action \"", name, "\""));
    bits |= bit;
  }
  return bits;
}

}  // namespace

bool Scope::operator==(const Scope& other) const {
  return owner == other.owner && kind == other.kind && ns == other.ns &&
         actions == other.actions;
}

absl::StatusOr<Scope> ParseScope(absl::string_view text) {
  if (!absl::StartsWith(text, kPrefix)) {
    return BadScope(text, "must start with \"storage.\"");
  }
  std::pair<absl::string_view, absl::string_view> resource_and_actions =
      absl::StrSplit(text.substr(kPrefix.size()), absl::MaxSplits(':', 1));
  auto [resource, actions] = resource_and_actions;
  if (actions.empty()) return BadScope(text, "no \":actions\"");

  // owner "." kind [ "." namespace ]
  std::vector<absl::string_view> parts =
      absl::StrSplit(resource, absl::MaxSplits('.', 2));
  if (parts.size() < 2) return BadScope(text, "no kind after the owner");

  Scope scope;
  scope.owner = std::string(parts[0]);
  if (absl::Status s = ValidateUsername(scope.owner); !s.ok()) {
    return BadScope(text, s.message());
  }
  bool kind_known = false;
  for (const auto& [kind_name, kind] : kKinds) {
    if (parts[1] == kind_name) {
      scope.kind = kind;
      kind_known = true;
    }
  }
  if (!kind_known) {
    return BadScope(text, "kind must be \"files\" or \"namespaces\"");
  }
  if (parts.size() == 3) {
    scope.ns = std::string(parts[2]);
    if (absl::Status s = ValidateNamespaceName(scope.ns); !s.ok()) {
      return BadScope(text, s.message());
    }
  }
  absl::StatusOr<uint8_t> bits = ParseActions(text, actions);
  if (!bits.ok()) return bits.status();
  scope.actions = *bits;
  return scope;
}

absl::StatusOr<std::vector<Scope>> ParseScopes(
    const std::vector<std::string>& texts) {
  std::vector<Scope> scopes;
  scopes.reserve(texts.size());
  for (const std::string& text : texts) {
    absl::StatusOr<Scope> scope = ParseScope(text);
    if (!scope.ok()) return scope.status();
    scopes.push_back(*std::move(scope));
  }
  return scopes;
}

std::string FormatScope(const Scope& scope) {
  absl::string_view kind_name;
  for (const auto& [name, kind] : kKinds) {
    if (kind == scope.kind) kind_name = name;
  }
  std::vector<absl::string_view> action_names;
  for (const auto& [name, action] : kActions) {
    if (scope.actions & static_cast<uint8_t>(action)) {
      action_names.push_back(name);
    }
  }
  return absl::StrCat(kPrefix, scope.owner, ".", kind_name,
                      scope.ns.empty() ? "" : ".", scope.ns, ":",
                      absl::StrJoin(action_names, ","));
}

bool Allows(const std::vector<Scope>& scopes, absl::string_view owner,
            ScopeKind kind, absl::string_view ns, ScopeAction action) {
  for (const Scope& scope : scopes) {
    if (scope.owner == owner && scope.kind == kind &&
        (scope.ns.empty() || scope.ns == ns) &&
        (scope.actions & static_cast<uint8_t>(action))) {
      return true;
    }
  }
  return false;
}

}  // namespace sfs::frontend
