// Copyright sessionstore authors.

#include "tools/progress_line.h"

#include <unistd.h>

#include <cstdint>
#include <utility>

namespace sessionstore {

ProgressLine::ProgressLine(std::FILE* out, bool quiet, Clock clock,
                           std::chrono::milliseconds interval)
    : out_(out),
      enabled_(!quiet && out != nullptr && isatty(fileno(out)) == 1),
      clock_(std::move(clock)),
      interval_(interval),
      begin_(Now()),
      last_draw_(begin_) {}

ProgressLine::~ProgressLine() { Finish(); }

std::chrono::steady_clock::time_point ProgressLine::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

double ProgressLine::ElapsedSeconds() const {
  return std::chrono::duration<double>(Now() - begin_).count();
}

bool ProgressLine::Due() const { return enabled_ && Now() - last_draw_ >= interval_; }

bool ProgressLine::Update(std::string_view text) {
  if (!Due()) return false;
  last_draw_ = Now();
  std::string line = "\r";
  line.append(text);
  // Spaces over what is left of a longer previous text.
  if (text.size() < drawn_width_) line.append(drawn_width_ - text.size(), ' ');
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
  drawn_width_ = text.size();
  return true;
}

void ProgressLine::Finish() {
  if (drawn_width_ == 0) return;
  std::string blank = "\r";
  blank.append(drawn_width_, ' ');
  blank.push_back('\r');
  std::fwrite(blank.data(), 1, blank.size(), out_);
  std::fflush(out_);
  drawn_width_ = 0;
}

std::string ProgressLine::FormatElapsed(double seconds) {
  const int64_t s = seconds > 0 ? static_cast<int64_t>(seconds) : 0;
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60));
  }
  return buf;
}

ElapsedProgress::ElapsedProgress(std::string what, bool quiet, std::FILE* out,
                                 std::chrono::milliseconds interval)
    : what_(std::move(what)), interval_(interval), line_(out, quiet, nullptr, interval) {
  if (line_.enabled()) thread_ = std::thread([this] { Loop(); });
}

ElapsedProgress::~ElapsedProgress() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  line_.Finish();
}

void ElapsedProgress::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
    line_.Update(what_ + ": " + ProgressLine::FormatElapsed(line_.ElapsedSeconds()));
  }
}

}  // namespace sessionstore
