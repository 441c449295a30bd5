// Copyright sessionstore authors.
//
// The arithmetic every aggregate composes with, in one place: saturating
// signed sums (counters) and optional minima and maxima (first start,
// latest end). SessionDelta and SessionIndexState both build on these, so
// the two compose identically.
//
// Pure functions: safe from any thread.

#ifndef SESSIONSTORE_ENGINE_AGGREGATE_AGGREGATE_MATH_H_
#define SESSIONSTORE_ENGINE_AGGREGATE_AGGREGATE_MATH_H_

#include <cstdint>
#include <limits>

namespace sessionstore {

// a + b, saturating at the int64 limits instead of overflowing. Ingest
// limits keep real sums far below 2^63; saturation only keeps absurd input
// free of undefined behaviour.
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

// a - b, saturating. Durations (max end - first start) of valid traces
// never come near the limits; values decoded from a damaged store may.
inline int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

// -b, saturating (the negation of INT64_MIN is INT64_MAX).
inline int64_t SaturatingNegate(int64_t b) {
  return b == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -b;
}

// *a += sign * b, saturating; `sign` is +1 or -1.
inline void SaturatingAccumulate(int64_t* a, int64_t b, int64_t sign) {
  *a = SaturatingAdd(*a, sign < 0 ? SaturatingNegate(b) : b);
}

// An optional value composed as a minimum: (has, value) becomes the smaller
// of itself and (other_has, other); absent values lose.
inline void KeepMin(bool* has, int64_t* value, bool other_has, int64_t other) {
  if (other_has && (!*has || other < *value)) {
    *has = true;
    *value = other;
  }
}

// As KeepMin, for a maximum.
inline void KeepMax(bool* has, int64_t* value, bool other_has, int64_t other) {
  if (other_has && (!*has || other > *value)) {
    *has = true;
    *value = other;
  }
}

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_AGGREGATE_AGGREGATE_MATH_H_
