// Enum names: an enum that has names keeps them in one table of {value, "name"} pairs, next to
// its declaration; its to_string and its parsing both read that table, so they cannot disagree.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace mc {

template <typename E>
using EnumName = std::pair<E, std::string_view>;

// `fallback` for a value the table does not name (one cast from a number): never an empty name.
template <typename E, std::size_t N>
constexpr std::string_view name_of(const EnumName<E> (&table)[N], E value,
                                   std::string_view fallback = "unknown") {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return fallback;
}

template <typename E, std::size_t N>
constexpr std::optional<E> value_named(const EnumName<E> (&table)[N], std::string_view name) {
  for (const auto& [v, n] : table)
    if (n == name) return v;
  return std::nullopt;
}

// True when `table` names each value of E from the first to `last`, in declaration order, once:
// `static_assert(names_all(table, E::last))` stands in for the compiler's check that a switch
// handles every value.
template <typename E, std::size_t N>
constexpr bool names_all(const EnumName<E> (&table)[N], E last) {
  if (N != static_cast<std::size_t>(last) + 1) return false;
  for (std::size_t i = 0; i < N; ++i)
    if (static_cast<std::size_t>(table[i].first) != i) return false;
  return true;
}

}  // namespace mc
